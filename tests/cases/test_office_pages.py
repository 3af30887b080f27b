"""The approver's pages: the department inbox and the case page with its actions, each refused in Chinese."""

import pytest
from django.urls import reverse
from django.utils import timezone

from quangangtong.accounts.roles import Role
from quangangtong.cases import services
from quangangtong.cases.lifecycle import CaseState, Step
from quangangtong.cases.models import EventKind, IdentityView, Suspension
from quangangtong.workdays.services import WorkdayCalendar

from .conftest import BENEFIT, HARDSHIP, PERSON_ID, PHONE, at

pytestmark = pytest.mark.django_db


def _inbox(client):
    return client.get(reverse("office-inbox"))


def _page(client, case):
    return client.get(reverse("office-case", args=[case.number]))


def _post(client, case, action, **data):
    case.refresh_from_db()
    data.setdefault("expected_version", case.version)
    return client.post(reverse("office-case-action", args=[case.number, action]), data)


def _yellow(hall):
    """Return a 10-day case accepted 8 working days ago: 2 working days left today, so yellow."""
    accepted_on = WorkdayCalendar().add_working_days(timezone.localdate(), -8)
    return hall.transferred(HARDSHIP, now=at(accepted_on))


@pytest.fixture
def approver(client, hall):
    client.force_login(hall.approver)
    return client


# --- the inbox ----------------------------------------------------------------------------------


def test_it_lists_the_departments_cases_most_urgent_first_with_the_colour_in_words(hall, approver):
    green = hall.transferred(HARDSHIP, now=timezone.now())
    red = hall.transferred(BENEFIT)  # 5-day promise from 2026-09-30: overdue long ago
    yellow = _yellow(hall)
    response = _inbox(approver)
    rows = response.context["cases"]
    assert [case.number for case in rows] == [red.number, yellow.number, green.number]
    assert [case.clock_warning for case in rows] == ["red", "yellow", "green"]
    content = response.content.decode()
    for words in ("红灯（已超期）", "黄灯（临近时限）", "绿灯（正常）", "超期"):
        assert words in content


def test_it_masks_the_applicant_on_the_inbox(hall, approver):
    hall.transferred(applicant_name="张三丰")
    content = _inbox(approver).content.decode()
    assert "张*丰" in content
    assert "张三丰" not in content
    assert PERSON_ID not in content


def test_it_highlights_an_open_urge_notice_with_its_content_and_reply_date(hall, approver):
    case = hall.transferred(BENEFIT)
    supervision = services.supervision_issue(case=case, user=hall.supervisor, content="已超期，请说明原因并尽快办结")
    content = _inbox(approver).content.decode()
    assert f'data-supervision="{supervision.pk}"' in content
    assert "已超期，请说明原因并尽快办结" in content
    assert f"请于 {supervision.reply_due:%Y-%m-%d} 前回复" in content


def test_it_shows_no_case_of_another_department(hall, client):
    hall.transferred()
    client.force_login(hall.other_approver)
    response = _inbox(client)
    assert response.context["cases"] == []
    assert "目前没有等待本部门审批的办件" in response.content.decode()


def test_it_tells_an_approver_without_a_department_how_to_join_one(hall, client, make_staff):
    client.force_login(make_staff(Role.APPROVER))
    assert "您还没有加入任何审批部门" in _inbox(client).content.decode()


@pytest.mark.parametrize("role", [Role.WINDOW_OFFICER, Role.SUPERVISOR, Role.GUIDE])
def test_it_refuses_the_inbox_to_other_roles(hall, client_for, role):
    assert _inbox(client_for(role)).status_code == 403


def test_it_sends_an_anonymous_visitor_to_sign_in(hall, client):
    response = _inbox(client)
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


# --- who sees a case ----------------------------------------------------------------------------


def test_it_refuses_the_case_to_an_approver_of_another_department(hall, client):
    case = hall.transferred()
    client.force_login(hall.other_approver)
    assert _page(client, case).status_code == 403
    assert _post(client, case, "step-pass", opinion="同意").status_code == 403
    case.refresh_from_db()
    assert case.current_step == Step.HANDLE


