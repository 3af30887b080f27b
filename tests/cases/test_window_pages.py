"""The window's case pages: opening a case, handling it action by action, the list, for window officers only."""

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from quangangtong.accounts.roles import Role
from quangangtong.cases import services
from quangangtong.cases.lifecycle import CaseState
from quangangtong.cases.models import (
    ApplicantKind,
    Case,
    CaseEvent,
    DeliveryProof,
    EventKind,
    IdentityView,
    MaterialStatus,
)
from quangangtong.hall.models import OfficerSkill, Site, TicketCategory, Window
from quangangtong.notify.models import Notification
from quangangtong.queueing.models import Ticket, TicketStatus
from quangangtong.queueing.services import ticket_issue, window_sign_in

from .conftest import BENEFIT, COMPANY, CREDIT_CODE, EMPLOYMENT_CARD, HARDSHIP, PERSON_ID, PHONE

pytestmark = pytest.mark.django_db

LIST = "/staff/window/cases/"
OPEN = "/staff/window/cases/new/"
PERSON = {
    "site": "qjq-hall",
    "applicant_kind": ApplicantKind.PERSON,
    "applicant_name": "张三",
    "id_type": "111",
    "id_number": PERSON_ID,
    "phone": PHONE,
}


@pytest.fixture
def officer(client, hall):
    """Sign the hall's window officer in to the pages and return the client."""
    client.force_login(hall.officer)
    return client


def page_url(case):
    return f"/staff/window/cases/{case.number}/"


def act(client, case, action, **data):
    data.setdefault("expected_version", Case.objects.get(pk=case.pk).version)
    return client.post(reverse("window-case-action", args=[case.number, action]), data)


def fresh(case):
    return Case.objects.get(pk=case.pk)


def body(response):
    return response.content.decode()


def page_version(client, case):
    """Return the version the case page sends back with its forms, as a browser would."""
    return int(re.search(r'name="expected_version" value="(\d+)"', body(client.get(page_url(case)))).group(1))


# --- who may use the pages ----------------------------------------------------------------------


def _urls(hall):
    case = hall.open()
    return [LIST, OPEN, page_url(case), f"{page_url(case)}pdf/receipt.pdf"], case


def test_it_sends_anonymous_visitors_to_sign_in(client, hall):
    urls, case = _urls(hall)
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.url.startswith("/accounts/login/")
    response = client.post(reverse("window-case-action", args=[case.number, "accept"]), {"expected_version": 0})
    assert response.status_code == 302
    assert fresh(case).state == CaseState.RECEIVED


@pytest.mark.parametrize("role", [Role.GUIDE, Role.APPROVER, Role.SUPERVISOR, Role.HALL_MANAGER, Role.INSPECTOR])
def test_it_refuses_staff_who_do_not_work_at_a_window(client_for, hall, role):
    urls, case = _urls(hall)
    client = client_for(role)
    for url in urls:
        assert client.get(url).status_code == 403, url
    response = client.post(reverse("window-case-action", args=[case.number, "reject"]), {"reason": "x"})
    assert response.status_code == 403
    assert fresh(case).state == CaseState.RECEIVED


def test_it_lets_station_staff_in(client_for, hall):
    assert client_for(Role.STATION_STAFF).get(LIST).status_code == 200


def test_it_refuses_an_officer_of_another_site_the_case(client, hall, make_staff):
    case = hall.open()
    station_officer = make_staff(Role.STATION_STAFF)
    category = TicketCategory.objects.get(site__code="gangwan", prefix="S")
    OfficerSkill.objects.create(
        officer=station_officer, category=category, certified_on=datetime.date(2026, 1, 5), certified_by="测试"
    )
    client.force_login(station_officer)
    assert client.get(page_url(case)).status_code == 403
    assert client.get(f"{page_url(case)}pdf/receipt.pdf").status_code == 403
    assert case.number not in body(client.get(LIST))


