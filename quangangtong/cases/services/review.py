"""转办 and the back office: the department's steps (承办 → 审核 → 批准), 特别程序 and the decision."""

from django.db import transaction
from django.utils import timezone

from quangangtong.cases.errors import CaseError
from quangangtong.cases.lifecycle import Action, CaseState, Decision, Step
from quangangtong.cases.models import (
    SUSPENSION_CODES,
    BusinessAction,
    EventKind,
    SuspensionKind,
)
from quangangtong.cases.services._common import (
    APPROVER_ROLES,
    WINDOW_ROLES,
    _approver,
    _lock,
    _record,
    _required_text,
    _role,
    _save,
    _set_clock,
    _transition,
    case_clock,
)
from quangangtong.cases.services.intake import _release
from quangangtong.workdays.services import WorkdayCalendar

# --- 转办 and the back office -------------------------------------------------------------------


@transaction.atomic
def case_transfer(*, case, user, now=None, expected_version=None):
    """Transfer an accepted 承诺件 to the item's department (转办); its first step, 承办, starts now."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    role = _role(user, WINDOW_ROLES, "转办")
    case = _lock(case, expected_version)
    from_state = case.state
    after = _transition(case, Action.TRANSFER)
    case.department = case.item.department
    case.state, case.current_step, case.step_started_at, case.transferred_at = after.state, after.step, now, now
    fields = _set_clock(case, case_clock(case, today=today), today)
    _save(case, "department", "state", "current_step", "step_started_at", "transferred_at", *fields)
    _record(
        case, EventKind.TRANSFERRED, at=now, actor=user, role=role, from_state=from_state,
        action=BusinessAction.PASS, department=case.department, to_department=case.department.name,
    )  # fmt: skip
    return case


def _step_move(case, *, user, opinion, now, expected_version, action, kind, business_action, doing):
    now = now or timezone.now()
    today = timezone.localdate(now)
    _role(user, APPROVER_ROLES, doing)
    case = _lock(case, expected_version)
    from_state, from_step = case.state, case.current_step
    after = _transition(case, action)
    role = _approver(user, case.department, doing)
    opinion = _required_text(
        opinion, field="opinion", message=f"{Step(from_step).label}意见：请填写处理意见。", max_length=2000
    )
    case.current_step, case.step_started_at = after.step, now
    fields = _set_clock(case, case_clock(case, today=today), today)
    _save(case, "current_step", "step_started_at", *fields)
    _record(
        case, kind, at=now, actor=user, role=role, from_state=from_state, opinion=opinion, action=business_action,
        step=from_step, department=case.department, to_step=after.step,
    )  # fmt: skip
    return case


@transaction.atomic
def case_step_pass(*, case, user, opinion, now=None, expected_version=None):
    """Pass the current approval step (承办 → 审核 → 批准) with an opinion; approvers of the department only."""
    return _step_move(
        case, user=user, opinion=opinion, now=now, expected_version=expected_version, action=Action.STEP_PASS,
        kind=EventKind.STEP_PASSED, business_action=BusinessAction.PASS, doing="办理本环节",
    )  # fmt: skip


@transaction.atomic
def case_step_return(*, case, user, opinion, now=None, expected_version=None):
    """Return the case to the previous approval step with an opinion saying why."""
    return _step_move(
        case, user=user, opinion=opinion, now=now, expected_version=expected_version, action=Action.STEP_RETURN,
        kind=EventKind.STEP_RETURNED, business_action=BusinessAction.RETURN, doing="退回本环节",
    )  # fmt: skip


@transaction.atomic
def case_suspend(*, case, user, kind, reason, now=None, expected_version=None):
    """Start a special procedure (特别程序) or a 补正 after acceptance: both clocks stop (行政许可法 §45)."""
    now = now or timezone.now()
    _role(user, APPROVER_ROLES, "启动特别程序")
    case = _lock(case, expected_version)
    from_state = case.state
    after = _transition(case, Action.SUSPEND)
    role = _approver(user, case.department, "启动特别程序")
    if kind not in SuspensionKind.values:
        raise CaseError(
            "特别程序种类：请选择延长审批、现场核查、听证、检验检测、鉴定、专家评审等。", status=400, field="kind"
        )
    reason = _required_text(
        reason, field="reason", message="启动理由或依据：请写明理由，并告知申请人所需时间。", max_length=2000
    )
    suspension = case.suspensions.create(
        code=SUSPENSION_CODES[kind], kind=kind, reason=reason, step=case.current_step, started_at=now, started_by=user
    )
    case.state = after.state
    _save(case, "state")
    _record(
        case, EventKind.SUSPENDED, at=now, actor=user, role=role, from_state=from_state, opinion=reason,
        step=case.current_step, department=case.department, suspension=suspension.id, suspension_kind=kind,
        code=suspension.code,
    )  # fmt: skip
    return suspension


@transaction.atomic
def case_resume(*, case, user, result, now=None, expected_version=None):
    """End the running special procedure with its result; the clocks run again, their due dates moved."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    _role(user, APPROVER_ROLES, "结束特别程序")
    case = _lock(case, expected_version)
    from_state = case.state
    after = _transition(case, Action.RESUME)
    role = _approver(user, case.department, "结束特别程序")
    result = _required_text(
        result, field="result", message="特别程序结果：请写明结果，如“现场核查符合要求”。", max_length=2000
    )
    suspension = case.suspensions.filter(ended_at=None).order_by("-started_at").first()
    calendar = WorkdayCalendar()
    suspension.ended_at, suspension.ended_by, suspension.result = now, user, result
    suspension.working_days = max(0, calendar.working_days_between(timezone.localdate(suspension.started_at), today))
    suspension.save(update_fields=["ended_at", "ended_by", "result", "working_days"])
    case.state = after.state
    fields = _set_clock(case, case_clock(case, today=today, calendar=calendar), today)
    _save(case, "state", *fields)
    _record(
        case, EventKind.RESUMED, at=now, actor=user, role=role, from_state=from_state, opinion=result,
        step=case.current_step, department=case.department, suspension=suspension.id,
        working_days=suspension.working_days, promised_due=case.promised_due.isoformat(),
    )  # fmt: skip
    return case


