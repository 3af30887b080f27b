"""转办 and the back office: steps, their department's approvers only, special procedures, the decision."""

import pytest

from quangangtong.accounts.roles import Role
from quangangtong.cases import services
from quangangtong.cases.errors import CaseError
from quangangtong.cases.lifecycle import CaseState, Decision, Step
from quangangtong.cases.models import BusinessAction, EventKind, SpecialProcedureCode, SuspensionKind

from .conftest import ACCEPTED_AT, EMPLOYMENT_CARD, HARDSHIP, D, at

pytestmark = pytest.mark.django_db


def test_it_transfers_to_the_items_department_at_the_first_step(hall):
    case = hall.transferred()
    assert (case.state, case.department, case.current_step, case.transferred_at) == (
        CaseState.REVIEWING, hall.rsj, Step.HANDLE, ACCEPTED_AT
    )  # fmt: skip
    # 承办 has 50 % of the 10-day promise: 5 working days from 09-30.
    assert case.step_due == D(2026, 10, 13)
    event = case.events.get(kind=EventKind.TRANSFERRED)
    assert (event.department, event.business_action) == (hall.rsj, BusinessAction.PASS)


def test_it_does_not_transfer_an_immediate_case(hall):
    with pytest.raises(CaseError, match="即办件在窗口当场决定"):
        services.case_transfer(case=hall.accepted(EMPLOYMENT_CARD), user=hall.officer)


def test_it_passes_the_steps_in_order_with_opinions(hall):
    case = hall.transferred()
    case = services.case_step_pass(
        case=case, user=hall.approver, opinion="材料齐全，符合认定条件", now=at(D(2026, 10, 8))
    )
    assert (case.current_step, case.step_started_at) == (Step.REVIEW, at(D(2026, 10, 8)))
    case = services.case_step_pass(case=case, user=hall.approver, opinion="同意")
    assert case.current_step == Step.APPROVE
    passed = case.events.filter(kind=EventKind.STEP_PASSED)
    assert list(passed.values_list("step", "opinion", "business_action", "actor_role")) == [
        (Step.HANDLE, "材料齐全，符合认定条件", BusinessAction.PASS, "后台审批人员"),
        (Step.REVIEW, "同意", BusinessAction.PASS, "后台审批人员"),
    ]


def test_it_returns_a_step_with_the_reason(hall):
    case = hall.at_approval()
    case = services.case_step_return(case=case, user=hall.approver, opinion="认定类别证明不清晰，请重新审核")
    assert case.current_step == Step.REVIEW
    event = case.events.filter(kind=EventKind.STEP_RETURNED).get()
    assert (event.step, event.business_action, event.detail["to_step"]) == (
        Step.APPROVE, BusinessAction.RETURN, Step.REVIEW
    )  # fmt: skip


def test_it_needs_an_opinion(hall):
    with pytest.raises(CaseError) as refused:
        services.case_step_pass(case=hall.transferred(), user=hall.approver, opinion="")
    assert (refused.value.status, refused.value.field) == (400, "opinion")


def test_it_refuses_an_approver_of_another_department(hall):
    case = hall.transferred()
    with pytest.raises(CaseError, match="只有区人社局的审批人员") as refused:
        services.case_step_pass(case=case, user=hall.other_approver, opinion="同意")
    assert refused.value.status == 403
    case.refresh_from_db()
    assert case.current_step == Step.HANDLE


def test_it_refuses_a_window_officer_at_a_step(hall):
    with pytest.raises(CaseError) as refused:
        services.case_step_pass(case=hall.transferred(), user=hall.officer, opinion="同意")
    assert refused.value.status == 403


def test_it_lets_a_superuser_act_for_any_department(hall, django_user_model):
    admin = django_user_model.objects.create_superuser("root", password="pw")
    assert services.case_step_pass(case=hall.transferred(), user=admin, opinion="同意").current_step == Step.REVIEW


