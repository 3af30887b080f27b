"""督办, cards, full views of identity numbers, and the lists pages read (inbox, supervision, ledger)."""

import pytest

from quangangtong.accounts.roles import Role
from quangangtong.cases import services
from quangangtong.cases.errors import CaseError
from quangangtong.cases.lifecycle import CaseState
from quangangtong.cases.models import Case, CaseEvent, EventKind, IdentityField, IdentityView

from .conftest import ACCEPTED_AT, BENEFIT, EMPLOYMENT_CARD, HARDSHIP, PERSON_ID, D, at

pytestmark = pytest.mark.django_db


def _red(hall, code=BENEFIT):
    case = hall.transferred(code)
    services.cases_recompute(today=D(2026, 10, 14), now=at(D(2026, 10, 14), 1))
    case.refresh_from_db()
    assert case.warning == "red"
    return case


# --- 督办 ---------------------------------------------------------------------------------------


def test_it_issues_an_urge_notice_to_the_department_with_a_default_reply_date(hall):
    case = _red(hall)
    supervision = services.supervision_issue(
        case=case, user=hall.supervisor, content="已超承诺时限，请于两个工作日内办结并说明原因", now=at(D(2026, 10, 14))
    )
    assert (supervision.department, supervision.reply_due) == (hall.rsj, D(2026, 10, 16))
    event = case.events.get(kind=EventKind.SUPERVISION_ISSUED)
    assert (event.actor, event.department, event.actor_role) == (hall.supervisor, hall.rsj, "督查人员")


def test_it_shows_the_urge_notice_on_the_departments_inbox(hall):
    urged = _red(hall)
    calm = hall.transferred(HARDSHIP)
    services.supervision_issue(case=urged, user=hall.supervisor, content="请尽快办结")
    inbox = list(services.department_inbox(department=hall.rsj))
    assert [c.number for c in inbox] == [urged.number, calm.number]
    assert (inbox[0].open_supervisions, inbox[1].open_supervisions) == (1, 0)
    assert [c.number for c in services.approver_inbox(user=hall.approver)] == [urged.number, calm.number]
    assert list(services.approver_inbox(user=hall.other_approver)) == []


def test_it_takes_the_departments_reply_once(hall):
    supervision = services.supervision_issue(case=_red(hall), user=hall.supervisor, content="请尽快办结")
    with pytest.raises(CaseError) as outsider:
        services.supervision_reply(supervision=supervision, user=hall.other_approver, reply="已办结")
    reply = services.supervision_reply(
        supervision=supervision, user=hall.approver, reply="已于今日办结", now=at(D(2026, 10, 15))
    )
    assert (reply.reply, reply.replied_by, outsider.value.status) == ("已于今日办结", hall.approver, 403)
    with pytest.raises(CaseError, match="已于"):
        services.supervision_reply(supervision=supervision, user=hall.approver, reply="补充说明")
    assert CaseEvent.objects.get(kind=EventKind.SUPERVISION_REPLIED).detail["late"] is False
    assert next(iter(services.department_inbox(department=hall.rsj))).open_supervisions == 0


def test_it_lets_only_supervisors_urge(hall):
    with pytest.raises(CaseError) as refused:
        services.supervision_issue(case=_red(hall), user=hall.officer, content="请尽快办结")
    assert refused.value.status == 403


def test_it_refuses_to_urge_a_finished_case_or_with_a_past_reply_date(hall):
    with pytest.raises(CaseError, match="无需督办"):
        services.supervision_issue(case=hall.delivered(), user=hall.supervisor, content="请尽快办结")
    with pytest.raises(CaseError) as refused:
        services.supervision_issue(
            case=hall.transferred(), user=hall.supervisor, content="请尽快办结", reply_due=D(2026, 9, 1)
        )
    assert refused.value.field == "reply_due"


# --- cards --------------------------------------------------------------------------------------