def test_it_answers_404_for_an_unknown_case(officer):
    assert officer.get("/staff/window/cases/QJQ-HALL-20990101-0001/").status_code == 404


# --- opening a case -----------------------------------------------------------------------------


def test_it_opens_a_case_for_a_person(officer, hall):
    item = hall.item(HARDSHIP)
    response = officer.post(OPEN, {**PERSON, "item": item.pk, "channel": "1", "pickup_method": "window"})
    case = Case.objects.get()
    assert response.status_code == 302
    assert response.url == page_url(case)
    assert (case.item, case.applicant_name, case.id_number, case.opened_by) == (item, "张三", PERSON_ID, hall.officer)
    assert case.site == hall.site
    assert case.materials.count() == item.materials.count()


def test_it_opens_a_case_for_an_enterprise_sent_by_post(officer, hall):
    response = officer.post(
        OPEN,
        {
            "site": "qjq-hall",
            "item": hall.item(COMPANY).pk,
            "applicant_kind": ApplicantKind.LEGAL,
            "applicant_name": "佳木斯某商贸有限公司",
            "credit_code": CREDIT_CODE,
            "legal_representative": "李四",
            "phone": PHONE,
            "channel": "4",
            "pickup_method": "window",
        },
    )
    assert response.status_code == 302
    case = Case.objects.get()
    assert (case.applicant_kind, case.credit_code, case.channel) == (ApplicantKind.LEGAL, CREDIT_CODE, "4")


def test_it_names_the_wrong_field_and_keeps_what_was_typed(officer, hall):
    response = officer.post(OPEN, {**PERSON, "item": hall.item(HARDSHIP).pk, "id_number": "230804199003071239"})
    assert response.status_code == 400
    page = body(response)
    assert 'id="case-id-number-error"' in page
    assert re.search(r'id="case-id-number"[^>]*aria-invalid="true"', page)
    assert 'value="张三"' in page
    assert 'value="230804199003071239"' in page
    assert f'value="{PHONE}"' in page
    assert "申请人证件号码" in page
    assert not Case.objects.exists()


def test_it_names_the_item_when_none_is_chosen(officer, hall):
    response = officer.post(OPEN, PERSON)
    assert response.status_code == 400
    assert 'id="case-item-error"' in body(response)
    assert "事项：请选择在用的政务服务事项" in body(response)


def test_it_finds_items_by_pinyin_initials_and_keeps_the_form(officer, hall):
    response = officer.post(OPEN, {**PERSON, "item_q": "jycyz", "find": "1"})
    assert response.status_code == 200
    page = body(response)
    assert "就业创业证申领" in page
    assert "企业设立登记" not in page
    assert 'value="张三"' in page
    assert not Case.objects.exists()


def _serving(hall, item_code=EMPLOYMENT_CARD, window_number=1):
    """Sign the officer in at a window and put a ticket for the item in service there; return the ticket."""
    window = Window.objects.get(site=hall.site, number=window_number)
    window_sign_in(window=window, officer=hall.officer)
    ticket, _ = ticket_issue(site=hall.site, item=hall.item(item_code))
    Ticket.objects.filter(pk=ticket.pk).update(status=TicketStatus.SERVING, window=window, officer=hall.officer)
    return Ticket.objects.get(pk=ticket.pk)


@pytest.fixture
def open_floor(hall):
    # Issue tickets at any hour the suite runs: the floor's closing time would refuse them in the evening.
    Site.objects.filter(pk=hall.site.pk).update(closing_time=datetime.time.max)
    hall.site.refresh_from_db()
    return hall


def test_it_preselects_the_item_of_the_ticket_being_served(officer, open_floor):
    ticket = _serving(open_floor)
    page = body(officer.get(f"{OPEN}?ticket={ticket.pk}"))
    assert f'name="ticket" value="{ticket.pk}"' in page
    assert re.search(rf'<option value="{ticket.item_id}" selected>就业创业证申领', page)