def test_it_refuses_a_click_made_on_a_stale_page(hall):
    case = hall.transferred()
    shown = case.version
    services.case_step_pass(case=case, user=hall.approver, opinion="同意", expected_version=shown)
    with pytest.raises(CaseError, match="刚被他人处理过") as refused:
        services.case_step_pass(case=case, user=hall.approver, opinion="同意", expected_version=shown)
    assert refused.value.status == 409
    case.refresh_from_db()
    assert case.current_step == Step.REVIEW


# --- special procedures -------------------------------------------------------------------------


def test_it_suspends_with_the_national_code_and_stops_the_steps(hall):
    case = hall.transferred()
    suspension = services.case_suspend(
        case=case,
        user=hall.approver,
        kind=SuspensionKind.SITE_INSPECTION,
        reason="需现场核实经营场所",
        now=at(D(2026, 10, 9)),
    )
    assert (suspension.code, suspension.step) == (SpecialProcedureCode.OTHER, Step.HANDLE)
    case.refresh_from_db()
    assert case.state == CaseState.SUSPENDED
    with pytest.raises(CaseError, match="请先恢复计时"):
        services.case_step_pass(case=case, user=hall.approver, opinion="同意")


def test_it_codes_an_extension_as_1(hall):
    suspension = services.case_suspend(
        case=hall.transferred(), user=hall.approver, kind=SuspensionKind.EXTENSION, reason="经负责人批准延长十日"
    )
    assert suspension.code == SpecialProcedureCode.EXTENSION


def test_it_moves_the_due_dates_by_the_working_days_suspended(hall):
    case = hall.transferred()
    assert (case.promised_due, case.legal_due) == (D(2026, 10, 20), D(2026, 11, 3))
    services.case_suspend(
        case=case,
        user=hall.approver,
        kind=SuspensionKind.HEARING,
        reason="依申请人要求举行听证",
        now=at(D(2026, 10, 9)),
    )
    case = services.case_resume(
        case=case, user=hall.approver, result="听证结束，维持原审查意见", now=at(D(2026, 10, 19))
    )
    # (10-09, 10-19] holds seven working days: 10-10 (worked Saturday), 10-12 … 10-16, 10-19.
    suspension = case.suspensions.get()
    assert (suspension.working_days, suspension.result) == (7, "听证结束，维持原审查意见")
    assert (case.state, case.suspended_working_days, case.suspended_calendar_days) == (CaseState.REVIEWING, 7, 10)
    assert (case.promised_due, case.legal_due) == (D(2026, 10, 29), D(2026, 11, 12))
    assert case.events.get(kind=EventKind.RESUMED).detail["working_days"] == 7


def test_it_needs_a_kind_a_reason_and_a_result(hall):
    case = hall.transferred()
    with pytest.raises(CaseError) as no_kind:
        services.case_suspend(case=case, user=hall.approver, kind="holiday", reason="x")
    with pytest.raises(CaseError) as no_reason:
        services.case_suspend(case=case, user=hall.approver, kind=SuspensionKind.TESTING, reason="")
    services.case_suspend(case=case, user=hall.approver, kind=SuspensionKind.TESTING, reason="送检")
    with pytest.raises(CaseError) as no_result:
        services.case_resume(case=case, user=hall.approver, result="")
    assert [e.value.field for e in (no_kind, no_reason, no_result)] == ["kind", "reason", "result"]


# --- the decision -------------------------------------------------------------------------------


def test_it_decides_at_the_approve_step_and_sends_the_result_to_the_window(hall):
    case = hall.at_approval()
    case = services.case_decide(
        case=case, user=hall.approver, decision=Decision.GRANTED, result_number="前人社认〔2026〕001号",
        opinion="同意认定", now=at(D(2026, 10, 12)),
    )  # fmt: skip
    assert (case.state, case.decision, case.current_step) == (CaseState.READY, Decision.GRANTED, "")
    assert (case.result_name, case.result_number) == (
        "就业困难人员认定结果（就业创业证就业援助栏）",
        "前人社认〔2026〕001号",
    )
    assert len(case.pickup_code) == 6
    assert case.pickup_code.isdigit()
    assert (case.decided_by, case.released_at) == (hall.approver, at(D(2026, 10, 12)))
    kinds = list(case.events.values_list("kind", flat=True))
    assert kinds[-2:] == [EventKind.DECIDED, EventKind.RELEASED]
    decided = case.events.get(kind=EventKind.DECIDED)
    assert (decided.step, decided.opinion, decided.to_state) == (Step.APPROVE, "同意认定", CaseState.DECIDED)


