"""转办 and the back office: the department's steps (承办 → 审核 → 批准), 特别程序 and the decision."""

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
    _staff_and_case,
    router,
)
from quangangtong.cases.api.shapes import CaseOut, _case_out
from quangangtong.cases.models import SuspensionKind


class OpinionIn(VersionIn):
    opinion: str = Field(..., max_length=2000, description="本环节处理意见")


class SuspendIn(VersionIn):
    kind: Literal[tuple(SuspensionKind.values)] = Field(
        ..., description="特别程序种类：" + "，".join(f"{k.value} {k.label}" for k in SuspensionKind)
    )
    reason: str = Field(..., max_length=2000, description="启动理由或依据")


class ResumeIn(VersionIn):
    result: str = Field(..., max_length=2000, description="特别程序结果，如“现场核查符合要求”")


class DecideIn(VersionIn):
    decision: Literal["granted", "refused"] = Field(..., description="granted 准予，refused 不予")
    result_number: str = Field(..., max_length=60, description="证照或决定书编号")
    result_name: str = Field("", max_length=100, description="结果文书名称；省略为事项的结果名称")
    opinion: str = Field("", max_length=2000, description="决定意见；不予的须说明理由")


@router.post(
    "/cases/{number}/transfer",
    response={200: CaseOut, **CASE_ERRORS},
    auth=device_auth(),
    summary="转办",
    description="把已受理的承诺件转到事项的审批部门，承办环节开始。即办件不转办。" + REFUSALS_DOC + STALE_DOC,
)
@_answers_case_errors
def case_transfer(request, number: str, payload: VersionIn):
    user, case = _staff_and_case(request, number, payload)
    services.case_transfer(case=case, user=user, expected_version=payload.expected_version)
    return _case_out(request, case, user)


@router.post(
    "/cases/{number}/step-pass",
    response={200: CaseOut, **CASE_ERRORS},
    auth=device_auth(),
    summary="环节通过",
    description="审批部门的审批人员以处理意见通过当前环节（承办 → 审核 → 批准）；批准环节请用 decide。"
    + REFUSALS_DOC
    + STALE_DOC,
)
@_answers_case_errors
def case_step_pass(request, number: str, payload: OpinionIn):
    user, case = _staff_and_case(request, number, payload)
    services.case_step_pass(case=case, user=user, opinion=payload.opinion, expected_version=payload.expected_version)
    return _case_out(request, case, user)


@router.post(
    "/cases/{number}/step-return",
    response={200: CaseOut, **CASE_ERRORS},
    auth=device_auth(),
    summary="环节退回",
    description="审批部门的审批人员以意见把办件退回上一环节。" + REFUSALS_DOC + STALE_DOC,
)
@_answers_case_errors
def case_step_return(request, number: str, payload: OpinionIn):
    user, case = _staff_and_case(request, number, payload)
    services.case_step_return(case=case, user=user, opinion=payload.opinion, expected_version=payload.expected_version)
    return _case_out(request, case, user)


@router.post(
    "/cases/{number}/suspend",
    response={200: CaseOut, **CASE_ERRORS},
    auth=device_auth(),
    summary="特别程序挂起",
    description="启动特别程序（延长审批、现场核查、听证、检验检测、鉴定、专家评审等）或受理后补正："
    "法定和承诺时限都停止计算（行政许可法第四十五条）。" + REFUSALS_DOC + STALE_DOC,
)
@_answers_case_errors
def case_suspend(request, number: str, payload: SuspendIn):
    user, case = _staff_and_case(request, number, payload)
    services.case_suspend(
        case=case, user=user, kind=SuspensionKind(payload.kind), reason=payload.reason,
        expected_version=payload.expected_version,
    )  # fmt: skip
    return _case_out(request, case, user)


@router.post(
    "/cases/{number}/resume",
    response={200: CaseOut, **CASE_ERRORS},
    auth=device_auth(),
    summary="恢复计时",
    description="以结果结束正在进行的特别程序，时限恢复计算，办结日期顺延所经过的工作日。" + REFUSALS_DOC + STALE_DOC,
)
@_answers_case_errors
def case_resume(request, number: str, payload: ResumeIn):
    user, case = _staff_and_case(request, number, payload)
    services.case_resume(case=case, user=user, result=payload.result, expected_version=payload.expected_version)
    return _case_out(request, case, user)


@router.post(
    "/cases/{number}/decide",
    response={200: CaseOut, **CASE_ERRORS},
    auth=device_auth(),
    summary="作出决定",
    description="准予或不予，附证照或决定书编号：承诺件在批准环节由审批部门作出，即办件在窗口当场作出。"
    "不予的须说明理由（行政许可法第三十八条）。结果随即送达窗口待出件（容缺材料未补齐的准予结果除外）。"
    + REFUSALS_DOC
    + STALE_DOC,
)
@_answers_case_errors
def case_decide(request, number: str, payload: DecideIn):
    user, case = _staff_and_case(request, number, payload)
    services.case_decide(
        case=case, user=user, decision=payload.decision, result_number=payload.result_number,
        result_name=payload.result_name, opinion=payload.opinion, expected_version=payload.expected_version,
    )  # fmt: skip
    return _case_out(request, case, user)