def test_it_links_the_case_to_the_ticket_and_the_window_channel(officer, open_floor):
    ticket = _serving(open_floor)
    officer.post(OPEN, {**PERSON, "ticket": ticket.pk, "item": ticket.item_id, "channel": "4"})
    case = Case.objects.get()
    assert (case.ticket, case.channel) == (ticket, "1")


def test_it_refuses_a_ticket_not_at_the_officers_window(officer, open_floor, make_staff):
    other = make_staff(Role.WINDOW_OFFICER)
    window = Window.objects.get(site=open_floor.site, number=2)
    window_sign_in(window=window, officer=other)
    ticket, _ = ticket_issue(site=open_floor.site, item=open_floor.item(EMPLOYMENT_CARD))
    Ticket.objects.filter(pk=ticket.pk).update(status=TicketStatus.SERVING, window=window, officer=other)
    response = officer.post(OPEN, {**PERSON, "ticket": ticket.pk, "item": ticket.item_id})
    assert response.status_code == 409
    assert "排队票：这张票不在您签到的窗口办理中" in body(response)
    assert not Case.objects.exists()


def test_it_links_the_workbench_ticket_to_the_open_form(officer, open_floor):
    ticket = _serving(open_floor)
    page = body(officer.get("/staff/workbench/"))
    assert f'href="{OPEN}?ticket={ticket.pk}" id="wb-open-case"' in page


# --- the case page ------------------------------------------------------------------------------


def test_it_shows_the_case_with_identity_numbers_masked(officer, hall):
    case = hall.open(agent_name="王五", agent_id_number="11010519491231002X", agent_phone="13900139000")
    page = body(officer.get(page_url(case)))
    assert case.masked_id_number in page
    assert PERSON_ID not in page
    assert "11010519491231002X" not in page
    assert PHONE not in page
    assert "13900139000" not in page


def test_it_reveals_the_full_number_once_and_logs_who_and_why(officer, hall):
    case = hall.open()
    response = officer.post(
        reverse("window-case-reveal", args=[case.number]), {"field": "id_number", "reason": "核验申请人身份"}
    )
    assert response.status_code == 200
    assert PERSON_ID in body(response)
    assert response["Cache-Control"] == "no-store"
    view = IdentityView.objects.get()
    assert (view.case, view.user, view.field, view.reason) == (case, hall.officer, "id_number", "核验申请人身份")
    assert PERSON_ID not in body(officer.get(page_url(case)))


def test_it_refuses_a_reveal_without_a_reason(officer, hall):
    case = hall.open()
    response = officer.post(reverse("window-case-reveal", args=[case.number]), {"field": "id_number", "reason": ""})
    assert response.status_code == 400
    assert 'id="reveal-reason-error"' in body(response)
    assert PERSON_ID not in body(response)
    assert not IdentityView.objects.exists()


def test_it_shows_the_remaining_days_in_colour(officer, hall):
    case = hall.accepted(now=timezone.now())
    page = body(officer.get(page_url(case)))
    assert 'id="case-remaining" data-warning="green"' in page.replace('class="cw-remaining cw-warn-green" ', "")
    assert "剩余 <strong>" in page
    assert "绿灯（正常）" in page


def test_it_shows_an_overdue_case_in_red(officer, hall):
    case = hall.accepted()  # accepted 2026-09-30 with 10 working days: long past
    page = body(officer.get(page_url(case)))
    assert 'cw-warn-red" id="case-remaining" data-warning="red"' in page
    assert "已超期" in page
    assert "红灯（已超期）" in page


def test_it_shows_refused_actions_disabled_with_the_reason(officer, hall):
    case = hall.open()
    page = body(officer.get(page_url(case)))
    assert re.search(r'id="act-transfer" disabled', page)
    assert "办件尚未受理，请先受理再转办" in page
    assert re.search(r'id="act-accept" disabled', page) is None


