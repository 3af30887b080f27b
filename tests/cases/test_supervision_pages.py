"""The supervisor's pages: yellow and red cases, 督办单 to the department, yellow and red cards and their revocation."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from quangangtong.accounts.roles import Role
from quangangtong.cases import services
from quangangtong.cases.models import Card, EventKind, Supervision
from quangangtong.workdays.services import WorkdayCalendar

from .conftest import BENEFIT, COMPANY, HARDSHIP, at

pytestmark = pytest.mark.django_db


def _list(client, **filters):
    return client.get(reverse("office-supervision"), filters)


def _post(client, case, action, **data):
    return client.post(reverse("office-case-action", args=[case.number, action]), data)


def _recompute():
    services.cases_recompute(today=timezone.localdate())


@pytest.fixture
def supervisor(client, hall):
    client.force_login(hall.supervisor)
    return client


@pytest.fixture
def lights(hall):
    """A red, a yellow and a green case of 区人社局, and a red one of 区市场监管局, with today's colours stored."""
    yellow_on = WorkdayCalendar().add_working_days(timezone.localdate(), -8)
    cases = {
        "red": hall.transferred(BENEFIT),
        "yellow": hall.transferred(HARDSHIP, now=at(yellow_on)),
        "green": hall.transferred(HARDSHIP, now=timezone.now()),
        "company": hall.transferred(
            COMPANY,
            applicant_kind="legal",
            applicant_name="前进科技有限公司",
            id_number="",
            credit_code="91230804MA1B2C3D47",
            legal_representative="李四",
        ),
    }
    _recompute()
    return cases


# --- the list -----------------------------------------------------------------------------------


def test_it_lists_the_yellow_and_red_cases_most_urgent_first(lights, supervisor):
    response = _list(supervisor)
    numbers = [case.number for case in response.context["cases"]]
    assert set(numbers) == {lights["red"].number, lights["yellow"].number, lights["company"].number}
    assert numbers[-1] == lights["yellow"].number
    assert "红灯（已超期）" in response.content.decode()
    assert "黄灯（临近时限）" in response.content.decode()


def test_it_filters_by_colour_department_and_open_urge_notices(lights, supervisor, hall):
    red, company = lights["red"], lights["company"]
    assert [c.number for c in _list(supervisor, warning="yellow").context["cases"]] == [lights["yellow"].number]
    by_department = _list(supervisor, department=company.department.code).context["cases"]
    assert [c.number for c in by_department] == [company.number]
    services.supervision_issue(case=red, user=hall.supervisor, content="请尽快办结")
    assert [c.number for c in _list(supervisor, urged="open").context["cases"]] == [red.number]
    assert red.number not in [c.number for c in _list(supervisor, urged="none").context["cases"]]
    assert [c.number for c in _list(supervisor, number=red.number.lower()).context["cases"]] == [red.number]


def test_it_refuses_an_unknown_filter_in_chinese(lights, supervisor):
    response = _list(supervisor, warning="green")
    assert response.status_code == 400
    assert "预警：请选择黄灯或红灯。" in response.content.decode()
    response = _list(supervisor, department="nowhere")
    assert response.status_code == 400
    assert "部门：请从列表中选择。" in response.content.decode()


@pytest.mark.parametrize("role", [Role.APPROVER, Role.WINDOW_OFFICER, Role.HALL_MANAGER])
def test_it_refuses_the_list_to_other_roles(hall, client_for, role):
    assert _list(client_for(role)).status_code == 403


# --- 督办 ---------------------------------------------------------------------------------------


def test_it_issues_an_urge_notice_shown_on_the_departments_inbox_and_in_the_history(lights, supervisor, client, hall):
    red = lights["red"]
    reply_due = WorkdayCalendar().add_working_days(timezone.localdate(), 3)
    response = _post(supervisor, red, "supervision-issue", content="已超承诺时限，请说明原因", reply_due=reply_due)
    assert response.status_code == 302
    supervision = Supervision.objects.get(case=red)
    assert (supervision.department, supervision.reply_due) == (hall.rsj, reply_due)
    assert f"督办单已发给{hall.rsj.short_name}" in supervisor.get(response["Location"]).content.decode()
    history = red.events.get(kind=EventKind.SUPERVISION_ISSUED)
    assert (history.actor, history.opinion) == (hall.supervisor, "已超承诺时限，请说明原因")
    client.force_login(hall.approver)
    inbox = client.get(reverse("office-inbox")).content.decode()
    assert "已超承诺时限，请说明原因" in inbox
    assert f"请于 {reply_due:%Y-%m-%d} 前回复" in inbox
    page = client.get(reverse("office-case", args=[red.number])).content.decode()
    assert 'data-kind="supervision_issued"' in page
    assert f"回复期限 {reply_due:%Y-%m-%d}" in page


def test_it_shows_the_departments_reply_to_the_supervisor(lights, supervisor, hall):
    red = lights["red"]
    supervision = services.supervision_issue(case=red, user=hall.supervisor, content="请尽快办结")
    services.supervision_reply(supervision=supervision, user=hall.approver, reply="已补齐材料，明日办结")
    page = supervisor.get(reverse("office-case", args=[red.number])).content.decode()
    assert "已补齐材料，明日办结" in page
    assert 'data-kind="supervision_replied"' in page


