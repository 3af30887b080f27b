"""Delivery of the result: at the window (identity or pickup code) or by post, then its receipt."""

import datetime
from typing import Literal

from ninja import Field

from quangangtong.accounts.api_auth import device_auth
from quangangtong.cases import services
from quangangtong.cases.api._common import (
    CASE_ERRORS,
    REFUSALS_DOC,
    STALE_DOC,
    VersionIn,
    _answers_case_errors,
    _aware,
    _staff_and_case,
    router,
)
from quangangtong.cases.api.shapes import CaseOut, _case_out
from quangangtong.cases.models import Carrier, DeliveryProof


class DeliverIn(VersionIn):
    proof: Literal["identity", "pickup_code"] = Field(
        ..., description="identity 核验身份证件（填 recipient_id_number），pickup_code 取件码"
    )
    pickup_code: str = Field("", max_length=20, description="申请人短信中的6位取件码")
    recipient_id_number: str = Field("", max_length=50, description="领取人（申请人或登记的代办人）的证件号码")


class PostIn(VersionIn):
    carrier: Literal["SF", "EMS"] = Field(..., description="SF 顺丰速运，EMS 中国邮政 EMS")
    tracking_number: str = Field(..., max_length=40, description="快递单号")
    address: str = Field(..., max_length=200, description="寄送地址")
    recipient_name: str = Field("", max_length=50, description="收件人；省略为代办人或申请人")
    recipient_phone: str = Field("", max_length=30, description="收件人手机；省略为申请人的")


class DeliveredIn(VersionIn):
    delivered_at: datetime.datetime | None = Field(None, description="签收时间；省略为现在")


@router.post(
    "/cases/{number}/deliver-at-window",
    response={200: CaseOut, **CASE_ERRORS},
    auth=device_auth(),
    summary="窗口出件",
    description="在窗口把结果交给申请人或登记的代办人：核验其证件号码，或核对短信中的取件码。办件送达。"
    + REFUSALS_DOC
    + STALE_DOC,
)
@_answers_case_errors
def case_deliver_at_window(request, number: str, payload: DeliverIn):
    user, case = _staff_and_case(request, number, payload)
    services.case_deliver_at_window(
        case=case, user=user, proof=DeliveryProof(payload.proof), pickup_code=payload.pickup_code,
        recipient_id_number=payload.recipient_id_number, expected_version=payload.expected_version,
    )  # fmt: skip
    return _case_out(request, case, user)


@router.post(
    "/cases/{number}/post",
    response={200: CaseOut, **CASE_ERRORS},
    auth=device_auth(),
    summary="快递寄出",
    description="把结果快递寄出，登记快递公司和单号（顺丰如 SF1234567890123，EMS 如 1123456789012）。"
    "事项不支持快递的返回 409。" + REFUSALS_DOC + STALE_DOC,
)
@_answers_case_errors
def case_post(request, number: str, payload: PostIn):
    user, case = _staff_and_case(request, number, payload)
    services.case_post(
        case=case, user=user, carrier=Carrier(payload.carrier), tracking_number=payload.tracking_number,
        address=payload.address, recipient_name=payload.recipient_name, recipient_phone=payload.recipient_phone,
        expected_version=payload.expected_version,
    )  # fmt: skip
    return _case_out(request, case, user)


@router.post(
    "/cases/{number}/mark-delivered",
    response={200: CaseOut, **CASE_ERRORS},
    auth=device_auth(),
    summary="确认送达",
    description="登记快递已签收（`delivered_at` 省略为现在，须在寄出之后、现在之前），办件送达。"
    + REFUSALS_DOC
    + STALE_DOC,
)
@_answers_case_errors
def case_mark_delivered(request, number: str, payload: DeliveredIn):
    user, case = _staff_and_case(request, number, payload)
    services.case_mark_delivered(
        case=case, user=user, delivered_at=_aware(payload.delivered_at, "delivered_at"),
        expected_version=payload.expected_version,
    )  # fmt: skip
    return _case_out(request, case, user)