def test_it_does_not_offer_a_promised_case_a_decision_at_the_window(officer, hall):
    assert 'id="act-decide"' not in body(officer.get(page_url(hall.accepted())))
    assert 'id="act-decide"' in body(officer.get(page_url(hall.accepted(EMPLOYMENT_CARD))))


def test_it_shows_the_timeline_with_actor_role_and_business_action(officer, hall):
    case = hall.open()
    act(officer, case, "reject", reason="不属于本机关职权范围，请向市局申请")
    page = body(officer.get(page_url(case)))
    timeline = page[page.index('id="case-timeline"') :]
    assert "收件" in timeline
    assert "不予受理" in timeline
    assert "综合窗口人员" in timeline
    assert "退回" in timeline
    assert "不属于本机关职权范围，请向市局申请" in timeline


def test_it_lists_the_notices_the_case_has(officer, hall):
    page = body(officer.get(page_url(hall.open())))
    assert 'id="doc-receipt"' in page
    assert 'id="doc-acceptance"' not in page


# --- actions ------------------------------------------------------------------------------------


def test_it_marks_a_material_received(officer, hall):
    case = hall.open()
    line = case.materials.first()
    response = act(officer, case, "mark_material", material=line.pk, status="received")
    assert response.status_code == 302
    line.refresh_from_db()
    assert (line.status, line.received_originals) == (MaterialStatus.RECEIVED, line.originals)


def test_it_shows_a_material_refusal_on_its_row(officer, hall):
    case = hall.open()
    line = case.materials.first()
    response = act(officer, case, "mark_material", material=line.pk, status="defective", defect="")
    assert response.status_code == 400
    page = body(response)
    assert f'id="mat-{line.pk}-error" data-field="defect"' in page
    assert "瑕疵说明" in page
    line.refresh_from_db()
    assert line.status == MaterialStatus.MISSING


def test_it_marks_a_deferrable_material_with_the_promise(officer, hall):
    case = hall.open(BENEFIT)
    line = case.materials.get(necessity="3")
    due = timezone.localdate() + datetime.timedelta(days=3)
    act(officer, case, "mark_material", material=line.pk, status="deferred", promise="三日内补交", promise_due=due)
    line.refresh_from_db()
    assert (line.status, line.promise, line.promise_due) == (MaterialStatus.DEFERRED, "三日内补交", due)


def test_it_refuses_a_malformed_promise_date_naming_it(officer, hall):
    case = hall.open(BENEFIT)
    line = case.materials.get(necessity="3")
    response = act(
        officer, case, "mark_material", material=line.pk, status="deferred", promise="补", promise_due="下周"
    )
    assert response.status_code == 400
    assert "承诺补交日期：请按" in body(response)


def test_it_accepts_a_complete_case(officer, hall):
    case = hall.receive_all(hall.open())
    response = act(officer, case, "accept", pickup_method="window")
    assert response.status_code == 302
    assert fresh(case).state == CaseState.ACCEPTED


def test_it_refuses_to_accept_with_materials_missing(officer, hall):
    case = hall.open()
    response = act(officer, case, "accept", pickup_method="window")
    assert response.status_code == 409
    page = body(response)
    assert "以下材料未收齐" in page
    assert 'id="act-accept-error"' in page
    assert fresh(case).state == CaseState.RECEIVED


def test_it_issues_the_one_time_correction_notice(officer, hall):
    case = hall.receive_all(hall.open(now=timezone.now()), but=("申请表",))
    response = act(officer, case, "request_correction")
    assert response.status_code == 302
    assert fresh(case).state == CaseState.CORRECTION
    assert case.correction_notices.count() == 1


def test_it_refuses_a_correction_notice_when_nothing_is_missing(officer, hall):
    case = hall.receive_all(hall.open())
    response = act(officer, case, "request_correction")
    assert response.status_code == 409
    assert "没有缺少或有瑕疵的材料，无需补正" in body(response)
    assert not case.correction_notices.exists()


