"""Intake at the window: materials, 受理 (also with 容缺 promises), 一次性告知 and 补正, 不予受理, 容缺 materials."""

import datetime
from typing import Literal

from ninja import Field

from quangangtong.accounts.api_auth import device_auth
from quangangtong.cases import services
from quangangtong.cases.api._common import (
    CASE_ERRORS,
    MAX_ID,
    REFUSALS_DOC,
    STALE_DOC,
    VersionIn,
    _answers_case_errors,
    _staff_and_case,
    router,
)
from quangangtong.cases.api.shapes import CaseOut, _case_out
from quangangtong.cases.models import MaterialStatus

MAX_COPIES = 99


class AcceptIn(VersionIn):
    pickup_method: Literal["window", "post"] | None = Field(None, description="出件方式；省略则沿用收件时的选择")


class MaterialIn(VersionIn):
    status: Literal["received", "missing", "defective", "deferred"] = Field(
        ..., description="received 已收，missing 缺，defective 有瑕疵（须写 defect），deferred 容缺后补（须有承诺）"
    )
    received_originals: int | None = Field(None, ge=0, le=MAX_COPIES, description="收取原件份数；省略为应收份数")
    received_copies: int | None = Field(None, ge=0, le=MAX_COPIES, description="收取复印件份数；省略为应收份数")
    defect: str = Field("", max_length=300, description="瑕疵说明：哪里不符合要求、如何补正")
    promise: str = Field("", max_length=500, description="容缺：申请人书面承诺补交的内容")
    promise_due: datetime.date | None = Field(None, description="容缺：承诺补交日期（今天以后，不晚于承诺办结日期）")


class CorrectionReceivedIn(VersionIn):
    received: list[int] | None = Field(None, max_length=100, description="带来的补正材料 id；省略为告知书上的全部材料")


class RejectIn(VersionIn):
    reason: str = Field(..., max_length=2000, description="不予受理的理由")
    remedies: str = Field("", max_length=2000, description="救济途径；省略为行政复议、行政诉讼的标准表述")


class DeferredMaterialIn(VersionIn):
    material: int = Field(..., ge=1, le=MAX_ID, description="容缺材料的办件材料 id")
    received_originals: int | None = Field(None, ge=0, le=MAX_COPIES)
    received_copies: int | None = Field(None, ge=0, le=MAX_COPIES)


def _material_id(value):
    return value if isinstance(value, int) and 1 <= value <= MAX_ID else 0


@router.post(
    "/cases/{number}/materials/{material_id}",
    response={200: CaseOut, **CASE_ERRORS},
    auth=device_auth(),
    summary="登记材料",
    description="收件时登记一项清单材料：已收（份数默认为应收份数）、缺、有瑕疵（写明 defect）或容缺后补"
    "（仅事项清单允许容缺的材料，须有 promise 和 promise_due）。`material_id` 见办件详情的 materials[].id。"
    + REFUSALS_DOC
    + STALE_DOC,
)
@_answers_case_errors
def case_material_mark(request, number: str, material_id: int, payload: MaterialIn):
    user, case = _staff_and_case(request, number, payload)
    services.case_material_mark(
        case=case, user=user, material=_material_id(material_id), status=MaterialStatus(payload.status),
        received_originals=payload.received_originals, received_copies=payload.received_copies,
        defect=payload.defect, promise=payload.promise, promise_due=payload.promise_due,
        expected_version=payload.expected_version,
    )  # fmt: skip
    return _case_out(request, case, user)


@router.post(
    "/cases/{number}/accept",
    response={200: CaseOut, **CASE_ERRORS},
    auth=device_auth(),
    summary="受理",
    description="必要材料都已收齐时受理：时限从次日起算，承诺件得到承诺办结日期；即办件随后在窗口当场决定。"
    "有容缺材料的请用 accept-with-promise，材料不齐的请用 request-correction。" + REFUSALS_DOC + STALE_DOC,
)
@_answers_case_errors
def case_accept(request, number: str, payload: AcceptIn):
    user, case = _staff_and_case(request, number, payload)
    services.case_accept(
        case=case, user=user, pickup_method=payload.pickup_method, expected_version=payload.expected_version
    )
    return _case_out(request, case, user)