def test_it_keeps_the_clock_as_it_was_at_the_decision(hall):
    case = hall.at_approval()
    case = services.case_decide(
        case=case, user=hall.approver, decision=Decision.GRANTED, result_number="1", now=at(D(2026, 10, 21))
    )
    assert (case.remaining_working_days, case.warning) == (-1, "red")


def test_it_needs_a_reason_to_refuse(hall):
    case = hall.at_approval()
    with pytest.raises(CaseError, match="第三十八条") as refused:
        services.case_decide(
            case=case, user=hall.approver, decision=Decision.REFUSED, result_number="前人社不认〔2026〕1号"
        )
    assert refused.value.field == "opinion"
    case = services.case_decide(
        case=case, user=hall.approver, decision=Decision.REFUSED, result_number="前人社不认〔2026〕1号",
        opinion="不符合就业困难人员认定条件",
    )  # fmt: skip
    assert (case.decision, case.result_name, case.state) == (Decision.REFUSED, "不予许可决定书", CaseState.READY)


def test_it_needs_a_document_number_and_a_decision(hall):
    case = hall.at_approval()
    with pytest.raises(CaseError) as no_number:
        services.case_decide(case=case, user=hall.approver, decision=Decision.GRANTED, result_number="")
    with pytest.raises(CaseError) as no_decision:
        services.case_decide(case=case, user=hall.approver, decision="yes", result_number="1")
    assert (no_number.value.field, no_decision.value.field) == ("result_number", "decision")


def test_it_refuses_to_decide_before_the_approve_step(hall):
    with pytest.raises(CaseError, match="到批准环节才能作出决定"):
        services.case_decide(case=hall.transferred(), user=hall.approver, decision=Decision.GRANTED, result_number="1")


def test_it_refuses_to_decide_a_promised_case_at_the_window(hall):
    with pytest.raises(CaseError, match="须转办到审批部门"):
        services.case_decide(
            case=hall.accepted(HARDSHIP), user=hall.officer, decision=Decision.GRANTED, result_number="1"
        )


def test_it_decides_an_immediate_case_at_the_window(hall):
    case = services.case_decide(
        case=hall.accepted(EMPLOYMENT_CARD), user=hall.officer, decision=Decision.GRANTED,
        result_number="230804202600017", now=ACCEPTED_AT,
    )  # fmt: skip
    assert (case.state, case.result_name, case.decided_by) == (CaseState.READY, "就业创业证", hall.officer)


def test_it_refuses_an_approver_deciding_an_immediate_case(hall, make_staff):
    with pytest.raises(CaseError) as refused:
        services.case_decide(
            case=hall.accepted(EMPLOYMENT_CARD), user=hall.approver, decision=Decision.GRANTED, result_number="1"
        )
    assert refused.value.status == 403


def test_it_lists_what_a_user_may_do_now(hall):
    case = hall.transferred()
    for user, allowed in [
        (hall.approver, {"step_pass", "suspend"}),
        (hall.other_approver, set()),
        (hall.officer, set()),
    ]:
        checks = services.case_actions(case=case, user=user)
        assert {c.action for c in checks if c.allowed} == allowed
    reasons = {c.action: c.reason for c in services.case_actions(case=case, user=hall.officer)}
    assert reasons["step_pass"] == f"需要{Role.APPROVER.label}岗位"
    assert reasons["terminate"] == "办件没有待补交的容缺材料"