def test_it_takes_in_the_corrected_materials(officer, hall):
    case = hall.receive_all(hall.open(now=timezone.now()), but=("申请表",))
    services.case_request_correction(case=case, user=hall.officer)
    listed = case.correction_notices.get().items.get().material
    response = act(officer, case, "correction_received", received=[listed.pk])
    assert response.status_code == 302
    assert fresh(case).state == CaseState.RECEIVED
    listed.refresh_from_db()
    assert listed.status == MaterialStatus.RECEIVED


def _returned_then_another_missing(hall):
    """A case whose first notice listed the application form, taken back; now the ID copy is found wanting."""
    case = hall.receive_all(hall.open(now=timezone.now()), but=("申请表",))
    services.case_request_correction(case=case, user=hall.officer)
    listed = case.correction_notices.get().items.get().material
    services.case_correction_received(case=case, user=hall.officer, received=[listed.pk])
    other = case.materials.exclude(pk=listed.pk).first()
    services.case_material_mark(case=fresh(case), user=hall.officer, material=other, status=MaterialStatus.MISSING)
    return fresh(case), other


def test_a_second_notice_of_new_materials_is_refused_without_a_supervisor(officer, hall):
    case, _ = _returned_then_another_missing(hall)
    page = body(officer.get(page_url(case)))
    assert 'id="correction-override"' in page
    response = act(officer, case, "request_correction")
    assert response.status_code == 409
    assert "不在此前的告知书中" in body(response)
    assert case.correction_notices.count() == 1


def test_a_supervisor_authorises_a_second_notice_at_the_window_with_their_password(officer, hall):
    case, other = _returned_then_another_missing(hall)
    response = act(
        officer, case, "request_correction", approver_username=hall.supervisor.username,
        approver_password="pw-for-tests", override_reason="首次告知时漏看了身份证复印件已过期",
    )  # fmt: skip
    assert response.status_code == 302
    notice = case.correction_notices.get(sequence=2)
    assert (notice.is_override, notice.overridden_by, notice.override_reason) == (
        True, hall.supervisor, "首次告知时漏看了身份证复印件已过期",
    )  # fmt: skip
    assert list(notice.items.values_list("material", flat=True)) == [other.pk]


@pytest.mark.parametrize(
    ("who", "password", "status", "message"),
    [
        ("supervisor", "wrong", 400, "账号或密码不正确"),
        ("officer", "pw-for-tests", 403, "不是督查人员"),
    ],
)
def test_a_second_notice_needs_a_real_supervisor(officer, hall, who, password, status, message):
    case, _ = _returned_then_another_missing(hall)
    username = getattr(hall, who).username
    response = act(
        officer, case, "request_correction", approver_username=username, approver_password=password,
        override_reason="理由",
    )  # fmt: skip
    assert response.status_code == status
    assert message in body(response)
    assert 'id="override-approver-error"' in body(response)
    assert case.correction_notices.count() == 1


def test_it_refuses_a_correction_received_with_nothing_ticked(officer, hall):
    case = hall.receive_all(hall.open(now=timezone.now()), but=("申请表",))
    services.case_request_correction(case=case, user=hall.officer)
    response = act(officer, case, "correction_received")
    assert response.status_code == 400
    assert 'id="received-error"' in body(response)
    assert fresh(case).state == CaseState.CORRECTION


def test_it_rejects_with_the_reason_and_remedies(officer, hall):
    case = hall.open()
    act(officer, case, "reject", reason="不属于本机关职权范围", remedies="可向市局申请")
    case = fresh(case)
    assert (case.state, case.rejection_reason, case.rejection_remedies) == (
        CaseState.NOT_ACCEPTED, "不属于本机关职权范围", "可向市局申请"
    )  # fmt: skip