def test_it_refuses_the_case_page_to_a_window_officer(hall, client):
    client.force_login(hall.officer)
    assert _page(client, hall.transferred()).status_code == 403


def test_it_answers_404_for_an_unknown_case(hall, approver):
    assert approver.get(reverse("office-case", args=["QJQ-HALL-20990101-0001"])).status_code == 404


def test_it_shows_the_case_with_materials_timeline_and_masked_numbers(hall, approver):
    case = hall.transferred()
    response = _page(approver, case)
    content = response.content.decode()
    assert response.status_code == 200
    assert case.masked_id_number in content
    assert PERSON_ID not in content
    assert case.masked_phone in content
    assert PHONE not in content
    assert all(material.name in content for material in case.materials.all())
    assert 'data-kind="transferred"' in content
    assert "转至" in content


# --- revealing a number -------------------------------------------------------------------------


def test_it_reveals_the_full_number_once_with_a_reason_and_logs_it(hall, approver):
    case = hall.transferred()
    response = _post(approver, case, "reveal", field="id_number", reason="核对申请表中的证件号码")
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    assert f'id="revealed-value">{PERSON_ID}<' in response.content.decode()
    view = IdentityView.objects.get()
    assert (view.user, view.field, view.reason) == (hall.approver, "id_number", "核对申请表中的证件号码")
    assert PERSON_ID not in _page(approver, case).content.decode()


def test_it_refuses_to_reveal_without_a_reason(hall, approver):
    response = _post(approver, hall.transferred(), "reveal", field="id_number", reason="")
    content = response.content.decode()
    assert response.status_code == 400
    assert 'id="reveal-reason-error"' in content
    assert "查看事由" in content
    assert PERSON_ID not in content
    assert not IdentityView.objects.exists()


# --- steps --------------------------------------------------------------------------------------


def test_it_passes_a_step_with_an_opinion(hall, approver):
    case = hall.transferred()
    response = _post(approver, case, "step-pass", opinion="材料齐全，符合认定条件")
    assert response.status_code == 302
    assert response["Location"] == reverse("office-case", args=[case.number])
    case.refresh_from_db()
    assert case.current_step == Step.REVIEW
    event = case.events.get(kind=EventKind.STEP_PASSED)
    assert (event.actor, event.opinion) == (hall.approver, "材料齐全，符合认定条件")
    assert "承办环节已通过，转入审核环节" in approver.get(response["Location"]).content.decode()


def test_it_refuses_a_pass_without_an_opinion_next_to_the_field(hall, approver):
    case = hall.transferred()
    response = _post(approver, case, "step-pass", opinion="  ")
    content = response.content.decode()
    assert response.status_code == 400
    assert 'id="step-opinion-error">承办意见：请填写处理意见。<' in content
    case.refresh_from_db()
    assert case.current_step == Step.HANDLE


def test_it_returns_a_step_to_the_previous_one(hall, approver):
    case = hall.at_approval()
    response = _post(approver, case, "step-return", opinion="认定类别证明不清晰，请重新审核")
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.current_step == Step.REVIEW
    assert case.events.get(kind=EventKind.STEP_RETURNED).business_action == "退回"


def test_it_refuses_to_return_the_first_step_with_the_reason(hall, approver):
    case = hall.transferred()
    response = _post(approver, case, "step-return", opinion="退回")
    assert response.status_code == 409
    assert "承办是第一个环节，不能再退回" in response.content.decode()


def test_it_shows_the_return_of_the_first_step_disabled_with_the_reason(hall, approver):
    content = _page(approver, hall.transferred()).content.decode()
    assert 'id="btn-step-return" formaction="' in content
    assert 'disabled aria-describedby="step-return-refused"' in content
    assert 'id="step-return-refused">不能退回：承办是第一个环节' in content