def test_it_issues_and_revokes_a_card_keeping_both_on_the_history(hall):
    case = _red(hall)
    card = services.card_issue(
        case=case, user=hall.supervisor, colour="red", reason="超过承诺时限未办结", now=at(D(2026, 10, 14))
    )
    assert (card.colour, card.department, card.revoked_at) == ("red", hall.rsj, None)
    card = services.card_revoke(
        card=card, user=hall.supervisor, reason="经核实系申请人原因延误", now=at(D(2026, 10, 15))
    )
    assert (card.revoked_at, card.revoke_reason) == (at(D(2026, 10, 15)), "经核实系申请人原因延误")
    assert list(case.events.filter(kind__in=[EventKind.CARD_ISSUED, EventKind.CARD_REVOKED]).values_list(
        "kind", flat=True)) == [EventKind.CARD_ISSUED, EventKind.CARD_REVOKED]  # fmt: skip
    with pytest.raises(CaseError, match="已于"):
        services.card_revoke(card=card, user=hall.supervisor, reason="再次撤销")


def test_it_refuses_an_unknown_colour_or_a_missing_reason(hall):
    case = _red(hall)
    with pytest.raises(CaseError) as colour:
        services.card_issue(case=case, user=hall.supervisor, colour="green", reason="x")
    with pytest.raises(CaseError) as reason:
        services.card_issue(case=case, user=hall.supervisor, colour="yellow", reason="")
    assert (colour.value.field, reason.value.field) == ("colour", "reason")


# --- full views of identity numbers -------------------------------------------------------------


def test_it_reveals_the_full_number_and_logs_who_why_and_when(hall):
    case = hall.open()
    value = services.case_identity_reveal(
        case=case, user=hall.officer, field=IdentityField.ID_NUMBER, reason="核验领取人身份", now=ACCEPTED_AT
    )
    assert value == PERSON_ID
    view = IdentityView.objects.get()
    assert (view.user, view.case, view.field, view.reason, view.viewed_at, view.role) == (
        hall.officer, case, "id_number", "核验领取人身份", ACCEPTED_AT, "综合窗口人员"
    )  # fmt: skip
    event = case.events.get(kind=EventKind.IDENTITY_VIEWED)
    assert PERSON_ID not in str(event.detail)


@pytest.mark.parametrize("role", [Role.GUIDE, Role.INSPECTOR, Role.HALL_MANAGER])
def test_it_refuses_roles_that_do_not_need_the_full_number(hall, make_staff, role):
    with pytest.raises(CaseError) as refused:
        services.case_identity_reveal(case=hall.open(), user=make_staff(role), field="id_number", reason="好奇")
    assert refused.value.status == 403
    assert not IdentityView.objects.exists()


def test_it_lets_approvers_see_only_their_departments_cases(hall):
    case = hall.transferred()
    assert (
        services.case_identity_reveal(case=case, user=hall.approver, field="phone", reason="电话核实") == "13800138000"
    )
    with pytest.raises(CaseError) as refused:
        services.case_identity_reveal(case=case, user=hall.other_approver, field="phone", reason="电话核实")
    assert refused.value.status == 403


def test_it_needs_a_reason_and_a_known_field(hall):
    case = hall.open()
    with pytest.raises(CaseError) as no_reason:
        services.case_identity_reveal(case=case, user=hall.officer, field="id_number", reason="")
    with pytest.raises(CaseError) as bad_field:
        services.case_identity_reveal(case=case, user=hall.officer, field="applicant_name", reason="x")
    with pytest.raises(CaseError) as empty:
        services.case_identity_reveal(case=case, user=hall.officer, field="agent_id_number", reason="x")
    assert (no_reason.value.field, bad_field.value.field, empty.value.status) == ("reason", "field", 404)
    assert not IdentityView.objects.exists()


# --- lists --------------------------------------------------------------------------------------