def test_it_refuses_a_rejection_without_a_reason_and_keeps_the_remedies_typed(officer, hall):
    case = hall.open()
    response = act(officer, case, "reject", reason="  ", remedies="可向市局申请")
    assert response.status_code == 400
    page = body(response)
    assert 'id="reject-reason-error"' in page
    assert ">可向市局申请</textarea>" in page
    assert fresh(case).state == CaseState.RECEIVED


def _deferred_case(hall):
    case = hall.receive_all(hall.open(BENEFIT, now=timezone.now()), but=("解除或终止劳动关系",))
    line = case.materials.get(necessity="3")
    services.case_material_mark(
        case=case, user=hall.officer, material=line, status="deferred", promise="三日内补交",
        promise_due=timezone.localdate() + datetime.timedelta(days=3),
    )  # fmt: skip
    return fresh(case), line


def test_it_accepts_with_a_promise(officer, hall):
    case, _ = _deferred_case(hall)
    response = act(officer, case, "accept_with_promise", pickup_method="window")
    assert response.status_code == 302
    assert fresh(case).state == CaseState.ACCEPTED_DEFERRED


def test_it_refuses_a_promise_acceptance_without_deferred_materials(officer, hall):
    case = hall.receive_all(hall.open(BENEFIT))
    response = act(officer, case, "accept_with_promise")
    assert response.status_code == 409
    assert "没有登记为容缺后补的材料，不能容缺受理" in body(response)


def test_it_takes_in_a_deferred_material(officer, hall):
    case, line = _deferred_case(hall)
    services.case_accept_with_promise(case=case, user=hall.officer)
    response = act(officer, case, "deferred_received", material=line.pk)
    assert response.status_code == 302
    line.refresh_from_db()
    assert line.status == MaterialStatus.RECEIVED
    assert fresh(case).state == CaseState.ACCEPTED


def test_it_refuses_a_deferred_material_when_none_is_owed(officer, hall):
    case = hall.accepted()
    response = act(officer, case, "deferred_received", material=case.materials.first().pk)
    assert response.status_code == 409
    assert "不能进行“收取容缺材料”" in body(response)


def test_it_transfers_a_promised_case(officer, hall):
    case = hall.accepted()
    assert act(officer, case, "transfer").status_code == 302
    case = fresh(case)
    assert (case.state, case.department) == (CaseState.REVIEWING, hall.rsj)


def test_it_refuses_to_transfer_an_immediate_case(officer, hall):
    case = hall.accepted(EMPLOYMENT_CARD)
    response = act(officer, case, "transfer")
    assert response.status_code == 409
    assert "即办件在窗口当场决定，不转办" in body(response)


def test_it_decides_an_immediate_case_at_the_window(officer, hall):
    case = hall.accepted(EMPLOYMENT_CARD)
    response = act(officer, case, "decide", decision="granted", result_number="就业创业证 2326001")
    assert response.status_code == 302
    case = fresh(case)
    assert (case.state, case.decision, case.result_number) == (CaseState.READY, "granted", "就业创业证 2326001")


def test_it_refuses_a_decision_without_a_document_number(officer, hall):
    case = hall.accepted(EMPLOYMENT_CARD)
    response = act(officer, case, "decide", decision="granted", result_number="")
    assert response.status_code == 400
    assert 'id="decide-result-number-error"' in body(response)
    assert fresh(case).state == CaseState.ACCEPTED


def test_it_hands_the_result_over_for_the_pickup_code(officer, hall):
    case = hall.ready()
    response = act(officer, case, "deliver_at_window", proof=DeliveryProof.PICKUP_CODE, pickup_code=case.pickup_code)
    assert response.status_code == 302
    assert fresh(case).state == CaseState.DELIVERED


def test_it_refuses_a_wrong_pickup_code(officer, hall):
    case = hall.ready()
    wrong = f"{(int(case.pickup_code) + 1) % 1_000_000:06d}"
    response = act(officer, case, "deliver_at_window", proof=DeliveryProof.PICKUP_CODE, pickup_code=wrong)
    assert response.status_code == 400
    assert 'id="deliver-pickup-code-error"' in body(response)
    assert "取件码不正确" in body(response)
    assert fresh(case).state == CaseState.READY