@router.post(
    "/cases/{number}/accept-with-promise",
    response={200: CaseOut, **CASE_ERRORS},
    auth=device_auth(),
    summary="容缺受理",
    description="登记为容缺后补的材料有申请人书面承诺时先行受理；容缺材料补齐前准予的结果不出件，"
    "逾期未补则终止办理。" + REFUSALS_DOC + STALE_DOC,
)
@_answers_case_errors
def case_accept_with_promise(request, number: str, payload: AcceptIn):
    user, case = _staff_and_case(request, number, payload)
    services.case_accept_with_promise(
        case=case, user=user, pickup_method=payload.pickup_method, expected_version=payload.expected_version
    )
    return _case_out(request, case, user)


@router.post(
    "/cases/{number}/request-correction",
    response={200: CaseOut, **CASE_ERRORS},
    auth=device_auth(),
    summary="一次性告知补正",
    description="出具《补正材料通知书》，一次列出全部缺少或有瑕疵的材料，办件等待补正（行政许可法第三十二条）。"
    "再次告知不在此前告知书中的材料会被拒绝（409）：确需再次告知的，须由督查人员在窗口工作台批准并写明理由，"
    "本接口不接受代为批准。" + REFUSALS_DOC + STALE_DOC,
)
@_answers_case_errors
def case_request_correction(request, number: str, payload: VersionIn):
    user, case = _staff_and_case(request, number, payload)
    services.case_request_correction(case=case, user=user, expected_version=payload.expected_version)
    return _case_out(request, case, user)


@router.post(
    "/cases/{number}/correction-received",
    response={200: CaseOut, **CASE_ERRORS},
    auth=device_auth(),
    summary="收取补正材料",
    description="申请人带回补正材料：`received` 为带来的材料 id（省略为告知书上的全部），办件回到收件状态，"
    "再登记、受理。" + REFUSALS_DOC + STALE_DOC,
)
@_answers_case_errors
def case_correction_received(request, number: str, payload: CorrectionReceivedIn):
    user, case = _staff_and_case(request, number, payload)
    received = None if payload.received is None else [_material_id(value) for value in payload.received]
    services.case_correction_received(
        case=case, user=user, received=received, expected_version=payload.expected_version
    )
    return _case_out(request, case, user)


@router.post(
    "/cases/{number}/reject",
    response={200: CaseOut, **CASE_ERRORS},
    auth=device_auth(),
    summary="不予受理",
    description="以理由和救济途径作出不予受理决定（出具《不予受理通知书》），办件结束。" + REFUSALS_DOC + STALE_DOC,
)
@_answers_case_errors
def case_reject(request, number: str, payload: RejectIn):
    user, case = _staff_and_case(request, number, payload)
    services.case_reject(
        case=case, user=user, reason=payload.reason, remedies=payload.remedies,
        expected_version=payload.expected_version,
    )  # fmt: skip
    return _case_out(request, case, user)


@router.post(
    "/cases/{number}/deferred-material-received",
    response={200: CaseOut, **CASE_ERRORS},
    auth=device_auth(),
    summary="收取容缺材料",
    description="收取申请人承诺补交的容缺材料；补齐后，等待中的准予结果即送达窗口待出件。" + REFUSALS_DOC + STALE_DOC,
)
@_answers_case_errors
def case_deferred_material_received(request, number: str, payload: DeferredMaterialIn):
    user, case = _staff_and_case(request, number, payload)
    services.case_deferred_material_received(
        case=case, user=user, material=payload.material, received_originals=payload.received_originals,
        received_copies=payload.received_copies, expected_version=payload.expected_version,
    )  # fmt: skip
    return _case_out(request, case, user)