def test_it_lists_yellow_and_red_running_cases_for_supervisors_reddest_first(hall):
    red = hall.transferred(BENEFIT)
    yellow = hall.transferred(HARDSHIP, now=at(D(2026, 10, 8)))
    hall.transferred(HARDSHIP, now=at(D(2026, 10, 14)))  # green
    done = hall.delivered(BENEFIT)
    services.cases_recompute(today=D(2026, 10, 19))
    numbers = [c.number for c in services.cases_for_supervision(site=hall.site)]
    assert numbers == [red.number, yellow.number]
    assert done.number not in numbers


def test_it_builds_the_ledger_of_accepted_promised_cases_with_filters(hall):
    first = hall.transferred(BENEFIT)
    second = hall.delivered(HARDSHIP, now=at(D(2026, 10, 9)))
    hall.accepted(EMPLOYMENT_CARD)  # 即办件: not in the ledger
    hall.open(HARDSHIP)  # not accepted: not in the ledger
    assert [c.number for c in services.cases_ledger()] == [first.number, second.number]
    assert [c.number for c in services.cases_ledger(delivered=True)] == [second.number]
    assert [c.number for c in services.cases_ledger(delivered=False)] == [first.number]
    assert [c.number for c in services.cases_ledger(state=CaseState.REVIEWING)] == [first.number]
    assert [c.number for c in services.cases_ledger(accepted_from=D(2026, 10, 9))] == [second.number]
    assert [c.number for c in services.cases_ledger(accepted_to=D(2026, 9, 30))] == [first.number]
    assert [c.number for c in services.cases_ledger(department=hall.mzj)] == []


@pytest.mark.parametrize(
    ("filters", "field"),
    [
        ({"state": "lost"}, "state"),
        ({"warning": "blue"}, "warning"),
        ({"pickup_method": "drone"}, "pickup_method"),
        ({"accepted_from": D(2026, 10, 9), "accepted_to": D(2026, 10, 8)}, "accepted_from"),
    ],
)
def test_it_refuses_ledger_filters_it_cannot_use(hall, filters, field):
    with pytest.raises(CaseError) as refused:
        services.cases_ledger(**filters)
    assert (refused.value.status, refused.value.field) == (400, field)


def test_it_finds_a_case_by_number(hall):
    case = hall.open()
    assert services.case_get(number=f" {case.number} ") == case
    with pytest.raises(CaseError) as refused:
        services.case_get(number="QJQ-HALL-20260930-9999")
    assert refused.value.status == 404
    assert Case.objects.count() == 1


# --- the public progress page -------------------------------------------------------------------


def test_it_finds_a_case_by_number_and_the_last_four_phone_digits(hall):
    case = hall.open()
    assert services.case_public_lookup(number=case.number.lower(), phone_last4="8000") == case


@pytest.mark.parametrize(("number", "last4"), [("right", "8001"), ("right", ""), ("right", "08000"), ("QJQ-X", "8000")])
def test_it_answers_a_wrong_pair_like_an_unknown_number(hall, number, last4):
    case = hall.open()
    assert services.case_public_lookup(number=case.number if number == "right" else number, phone_last4=last4) is None


def test_it_opens_a_case_from_its_signed_token_only(hall):
    case = hall.open()
    token = services.case_public_token(case)
    assert services.case_from_public_token(token) == case
    assert services.case_from_public_token(token[:-1] + ("A" if token[-1] != "A" else "B")) is None
    assert services.case_from_public_token(case.number) is None


def test_it_shows_the_public_the_milestones_without_names_or_opinions(hall):
    case = hall.transferred()
    services.case_step_pass(case=case, user=hall.approver, opinion="内部意见", now=at(D(2026, 10, 8)))
    services.case_identity_reveal(case=case, user=hall.officer, field="id_number", reason="核验")
    assert services.case_public_timeline(case) == [
        (ACCEPTED_AT, "收件", ""), (ACCEPTED_AT, "受理", ""), (ACCEPTED_AT, "转办", ""),
        (at(D(2026, 10, 8)), "环节通过", "承办"),
    ]  # fmt: skip