def test_it_posts_the_result(officer, hall):
    case = hall.ready(BENEFIT)
    response = act(officer, case, "post", carrier="EMS", tracking_number="1123456789012", address="前进区长安路1号")
    assert response.status_code == 302
    case = fresh(case)
    assert case.state == CaseState.POSTED
    assert case.deliveries.get().tracking_number == "1123456789012"


def test_it_refuses_a_malformed_tracking_number_and_keeps_the_address(officer, hall):
    case = hall.ready(BENEFIT)
    response = act(officer, case, "post", carrier="SF", tracking_number="12345", address="前进区长安路1号")
    assert response.status_code == 400
    page = body(response)
    assert 'id="post-tracking-number-error"' in page
    assert 'value="前进区长安路1号"' in page
    assert fresh(case).state == CaseState.READY


def test_it_confirms_a_posted_result_delivered(officer, hall):
    case = hall.ready(BENEFIT)
    services.case_post(
        case=case, user=hall.officer, carrier="EMS", tracking_number="1123456789012", address="长安路1号"
    )
    assert act(officer, case, "mark_delivered").status_code == 302
    assert fresh(case).state == CaseState.DELIVERED


def test_it_refuses_to_confirm_delivery_of_a_result_not_posted(officer, hall):
    case = hall.ready()
    response = act(officer, case, "mark_delivered")
    assert response.status_code == 409
    assert "不能进行“确认送达”" in body(response)


def test_it_refuses_a_click_from_a_stale_page(officer, hall):
    case = hall.receive_all(hall.open())
    stale = page_version(officer, case)
    services.case_reject(case=case, user=hall.officer, reason="申请人撤回")  # another officer, meanwhile
    services_state = fresh(case).state
    response = act(officer, case, "accept", expected_version=stale)
    assert response.status_code == 409
    assert "刚被他人处理过" in body(response)
    assert "请刷新页面后再操作" in body(response)
    assert fresh(case).state == services_state


def test_it_refuses_a_stale_click_even_when_the_state_would_allow_it(officer, hall):
    case = hall.open()
    line = case.materials.first()
    stale = page_version(officer, case)
    services.case_material_mark(case=case, user=hall.officer, material=line, status="received")
    response = act(officer, case, "mark_material", material=line.pk, status="missing", expected_version=stale)
    assert response.status_code == 409
    line.refresh_from_db()
    assert line.status == MaterialStatus.RECEIVED


def test_it_refuses_an_action_without_the_page_version(officer, hall):
    case = hall.receive_all(hall.open())
    response = officer.post(reverse("window-case-action", args=[case.number, "accept"]), {})
    assert response.status_code == 400
    assert "页面版本缺失" in body(response)
    assert fresh(case).state == CaseState.RECEIVED


def test_it_answers_404_for_an_unknown_action(officer, hall):
    case = hall.open()
    assert act(officer, case, "step_pass", opinion="同意").status_code == 404


# --- the list -----------------------------------------------------------------------------------


def test_it_lists_the_sites_cases_with_remaining_days(officer, hall):
    running = hall.accepted()
    waiting = hall.open()
    page = body(officer.get(LIST))
    assert f'id="case-row-{running.number}"' in page
    assert f'id="case-row-{waiting.number}"' in page
    row = page[page.index(f'id="case-row-{running.number}"') :].split("</tr>")[0]
    assert 'data-warning="red"' in row
    assert re.search(r"超期 \d+ 天 · 红灯", row)
    assert "张*" in row
    assert "张三" not in row


def test_it_finds_a_case_by_number(officer, hall):
    first, second = hall.open(), hall.open()
    page = body(officer.get(LIST, {"q": second.number[-4:]}))
    assert f'id="case-row-{second.number}"' in page
    assert f'id="case-row-{first.number}"' not in page