def test_it_refuses_a_click_made_on_a_stale_page(hall, approver):
    case = hall.transferred()
    stale = case.version
    services.case_step_pass(case=case, user=hall.approver, opinion="同意")
    response = _post(approver, case, "step-pass", opinion="同意", expected_version=stale)
    assert response.status_code == 409
    assert "刚被他人处理过" in response.content.decode()
    case.refresh_from_db()
    assert case.current_step == Step.REVIEW
    # The page shown with the refusal carries the new version, and keeps the opinion typed.
    assert f'name="expected_version" value="{case.version}"' in response.content.decode()
    assert ">同意</textarea>" in response.content.decode()


def test_it_refuses_a_post_without_the_page_version(hall, approver):
    case = hall.transferred()
    response = _post(approver, case, "step-pass", opinion="同意", expected_version="")
    assert response.status_code == 400
    assert "请刷新页面后再操作" in response.content.decode()


def test_it_refuses_a_step_to_a_supervisor(hall, client):
    case = hall.transferred()
    client.force_login(hall.supervisor)
    response = _post(client, case, "step-pass", opinion="同意")
    assert response.status_code == 403
    assert "需要后台审批人员岗位" in response.content.decode()


def test_it_refuses_an_unknown_action(hall, approver):
    assert _post(approver, hall.transferred(), "delete").status_code == 404


# --- special procedures -------------------------------------------------------------------------


def test_it_suspends_with_a_kind_and_a_reason(hall, approver):
    case = hall.transferred()
    response = _post(approver, case, "suspend", kind="site_inspection", reason="需现场核查经营场所")
    assert response.status_code == 302
    case.refresh_from_db()
    suspension = Suspension.objects.get(case=case)
    assert (case.state, suspension.kind, suspension.reason) == (
        CaseState.SUSPENDED,
        "site_inspection",
        "需现场核查经营场所",
    )
    assert "特别程序中，暂停计时" in _page(approver, case).content.decode()


def test_it_refuses_an_unknown_special_procedure(hall, approver):
    response = _post(approver, hall.transferred(), "suspend", kind="holiday", reason="x")
    assert response.status_code == 400
    assert 'id="suspend-kind-error">特别程序种类' in response.content.decode()


def test_it_refuses_to_pass_a_suspended_case_with_the_reason(hall, approver):
    case = hall.transferred()
    services.case_suspend(case=case, user=hall.approver, kind="hearing", reason="依申请举行听证")
    response = _post(approver, case, "step-pass", opinion="同意")
    assert response.status_code == 409
    assert "办件处于特别程序挂起中，请先恢复计时" in response.content.decode()


def test_it_resumes_with_the_result(hall, approver):
    case = hall.transferred()
    services.case_suspend(case=case, user=hall.approver, kind="testing", reason="送检", now=at(timezone.localdate()))
    response = _post(approver, case, "resume", result="检验结果合格")
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.state == CaseState.REVIEWING
    assert Suspension.objects.get(case=case).result == "检验结果合格"


def test_it_refuses_to_resume_without_a_result(hall, approver):
    case = hall.transferred()
    services.case_suspend(case=case, user=hall.approver, kind="testing", reason="送检")
    response = _post(approver, case, "resume", result="")
    assert response.status_code == 400
    assert 'id="resume-result-error">特别程序结果' in response.content.decode()


# --- the decision -------------------------------------------------------------------------------


