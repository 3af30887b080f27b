"""The public and device API at /api/v1/ (django-ninja); other vendors' kiosks and screens use it."""

from django.http import Http404
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from quangangtong.cases.api import router as cases_router
from quangangtong.catalog.api import router as catalog_router
from quangangtong.queueing.api import router as queueing_router
from quangangtong.workdays.api import router as workdays_router

api = NinjaAPI(
    title="全岗通 API",
    version="1",
    description=(
        "政务服务事项清单、站点、工作日历与排队叫号。公开接口无需登录；设备与工作人员接口使用 "
        "`Authorization: Bearer 令牌`（`qgt token` 生成）或工作人员登录会话。"
    ),
    urls_namespace="api-v1",
)

_PYDANTIC_MESSAGES = {
    "missing": "必填",
    "int_parsing": "应为整数",
    "int_type": "应为整数",
    "float_parsing": "应为数字",
    "bool_parsing": "应为 true 或 false",
    "date_from_datetime_parsing": "应为日期，格式 YYYY-MM-DD",
    "date_parsing": "应为日期，格式 YYYY-MM-DD",
    "date_type": "应为日期，格式 YYYY-MM-DD",
    "greater_than_equal": "不能小于 {ge}",
    "less_than_equal": "不能大于 {le}",
    "string_too_long": "最多 {max_length} 个字符",
    "string_too_short": "至少 {min_length} 个字符",
    "literal_error": "取值无效，可选：{expected}",
    "string_type": "应为字符串",
    "int_from_float": "应为整数",
    "enum": "取值无效，可选：{expected}",
    "extra_forbidden": "不是可用的字段，请核对字段名",
    "model_type": "应为 JSON 对象",
    "dict_type": "应为 JSON 对象",
    "too_long": "最多 {max_length} 项",
    "list_type": "应为数组",
}


def _field_name(loc):
    parts = [
        str(part)
        for part in loc
        if part not in ("query", "path", "body", "form", "filters", "payload", "header", "cookie")
    ]
    return ".".join(parts) or "请求"


def chinese_validation_errors(errors):
    """Return pydantic errors as [{"field", "message"}] with the message in Chinese naming the field."""
    result = []
    for error in errors:
        field = _field_name(error.get("loc", ()))
        template = _PYDANTIC_MESSAGES.get(error.get("type"))
        if template:
            try:
                reason = template.format(**(error.get("ctx") or {}))
            except (KeyError, IndexError):
                reason = template
        else:
            reason = f"取值无效（{error.get('msg', '')}）"
        result.append({"field": field, "message": f"“{field}”{reason}"})
    return result


@api.exception_handler(ValidationError)
def validation_error(request, exc):
    errors = chinese_validation_errors(exc.errors)
    return api.create_response(
        request, {"detail": "；".join(e["message"] for e in errors), "errors": errors}, status=422
    )


@api.exception_handler(AuthenticationError)
def authentication_error(request, exc):
    return api.create_response(request, {"detail": "请先登录工作人员账号。"}, status=401)


@api.exception_handler(HttpError)
def http_error(request, exc):
    detail = str(exc)
    if detail.startswith("Cannot parse request body"):
        detail = "请求体不是有效的 JSON：请检查格式，并使用 Content-Type: application/json。"
    return api.create_response(request, {"detail": detail}, status=exc.status_code)


@api.exception_handler(Http404)
def not_found(request, exc):
    return api.create_response(request, {"detail": "未找到：请核对编码是否正确。"}, status=404)


api.add_router("", catalog_router)
api.add_router("", queueing_router)
api.add_router("/workdays", workdays_router)
api.add_router("", cases_router)
