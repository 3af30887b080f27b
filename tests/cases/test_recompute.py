"""The nightly run, by time travel: colours on the right days, step overruns, 容缺 and 补正 that never come."""

import io

import pytest
from django.core.management import CommandError, call_command

from quangangtong.cases import services
from quangangtong.cases.lifecycle import CaseState
from quangangtong.cases.models import CaseRules, EventKind, ItemClockRule, MaterialStatus

from .conftest import ACCEPTED_AT, BENEFIT, HARDSHIP, D, at

pytestmark = pytest.mark.django_db


def _night(day):
    return services.cases_recompute(today=day, now=at(day, 1))


def _colour_on(case, day):
    _night(day)
    case.refresh_from_db()
    return case.warning, case.remaining_working_days


def test_it_turns_a_five_day_promise_yellow_and_red_on_the_right_days(hall):
    case = hall.transferred(BENEFIT)  # accepted 09-30, due 10-13
    assert [_colour_on(case, day) for day in (D(2026, 10, 9), D(2026, 10, 10), D(2026, 10, 13), D(2026, 10, 14))] == [
        ("green", 3), ("yellow", 2), ("yellow", 0), ("red", -1)
    ]  # fmt: skip


def test_it_records_an_event_only_when_the_colour_changes(hall):
    case = hall.transferred(BENEFIT)
    for day in (D(2026, 10, 9), D(2026, 10, 10), D(2026, 10, 12), D(2026, 10, 12), D(2026, 10, 14)):
        _night(day)
    changes = case.events.filter(kind=EventKind.WARNING_CHANGED)
    assert [(e.detail["before"], e.detail["after"], e.actor, e.actor_role) for e in changes] == [
        ("green", "yellow", None, "系统"), ("yellow", "red", None, "系统")
    ]  # fmt: skip


def test_it_is_idempotent_on_the_same_day(hall):
    case = hall.transferred(BENEFIT)
    first = _night(D(2026, 10, 14))
    events, version = case.events.count(), case.version
    second = _night(D(2026, 10, 14))
    case.refresh_from_db()
    assert (first.warnings_changed, second.warnings_changed) == (1, 0)
    assert (case.events.count(), case.version) == (events, version)


def test_it_freezes_a_suspended_cases_remaining_days(hall):
    case = hall.transferred(BENEFIT)
    services.case_suspend(case=case, user=hall.approver, kind="testing", reason="送检", now=at(D(2026, 10, 9)))
    assert _colour_on(case, D(2026, 10, 9)) == ("green", 3)
    assert _colour_on(case, D(2026, 10, 20)) == ("green", 3)
    case.refresh_from_db()
    assert case.promised_due == D(2026, 10, 23)


def test_it_flags_a_step_that_overruns_its_share_once(hall):
    case = hall.transferred(HARDSHIP)  # 10-day promise; 承办 gets 5 working days, to 10-13
    _night(D(2026, 10, 13))
    case.refresh_from_db()
    assert (case.warning, case.step_overdue) == ("green", False)
    _night(D(2026, 10, 14))
    _night(D(2026, 10, 15))
    case.refresh_from_db()
    assert (case.warning, case.step_overdue, case.remaining_working_days) == ("yellow", True, 3)
    overruns = case.events.filter(kind=EventKind.STEP_OVERRUN)
    assert [(e.step, e.detail["step_due"]) for e in overruns] == [("handle", "2026-10-13")]


def test_it_clears_the_overrun_when_the_step_passes(hall):
    case = hall.transferred(HARDSHIP)
    _night(D(2026, 10, 14))
    case = services.case_step_pass(case=case, user=hall.approver, opinion="同意", now=at(D(2026, 10, 14)))
    assert (case.step_overdue, case.warning, case.step_due) == (False, "green", D(2026, 10, 19))  # 审核: 30 % = 3 days