def test_it_decides_with_the_document_name_and_number(hall, approver):
    case = hall.at_approval()
    response = _post(
        approver,
        case,
        "decide",
        decision="granted",
        result_name="就业困难人员认定通知书",
        result_number="前人社认〔2026〕088号",
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert (case.state, case.decision, case.result_name, case.result_number) == (
        CaseState.READY, "granted", "就业困难人员认定通知书", "前人社认〔2026〕088号"
    )  # fmt: skip
    assert "结果已送达窗口，待出件" in approver.get(response["Location"]).content.decode()


def test_it_refuses_a_refusal_without_its_reason(hall, approver):
    response = _post(approver, hall.at_approval(), "decide", decision="refused", result_number="前人社不〔2026〕1号")
    content = response.content.decode()
    assert response.status_code == 400
    assert 'id="decide-opinion-error">决定理由：不予的决定须说明理由' in content
    assert 'value="前人社不〔2026〕1号"' in content


def test_it_refuses_a_decision_without_the_document_number(hall, approver):
    response = _post(approver, hall.at_approval(), "decide", decision="granted", result_number="")
    assert response.status_code == 400
    assert 'id="decide-result-number-error">结果文书编号' in response.content.decode()


def test_it_refuses_to_decide_before_the_approve_step(hall, approver):
    case = hall.transferred()
    assert 'id="decide-blocked">不能作出决定：办件还在承办环节' in _page(approver, case).content.decode()
    response = _post(approver, case, "decide", decision="granted", result_number="X-1")
    assert response.status_code == 409
    assert "到批准环节才能作出决定" in response.content.decode()


# --- replying to 督办 ---------------------------------------------------------------------------


def test_it_takes_the_departments_reply_to_an_urge_notice_once(hall, approver):
    case = hall.transferred(BENEFIT)
    supervision = services.supervision_issue(case=case, user=hall.supervisor, content="请尽快办结")
    assert f'id="btn-supervision-reply-{supervision.pk}"' in _page(approver, case).content.decode()
    response = _post(approver, case, "supervision-reply", supervision=supervision.pk, reply="已于今日办结")
    assert response.status_code == 302
    supervision.refresh_from_db()
    assert (supervision.reply, supervision.replied_by) == ("已于今日办结", hall.approver)
    again = _post(approver, case, "supervision-reply", supervision=supervision.pk, reply="补充")
    assert again.status_code == 409
    assert "该督办单已于" in again.content.decode()


def test_it_refuses_an_empty_reply_next_to_its_form(hall, approver):
    case = hall.transferred(BENEFIT)
    supervision = services.supervision_issue(case=case, user=hall.supervisor, content="请尽快办结")
    response = _post(approver, case, "supervision-reply", supervision=supervision.pk, reply="")
    assert response.status_code == 400
    assert f'id="supervision-reply-{supervision.pk}-error">回复：请写明办理情况' in response.content.decode()


def test_it_refuses_a_reply_to_another_cases_urge_notice(hall, approver):
    other = services.supervision_issue(case=hall.transferred(), user=hall.supervisor, content="请尽快办结")
    response = _post(approver, hall.transferred(BENEFIT), "supervision-reply", supervision=other.pk, reply="已办结")
    assert response.status_code == 404
    assert "该办件没有这张督办单" in response.content.decode()


def test_it_flags_a_step_past_its_share_without_waiting_for_the_nightly_run(hall, approver):
    case = hall.transferred(BENEFIT)  # 承办 has 50 % of 5 working days from 2026-09-30
    assert case.step_overdue is False
    assert 'id="case-step-overdue">本环节已超时<' in _page(approver, case).content.decode()


# --- the staff home -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "tiles"),
    [
        (Role.APPROVER, {"tile-office-inbox"}),
        (Role.SUPERVISOR, {"tile-office-supervision", "tile-office-ledger"}),
        (Role.HALL_MANAGER, {"tile-office-ledger"}),
        (Role.WINDOW_OFFICER, {"tile-office-ledger"}),
        (Role.GUIDE, set()),
    ],
)
def test_it_shows_each_role_the_tiles_of_its_back_office_pages(hall, client_for, role, tiles):
    content = client_for(role).get(reverse("staff-home")).content.decode()
    shown = {tile for tile in ("tile-office-inbox", "tile-office-supervision", "tile-office-ledger") if tile in content}
    assert shown == tiles


def test_a_refusal_of_a_page_is_explained_in_chinese(client_for):
    response = client_for(Role.GUIDE).get(reverse("office-inbox"))
    assert response.status_code == 403
    assert "无权访问" in response.content.decode()
