"""Shared by the 办件 API: the router, how an action is refused, the request bodies' base, and the caller and case."""

import datetime
from functools import wraps

from django.utils import timezone
from ninja import Field, Router, Schema, Status
from pydantic import ConfigDict

from quangangtong.accounts.api_auth import caller_staff
from quangangtong.api_schemas import STAFF_ERRORS, ErrorOut
from quangangtong.cases import services
from quangangtong.cases.errors import CaseError


class CasesRouter(Router):
    """The 办件 router: an endpoint's operationId stays quangangtong_cases_api_<view>, whichever module holds it.

    Clients generated from the API document name their methods by operationId; ninja's default includes the
    module, which would change with every move of a view between the package's modules.
    """

    def add_api_operation(self, path, methods, view_func, *, operation_id=None, **options):
        operation_id = operation_id or f"quangangtong_cases_api_{view_func.__name__}"
        super().add_api_operation(path, methods, view_func, operation_id=operation_id, **options)


router = CasesRouter(tags=["办件"])

MAX_ID = 2**63 - 1
MAX_VERSION = 2**31 - 1
CASE_ERRORS = {400: ErrorOut, 404: ErrorOut, 409: ErrorOut, **STAFF_ERRORS}
VERSION_DOC = "页面或上次应答中的 version；办件在此之后已被他人处理时返回 409，什么也不改。省略则不核对"
STALE_DOC = "请求体中可带 `expected_version`（GET 返回的 `version`），办件已被他人处理时返回 409。"
REFUSALS_DOC = (
    "当前状态不允许时返回 409 及原因；岗位或部门不符返回 403；输入有误返回 400，`errors[].field` 指明字段。"
    "被拒绝的操作不改变办件。"
)


def _version():
    return Field(None, ge=0, le=MAX_VERSION, description=VERSION_DOC)


class BodyIn(Schema):
    """A request body: a JSON object of the documented fields only (a misspelt expected_version is no check)."""

    model_config = ConfigDict(extra="forbid")


class VersionIn(BodyIn):
    expected_version: int | None = _version()


def _answers_case_errors(view):
    """Answer a CaseError with its status and Chinese message; the service has changed nothing."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except CaseError as error:
            errors = [{"field": error.field, "message": error.message}] if error.field else []
            return Status(error.status, {"detail": error.message, "errors": errors})

    return wrapped


def _refuse_unreadable(payload):
    """Refuse text no field can hold: NUL (PostgreSQL refuses it) or a lone surrogate (not UTF-8)."""
    for field, value in payload.model_dump().items():
        for text in value if isinstance(value, list) else [value]:
            if isinstance(text, str) and ("\x00" in text or not _encodable(text)):
                raise CaseError(f"“{field}”含有无效字符，请删除后重新输入。", status=400, field=field)


def _encodable(text):
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return True


def _staff_and_case(request, number, payload=None):
    """Return the staff member calling and the case the path names, or refuse (403, 404, 400)."""
    user = caller_staff(request.auth)
    case = services.case_get(number=number)
    if payload is not None:
        _refuse_unreadable(payload)
    return user, case


def _aware(value, field):
    """Return a datetime from the request as an aware one (a naive one is Beijing time), or refuse (400)."""
    if value is None:
        return None
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    try:
        return value.astimezone(datetime.UTC)
    except OverflowError:
        raise CaseError(f"“{field}”超出可用的日期范围，请核对。", status=400, field=field) from None