@transaction.atomic
def case_decide(*, case, user, decision, result_number, result_name="", opinion="", now=None, expected_version=None):
    """Decide the case (准予/不予) with the document number: at the 批准 step, or at the window for a 即办件.

    A refusal must give its reason (行政许可法 §38). The result then goes to the window (待出件), unless it
    grants and 容缺 materials are still owed.
    """
    now = now or timezone.now()
    today = timezone.localdate(now)
    case = _lock(case, expected_version)
    if decision not in Decision.values:
        raise CaseError("决定：请选择准予或不予。", status=400, field="decision")
    from_state, from_step = case.state, case.current_step
    after = _transition(case, Action.DECIDE, decision=decision)
    if case.is_immediate and case.state != CaseState.REVIEWING:
        role = _role(user, WINDOW_ROLES, "作出决定")
    else:
        _role(user, APPROVER_ROLES, "作出决定")
        role = _approver(user, case.department, "作出决定")
    number = _required_text(
        result_number, field="result_number", message="结果文书编号：请填写证照或决定书的编号。", max_length=60
    )
    default_name = (case.item.result_name or "准予决定书") if decision == Decision.GRANTED else "不予许可决定书"
    name = (result_name or "").strip()[:100] or default_name
    opinion = (opinion or "").strip()
    if decision == Decision.REFUSED and not opinion:
        raise CaseError("决定理由：不予的决定须说明理由（行政许可法第三十八条）。", status=400, field="opinion")
    # The clocks stop at the decision: the colour and remaining days it was decided with stay on the case.
    fields = _set_clock(case, case_clock(case, today=today), today)
    case.state, case.current_step, case.decision = after.state, "", decision
    case.decided_at, case.decided_by, case.result_name, case.result_number = now, user, name, number
    case.step_due, case.step_overdue = None, False
    _save(case, "state", "current_step", "decision", "decided_at", "decided_by", "result_name", "result_number",
          *fields)  # fmt: skip
    _record(
        case, EventKind.DECIDED, at=now, actor=user, role=role, from_state=from_state, opinion=opinion,
        action=BusinessAction.PASS, step=from_step, department=case.department, decision=decision,
        result_name=name, result_number=number,
    )  # fmt: skip
    _release(case, now=now, actor=user, role=role)
    return case