def test_it_uses_the_items_own_thresholds(hall):
    ItemClockRule.objects.create(item=hall.item(HARDSHIP), yellow_days=5)
    case = hall.transferred(HARDSHIP)  # due 10-20
    services.case_step_pass(case=case, user=hall.approver, opinion="同意", now=at(D(2026, 10, 12)))
    assert _colour_on(case, D(2026, 10, 12))[0] == "green"
    assert _colour_on(case, D(2026, 10, 13))[0] == "yellow"  # 5 left: 14, 15, 16, 19, 20


def test_it_uses_the_sites_rules(hall):
    CaseRules.objects.create(site=hall.site, yellow_days=None, yellow_percent=None, handle_share=100,
                             review_share=0, approve_share=0)  # fmt: skip
    case = hall.transferred(BENEFIT)
    assert _colour_on(case, D(2026, 10, 13))[0] == "green"


def test_it_terminates_a_case_whose_deferred_material_is_late(hall):
    case = hall.receive_all(hall.open(BENEFIT), but=["解除"])
    services.case_material_mark(
        case=case, user=hall.officer, material=case.materials.get(name__contains="解除"),
        status=MaterialStatus.DEFERRED,
        promise="承诺补交", promise_due=D(2026, 10, 9), now=ACCEPTED_AT,
    )  # fmt: skip
    case = services.case_transfer(
        case=services.case_accept_with_promise(case=case, user=hall.officer, now=ACCEPTED_AT), user=hall.officer,
        now=ACCEPTED_AT,
    )  # fmt: skip
    _night(D(2026, 10, 9))
    case.refresh_from_db()
    assert case.state == CaseState.REVIEWING
    summary = _night(D(2026, 10, 10))
    case.refresh_from_db()
    assert (summary.terminated, case.state, case.closed_at) == (1, CaseState.TERMINATED, at(D(2026, 10, 10), 1))
    assert case.events.get(kind=EventKind.TERMINATED).detail["materials"] == [
        {"name": "与原单位解除或终止劳动关系的证明", "due": "2026-10-09"}
    ]


def test_it_closes_a_correction_never_answered_after_the_wait(hall):
    case = hall.receive_all(hall.open(HARDSHIP), but=["就业创业证"])
    notice = services.case_request_correction(case=case, user=hall.officer, now=ACCEPTED_AT)
    _night(notice.return_by)
    case.refresh_from_db()
    assert case.state == CaseState.CORRECTION
    summary = _night(D(2026, 11, 4))
    case.refresh_from_db()
    assert (summary.abandoned, case.state) == (1, CaseState.CORRECTION_ABANDONED)
    assert case.events.filter(kind=EventKind.CORRECTION_ABANDONED).count() == 1


def test_it_waits_as_long_as_the_site_says(hall):
    CaseRules.objects.create(site=hall.site, correction_wait_days=3)
    case = hall.receive_all(hall.open(HARDSHIP), but=["就业创业证"])
    notice = services.case_request_correction(case=case, user=hall.officer, now=ACCEPTED_AT)
    assert notice.return_by == D(2026, 10, 10)


def test_it_leaves_finished_and_decided_cases_alone(hall):
    delivered = hall.delivered(BENEFIT)
    summary = _night(D(2026, 12, 1))
    delivered.refresh_from_db()
    assert summary.checked == 0
    assert delivered.warning == "green"


def test_the_command_recomputes_on_a_given_date_and_reports(hall):
    case = hall.transferred(BENEFIT)
    out = io.StringIO()
    call_command("cases_recompute", "--date", "2026-10-14", stdout=out)
    case.refresh_from_db()
    assert case.warning == "red"
    assert "2026-10-14：检查在办办件 1 件" in out.getvalue()
    assert "红灯（已超期）1件" in out.getvalue()


@pytest.mark.parametrize("date", ["2026/10/14", "2999-01-01"])
def test_the_command_refuses_a_bad_or_future_date(db, date):
    with pytest.raises(CommandError, match="--date"):
        call_command("cases_recompute", "--date", date, stdout=io.StringIO())
