"""The applicant's progress, public: GET /public/cases/{number} with the phone's last four digits, throttled."""

import datetime

from django.http import HttpResponse
from ninja import Field, Query, Schema, Status

from quangangtong.api_schemas import ErrorOut
from quangangtong.cases import services
from quangangtong.cases.api._common import router
from quangangtong.cases.services.public import case_public_progress
from quangangtong.cases.throttle import TooManyFailures, throttled_lookup

NOT_FOUND = "没有找到该办件：请核对办件编号（见材料接收单）和申请时登记的手机号码后四位。"


class PublicStepOut(Schema):
    at: datetime.datetime
    name: str = Field(..., description="如 收件、受理、转办、环节通过")
    step: str = Field(..., description="审批环节名称：承办、审核、批准；其他为空")


class PublicCaseOut(Schema):
    number: str
    item_name: str
    state: str
    state_label: str
    note: str = Field(..., description="给申请人的说明，如“结果已送达窗口，请携带身份证件……领取”")
    steps: list[PublicStepOut]
    promised_due: datetime.date | None = Field(..., description="承诺办结日期；受理前为 null")
    remaining_working_days: int | None = Field(..., description="剩余工作日（负数为已超期）；不在计时中为 null")
    pickup_method: str = Field(..., description="window 窗口领取，post 快递寄送")
    pickup_method_label: str
    carrier: str = Field(..., description="已寄出时的快递公司")


@router.get(
    "/public/cases/{number}",
    response={200: PublicCaseOut, 404: ErrorOut, 422: ErrorOut, 429: ErrorOut},
    summary="办件进度查询（公开）",
    description="凭办件编号和申请时登记的手机号码后四位查询办理进度：状态、已办环节及时间、承诺办结日期、"
    "剩余工作日、取件方式。无需令牌；不含姓名、证件号码、电话和审批意见。编号不存在与手机号不符的应答完全相同"
    "（404）。同一客户端地址10分钟内查询失败5次后返回 429，`Retry-After` 头给出需等待的秒数。",
)
def case_public(
    request,
    response: HttpResponse,
    number: str,
    phone_last4: str = Query(..., pattern=r"^[0-9]{4}$", description="申请时登记的手机号码后四位"),
):
    # Personal data: kept by no shared cache or browser history, whichever the answer.
    response["Cache-Control"] = "no-store"
    try:
        case = throttled_lookup(request, lambda: services.case_public_lookup(number=number, phone_last4=phone_last4))
    except TooManyFailures as refused:
        response["Retry-After"] = str(refused.retry_after)
        return Status(429, {"detail": refused.message, "errors": []})
    if case is None:
        return Status(404, {"detail": NOT_FOUND, "errors": []})
    return case_public_progress(case)