def test_it_shows_only_the_officers_own_cases_when_asked(officer, hall, make_staff):
    mine = hall.open()
    colleague = make_staff(Role.WINDOW_OFFICER)
    theirs = services.case_open(
        site=hall.site, item=hall.item(HARDSHIP), user=colleague, applicant_kind="person", applicant_name="李四",
        id_number=PERSON_ID, phone=PHONE,
    )  # fmt: skip
    assert f"case-row-{theirs.number}" in body(officer.get(LIST))
    page = body(officer.get(LIST, {"mine": "1"}))
    assert f"case-row-{mine.number}" in page
    assert f"case-row-{theirs.number}" not in page


def test_it_puts_a_tile_on_the_staff_home(officer):
    assert 'id="tile-window-cases"' in body(officer.get("/staff/"))


# --- a 即办件 in one visit ----------------------------------------------------------------------


def test_it_takes_an_immediate_case_from_ticket_to_delivered_in_one_visit(client, open_floor):
    hall = open_floor
    category = TicketCategory.objects.get(site=hall.site, prefix="A")
    OfficerSkill.objects.create(
        officer=hall.officer, category=category, certified_on=datetime.date(2026, 1, 5), certified_by="测试"
    )
    client.force_login(hall.officer)
    window = Window.objects.get(site=hall.site, number=1)
    assert client.post(reverse("workbench-action", args=["sign-in"]), {"window": window.pk}).status_code == 302
    ticket, _ = ticket_issue(site=hall.site, item=hall.item(EMPLOYMENT_CARD), phone=PHONE)
    assert client.post(reverse("workbench-action", args=["call-next"]), {"window": window.pk}).status_code == 302
    client.post(reverse("workbench-action", args=["start"]), {"window": window.pk, "ticket": ticket.pk})

    link = re.search(r'href="([^"]+)" id="wb-open-case"', body(client.get("/staff/workbench/"))).group(1)
    form = body(client.get(link.replace("&amp;", "&")))
    item_id = re.search(r'<option value="(\d+)" selected>就业创业证申领', form).group(1)
    response = client.post(OPEN, {**PERSON, "ticket": ticket.pk, "item": item_id, "pickup_method": "window"})
    case = Case.objects.get()
    assert response.url == page_url(case)

    for line in case.materials.all():
        version = page_version(client, case)
        data = {"expected_version": version, "material": line.pk, "status": "received"}
        assert client.post(reverse("window-case-action", args=[case.number, "mark_material"]), data).status_code == 302
    data = {"expected_version": page_version(client, case), "pickup_method": "window"}
    assert client.post(reverse("window-case-action", args=[case.number, "accept"]), data).status_code == 302
    data = {"expected_version": page_version(client, case), "decision": "granted", "result_number": "2326001"}
    assert client.post(reverse("window-case-action", args=[case.number, "decide"]), data).status_code == 302
    data = {"expected_version": page_version(client, case), "proof": "identity", "recipient_id_number": PERSON_ID}
    response = client.post(reverse("window-case-action", args=[case.number, "deliver_at_window"]), data)
    assert response.status_code == 302

    case = fresh(case)
    assert (case.state, case.ticket, case.is_immediate) == (CaseState.DELIVERED, ticket, True)
    kinds = list(CaseEvent.objects.filter(case=case).values_list("kind", flat=True))
    assert kinds[0] == EventKind.OPENED
    assert kinds[-4:] == [EventKind.ACCEPTED, EventKind.DECIDED, EventKind.RELEASED, EventKind.DELIVERED_AT_WINDOW]
    assert timezone.localdate(case.delivered_at) == timezone.localdate(case.opened_at)
    templates = list(Notification.objects.filter(ref=f"case:{case.number}").values_list("template", flat=True))
    assert templates == ["case_accepted", "case_result_ready"]
    assert "已送达" in body(client.get(page_url(case)))