def test_it_uses_the_sites_default_reply_date_when_none_is_given(lights, supervisor):
    assert _post(supervisor, lights["red"], "supervision-issue", content="请尽快办结", reply_due="").status_code == 302
    expected = WorkdayCalendar().add_working_days(timezone.localdate(), 2)
    assert Supervision.objects.get().reply_due == expected


def test_it_refuses_an_urge_notice_without_content_or_with_a_past_date(lights, supervisor):
    red = lights["red"]
    empty = _post(supervisor, red, "supervision-issue", content="")
    assert empty.status_code == 400
    assert 'id="supervision-content-error">督办内容' in empty.content.decode()
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    past = _post(supervisor, red, "supervision-issue", content="请尽快办结", reply_due=yesterday.isoformat())
    assert past.status_code == 400
    assert 'id="supervision-reply-due-error">回复期限' in past.content.decode()
    garbled = _post(supervisor, red, "supervision-issue", content="请尽快办结", reply_due="下周一")
    assert garbled.status_code == 400
    assert "请按“2026-10-16”的格式填写日期" in garbled.content.decode()
    assert 'value="下周一"' in garbled.content.decode()
    assert not Supervision.objects.exists()


def test_it_refuses_to_urge_a_delivered_case(hall, supervisor):
    case = hall.delivered()
    assert (
        'id="supervision-issue-refused">办件已“已送达”，无需督办'
        in supervisor.get(reverse("office-case", args=[case.number])).content.decode()
    )
    response = _post(supervisor, case, "supervision-issue", content="请尽快办结")
    assert response.status_code == 409
    assert "无需督办" in response.content.decode()


def test_it_refuses_an_urge_notice_from_an_approver(lights, client, hall):
    client.force_login(hall.approver)
    response = _post(client, lights["red"], "supervision-issue", content="请尽快办结")
    assert response.status_code == 403
    assert "您的岗位无权督办" in response.content.decode()


# --- cards --------------------------------------------------------------------------------------


def test_it_issues_and_revokes_a_card_keeping_both_in_the_history(lights, supervisor, hall):
    red = lights["red"]
    assert _post(supervisor, red, "card-issue", colour="red", reason="超过承诺时限未办结").status_code == 302
    card = Card.objects.get(case=red)
    assert (card.colour, card.department, card.reason) == ("red", hall.rsj, "超过承诺时限未办结")
    page = supervisor.get(reverse("office-case", args=[red.number])).content.decode()
    assert f'id="btn-card-revoke-{card.pk}"' in page
    response = _post(supervisor, red, "card-revoke", card=card.pk, reason="经核实系申请人原因延误")
    assert response.status_code == 302
    card.refresh_from_db()
    assert (card.revoked_by, card.revoke_reason) == (hall.supervisor, "经核实系申请人原因延误")
    page = supervisor.get(reverse("office-case", args=[red.number])).content.decode()
    assert 'data-kind="card_issued"' in page
    assert 'data-kind="card_revoked"' in page
    assert "已撤销" in page
    assert f'id="btn-card-revoke-{card.pk}"' not in page


def test_it_refuses_a_card_without_a_reason_or_colour(lights, supervisor):
    red = lights["red"]
    response = _post(supervisor, red, "card-issue", colour="yellow", reason="")
    assert response.status_code == 400
    assert 'id="card-reason-error">亮牌理由' in response.content.decode()
    response = _post(supervisor, red, "card-issue", colour="green", reason="超期")
    assert response.status_code == 400
    assert 'id="card-colour-error">颜色：请选择黄牌或红牌。' in response.content.decode()
    assert not Card.objects.exists()


def test_it_refuses_a_revocation_without_a_reason_or_twice(lights, supervisor, hall):
    card = services.card_issue(case=lights["red"], user=hall.supervisor, colour="yellow", reason="环节超时")
    empty = _post(supervisor, lights["red"], "card-revoke", card=card.pk, reason="")
    assert empty.status_code == 400
    assert f'id="card-revoke-reason-{card.pk}-error">撤销理由' in empty.content.decode()
    services.card_revoke(card=card, user=hall.supervisor, reason="误发")
    again = _post(supervisor, lights["red"], "card-revoke", card=card.pk, reason="再次撤销")
    assert again.status_code == 409
    assert "该黄牌已于" in again.content.decode()


def test_it_shows_the_active_cards_on_the_list(lights, supervisor, hall):
    services.card_issue(case=lights["red"], user=hall.supervisor, colour="red", reason="超期")
    assert '<span class="tag">红牌</span>' in _list(supervisor).content.decode()


# --- who may act --------------------------------------------------------------------------------


def test_it_lets_a_hall_manager_read_a_case_but_not_act(lights, client, make_staff):
    client.force_login(make_staff(Role.HALL_MANAGER))
    page = client.get(reverse("office-case", args=[lights["red"].number]))
    assert page.status_code == 200
    assert 'id="form-card-issue"' not in page.content.decode()
    assert _post(client, lights["red"], "card-issue", colour="red", reason="超期").status_code == 403


def test_it_lists_a_case_that_turned_red_before_the_nightly_run_stored_it(hall, supervisor):
    case = hall.transferred(BENEFIT)  # stored green at transfer on 2026-09-30; overdue since 10-14
    assert case.warning == "green"
    assert [c.number for c in _list(supervisor).context["cases"]] == [case.number]
