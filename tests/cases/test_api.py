"""The 办件 API: open a case, take it through every action, read it; refusals are Chinese and change nothing."""

import datetime
import re

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.utils import timezone
from hypothesis import HealthCheck, settings

from quangangtong.accounts.models import DepartmentMembership, TokenKind
from quangangtong.accounts.roles import Role
from quangangtong.accounts.services import api_token_create
from quangangtong.cases import services
from quangangtong.cases.lifecycle import CaseState
from quangangtong.cases.models import Case, CaseEvent, MaterialStatus
from quangangtong.hall.models import Window
from quangangtong.queueing.services import ticket_issue, window_sign_in
from quangangtong.wsgi import application

from .conftest import AGENT_ID, BENEFIT, COMPANY, CREDIT_CODE, HARDSHIP, PERSON_ID, PHONE

pytestmark = pytest.mark.django_db

CHINESE = re.compile(r"[\u4e00-\u9fff]")


def _token(user):
    return api_token_create(kind=TokenKind.STAFF, name="测试", user=user)[1]


@pytest.fixture
def api(client):
    """Return a function calling the API as user (a bearer token), or anonymously."""

    def call(method, path, user=None, json=None, token=None):
        headers = {}
        if user is not None or token is not None:
            headers["Authorization"] = f"Bearer {token or _token(user)}"
        kwargs = {"headers": headers}
        if json is not None:
            kwargs.update(data=json, content_type="application/json")
        return getattr(client, method)(f"/api/v1{path}", **kwargs)

    return call


def _refused(response, status, field=None):
    assert response.status_code == status, response.content
    body = response.json()
    assert CHINESE.search(body["detail"]), body
    if field is not None:
        assert [error["field"] for error in body["errors"]] == [field]
        assert CHINESE.search(body["errors"][0]["message"])
    return body


def _unchanged(case):
    """Return a function asserting case has not changed since now (same version, state and history)."""
    before = (case.version, case.state, CaseEvent.objects.filter(case=case).count())

    def check():
        case.refresh_from_db()
        assert (case.version, case.state, CaseEvent.objects.filter(case=case).count()) == before

    return check


def _line(case, name_part):
    return case.materials.get(name__contains=name_part)


def _act(api, case, action, user, **body):
    return api("post", f"/cases/{case.number}/{action}", user, body)


def _opening(**fields):
    body = {
        "item": HARDSHIP,
        "applicant_name": "张三",
        "applicant_id_number": PERSON_ID,
        "applicant_phone": PHONE,
        "site": "qjq-hall",
    }
    body.update(fields)
    return body


# --- POST /cases --------------------------------------------------------------------------------


def test_it_opens_a_case_and_answers_201_with_no_due_dates_before_acceptance(api, hall):
    response = api("post", "/cases", hall.officer, _opening())
    assert response.status_code == 201, response.content
    data = response.json()
    case = Case.objects.get()
    assert data["number"] == case.number
    assert (data["state"], data["state_label"]) == ("received", "收件")
    assert (data["legal_due"], data["promised_due"]) == (None, None)
    assert data["url"] == f"http://testserver/api/v1/cases/{case.number}"
    assert data["public_url"].startswith("http://testserver/progress/t/")
    assert (case.applicant_name, case.id_number, case.phone, case.opened_by) == ("张三", PERSON_ID, PHONE, hall.officer)
    assert case.materials.count() == 4


def test_it_opens_the_case_at_the_site_of_the_window_the_officer_signed_in_at(api, hall):
    window = Window.objects.filter(site__code="gangwan").first()
    window_sign_in(window=window, officer=hall.officer)
    response = api("post", "/cases", hall.officer, _opening(site=""))
    assert response.status_code == 201, response.content
    assert Case.objects.get().site == window.site


def test_it_asks_for_the_site_when_the_officer_is_not_signed_in(api, hall):
    body = _refused(api("post", "/cases", hall.officer, _opening(site="")), 400, "site")
    assert "签到" in body["detail"]
    assert not Case.objects.exists()


def test_it_opens_an_enterprise_case_by_its_credit_code(api, hall):
    body = _opening(
        item=COMPANY, applicant_name="佳木斯前进商贸有限公司", applicant_id_number="",
        applicant_credit_code=CREDIT_CODE, legal_representative="李四",
    )  # fmt: skip
    response = api("post", "/cases", hall.officer, body)
    assert response.status_code == 201, response.content
    case = Case.objects.get()
    assert (case.applicant_kind, case.credit_code, case.legal_representative) == ("legal", CREDIT_CODE, "李四")


def test_it_records_the_agent(api, hall):
    body = _opening(agent_name="王五", agent_id_number=AGENT_ID, agent_phone="13900139000", channel="4")
    assert api("post", "/cases", hall.officer, body).status_code == 201
    case = Case.objects.get()
    assert (case.agent_name, case.agent_id_number, case.agent_phone, case.channel) == (
        "王五", AGENT_ID, "13900139000", "4"
    )  # fmt: skip


@pytest.mark.parametrize(
    ("fields", "field", "words"),
    [
        ({"applicant_id_number": "230804199003071239"}, "applicant_id_number", "证件号码"),
        ({"applicant_id_number": ""}, "applicant_id_number", "证件号码"),
        ({"applicant_phone": "1380013800"}, "applicant_phone", "联系电话"),
        (
            {"applicant_id_number": "", "applicant_credit_code": "91350100M000100Y4Z", "legal_representative": "李四"},
            "applicant_credit_code",
            "统一社会信用代码",
        ),
        ({"agent_name": "王五", "agent_id_number": "11010519491231002Y"}, "agent_id_number", "代办人证件号码"),
        ({"agent_name": "王五", "agent_id_number": AGENT_ID, "agent_phone": "2345"}, "agent_phone", "代办人电话"),
        ({"applicant_id_type": "999"}, "applicant_id_type", "证件类型"),
        ({"applicant_name": " "}, "applicant_name", "申请人姓名"),
    ],
)
def test_it_refuses_invalid_identity_numbers_and_phones_naming_the_field(api, hall, fields, field, words):
    body = _refused(api("post", "/cases", hall.officer, _opening(**fields)), 400, field)
    assert words in body["detail"]
    assert not Case.objects.exists()


def test_it_refuses_an_unknown_item(api, hall):
    body = _refused(api("post", "/cases", hall.officer, _opening(item="NO-SUCH-ITEM")), 400, "item")
    assert "NO-SUCH-ITEM" in body["detail"]


def test_it_refuses_an_unknown_site(api, hall):
    _refused(api("post", "/cases", hall.officer, _opening(site="nowhere")), 400, "site")


def test_it_refuses_an_unknown_ticket(api, hall):
    _refused(api("post", "/cases", hall.officer, _opening(ticket=2**63 - 1)), 400, "ticket")


def test_it_refuses_a_ticket_that_is_not_being_served(api, hall):
    ticket, _ = ticket_issue(site=hall.site, category="A")
    body = _refused(api("post", "/cases", hall.officer, _opening(ticket=ticket.id)), 409, "ticket")
    assert ticket.number in body["detail"]
    assert not Case.objects.exists()


def test_it_refuses_text_with_a_nul_character(api, hall):
    _refused(api("post", "/cases", hall.officer, _opening(applicant_name="张\x00三")), 400, "applicant_name")


def test_only_window_staff_may_open_a_case(api, hall):
    body = _refused(api("post", "/cases", hall.approver, _opening()), 403)
    assert "收件" in body["detail"]
    kiosk = api_token_create(kind=TokenKind.KIOSK, name="取号机", site=hall.site)[1]
    _refused(api("post", "/cases", json=_opening(), token=kiosk), 403)
    _refused(api("post", "/cases", json=_opening()), 401)
    assert not Case.objects.exists()


def test_a_signed_in_officer_may_open_a_case_from_the_workbench_session(client, hall):
    client.force_login(hall.officer)
    response = client.post("/api/v1/cases", data=_opening(), content_type="application/json")
    assert response.status_code == 201, response.content


# --- GET /cases/{number} ------------------------------------------------------------------------


def test_it_shows_a_case_to_staff_with_names_identity_numbers_and_phones_masked(api, hall):
    case = hall.open(agent_name="王五", agent_id_number=AGENT_ID, agent_phone="13900139000")
    response = api("get", f"/cases/{case.number}", hall.approver)
    assert response.status_code == 200, response.content
    for secret in (PERSON_ID, AGENT_ID, PHONE, "13900139000", "张三", "王五"):
        assert secret.encode() not in response.content
    data = response.json()
    assert data["applicant"] == {
        "kind": "person", "kind_label": "个人", "name": "张*", "id_type": "111", "id_type_label": "居民身份证",
        "id_number": "2308**********1238", "credit_code": "", "legal_representative": "", "phone": "138****8000",
    }  # fmt: skip
    assert data["agent"]["name"] == "王*"
    assert data["agent"]["id_number"] == "1101**********002X"
    assert (data["number"], data["state"], data["version"]) == (case.number, "received", case.version)
    assert [m["status"] for m in data["materials"]] == ["missing"] * 4
    assert [e["kind_label"] for e in data["events"]] == ["收件"]


def test_it_shows_the_clocks_of_an_accepted_case(api, hall):
    case = hall.transferred()
    data = api("get", f"/cases/{case.number}", hall.officer).json()
    assert data["clock"]["promised_due"] == case.promised_due.isoformat()
    assert data["clock"]["legal_due"] == case.legal_due.isoformat()
    assert data["clock"]["remaining_working_days"] == case.remaining_working_days
    assert (data["clock"]["warning"], data["clock"]["warning_label"]) == ("green", "绿灯（正常）")
    assert (data["department"]["code"], data["current_step_label"]) == ("rsj", "承办")


def test_it_tells_the_caller_which_actions_they_may_take_and_why_not(api, hall):
    case = hall.transferred()
    actions = {a["action"]: a for a in api("get", f"/cases/{case.number}", hall.officer).json()["actions"]}
    assert actions["step-pass"]["allowed"] is False
    assert "后台审批人员" in actions["step-pass"]["reason"]
    assert actions["accept"]["allowed"] is False
    actions = {a["action"]: a for a in api("get", f"/cases/{case.number}", hall.approver).json()["actions"]}
    assert actions["step-pass"]["allowed"] is True


def test_it_answers_404_for_an_unknown_case_number(api, hall):
    body = _refused(api("get", "/cases/QJQ-20990101-0001", hall.officer), 404, "number")
    assert "QJQ-20990101-0001" in body["detail"]
    _refused(api("get", "/cases/QJQ%00X", hall.officer), 404, "number")


def test_reading_a_case_needs_a_staff_member(api, hall):
    case = hall.open()
    _refused(api("get", f"/cases/{case.number}"), 401)
    device = api_token_create(kind=TokenKind.DEVICE, name="评价器", site=hall.site)[1]
    _refused(api("get", f"/cases/{case.number}", token=device), 403)


# --- materials and decisions at the window ------------------------------------------------------


def test_it_marks_a_material_received(api, hall):
    case = hall.open()
    line = _line(case, "居民身份证")
    response = _act(api, case, f"materials/{line.id}", hall.officer, status="received")
    assert response.status_code == 200, response.content
    line.refresh_from_db()
    assert (line.status, line.received_copies) == (MaterialStatus.RECEIVED, line.copies)
    marked = next(m for m in response.json()["materials"] if m["id"] == line.id)
    assert (marked["status"], marked["status_label"]) == ("received", "已收")


def test_it_needs_a_note_for_a_defective_material(api, hall):
    case = hall.open()
    unchanged = _unchanged(case)
    response = _act(api, case, f"materials/{_line(case, '申请表').id}", hall.officer, status="defective")
    assert "瑕疵说明" in _refused(response, 400, "defect")["detail"]
    unchanged()


def test_it_answers_404_for_a_material_of_another_case(api, hall):
    case, other = hall.open(), hall.open()
    response = _act(api, case, f"materials/{other.materials.first().id}", hall.officer, status="received")
    _refused(response, 404, "material")
    _refused(_act(api, case, f"materials/{2**70}", hall.officer, status="received"), 404, "material")


def test_it_accepts_a_case_with_every_material_in(api, hall):
    case = hall.receive_all(hall.open())
    response = _act(api, case, "accept", hall.officer, expected_version=case.version)
    assert response.status_code == 200, response.content
    case.refresh_from_db()
    data = response.json()
    assert (case.state, data["state_label"]) == (CaseState.ACCEPTED, "已受理")
    assert data["clock"]["promised_due"] == case.promised_due.isoformat()


def test_it_refuses_to_accept_with_materials_missing_and_changes_nothing(api, hall):
    case = hall.open()
    unchanged = _unchanged(case)
    body = _refused(_act(api, case, "accept", hall.officer), 409, "materials")
    assert "未收齐" in body["detail"]
    unchanged()


def test_it_refuses_an_action_the_state_does_not_allow_with_the_reason(api, hall):
    case = hall.open()
    unchanged = _unchanged(case)
    body = _refused(_act(api, case, "transfer", hall.officer), 409)
    assert body["detail"] == "办件尚未受理，请先受理再转办"
    unchanged()


def test_it_refuses_a_click_made_on_a_stale_page(api, hall):
    case = hall.receive_all(hall.open())
    unchanged = _unchanged(case)
    body = _refused(_act(api, case, "accept", hall.officer, expected_version=case.version - 1), 409)
    assert "刷新" in body["detail"]
    unchanged()


def test_it_answers_404_for_an_action_on_an_unknown_case(api, hall):
    _refused(api("post", "/cases/QJQ-20990101-0001/accept", hall.officer, {}), 404, "number")


def test_it_accepts_with_a_promise_and_takes_the_deferred_material_later(api, hall):
    case = hall.receive_all(hall.open(BENEFIT, now=timezone.now()), but=["解除或终止劳动关系"])
    line = _line(case, "解除或终止劳动关系")
    due = (timezone.localdate() + datetime.timedelta(days=2)).isoformat()
    response = _act(
        api,
        case,
        f"materials/{line.id}",
        hall.officer,
        status="deferred",
        promise="承诺两日内补交原件",
        promise_due=due,
    )
    assert response.status_code == 200, response.content
    response = _act(api, case, "accept-with-promise", hall.officer)
    assert response.json()["state"] == "accepted_deferred", response.content
    response = _act(api, case, "deferred-material-received", hall.officer, material=line.id)
    assert response.status_code == 200, response.content
    assert response.json()["state"] == "accepted"


def test_it_issues_a_correction_notice_and_takes_the_materials_back(api, hall):
    case = hall.receive_all(hall.open(now=timezone.now()), but=["申请表"])
    response = _act(api, case, "request-correction", hall.officer)
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["state"] == "correction"
    assert [(n["sequence"], n["materials"]) for n in data["correction_notices"]] == [(1, [_line(case, "申请表").name])]
    response = _act(api, case, "correction-received", hall.officer)
    assert response.json()["state"] == "received", response.content
    assert _line(case, "申请表").status == MaterialStatus.RECEIVED


def test_it_refuses_correction_materials_not_on_the_notice(api, hall):
    case = hall.receive_all(hall.open(now=timezone.now()), but=["申请表"])
    _act(api, case, "request-correction", hall.officer)
    case.refresh_from_db()
    unchanged = _unchanged(case)
    _refused(_act(api, case, "correction-received", hall.officer, received=[_line(case, "居民身份证").id]), 400)
    unchanged()


def test_it_rejects_an_application_with_the_reason(api, hall):
    case = hall.open()
    response = _act(api, case, "reject", hall.officer, reason="不属于本机关职权范围，请向市人社局申请")
    assert response.status_code == 200, response.content
    data = response.json()
    assert (data["state"], data["rejection_reason"]) == ("not_accepted", "不属于本机关职权范围，请向市人社局申请")
    assert "行政复议" in data["rejection_remedies"]


def test_it_needs_a_reason_to_reject(api, hall):
    case = hall.open()
    unchanged = _unchanged(case)
    _refused(_act(api, case, "reject", hall.officer, reason="  "), 400, "reason")
    unchanged()


def test_it_refuses_a_misspelt_field_rather_than_ignore_it(api, hall):
    case = hall.receive_all(hall.open())
    unchanged = _unchanged(case)
    response = _act(api, case, "accept", hall.officer, expected_verison=case.version - 1)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "expected_verison"
    unchanged()


def test_it_refuses_a_body_that_is_not_an_object(api, hall):
    case = hall.receive_all(hall.open())
    unchanged = _unchanged(case)
    response = api("post", f"/cases/{case.number}/accept", hall.officer, [None, None])
    assert response.status_code == 422
    unchanged()


def test_it_answers_a_missing_required_field_with_422_naming_it(api, hall):
    case = hall.open()
    response = _act(api, case, "reject", hall.officer)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "reason"


# --- 转办 and the back office -------------------------------------------------------------------


def test_it_transfers_an_accepted_case_to_its_department(api, hall):
    case = hall.accepted()
    response = _act(api, case, "transfer", hall.officer)
    assert response.status_code == 200, response.content
    data = response.json()
    assert (data["state"], data["department"]["code"], data["current_step"]) == ("reviewing", "rsj", "handle")


def test_an_approver_passes_and_returns_steps(api, hall):
    case = hall.transferred()
    response = _act(api, case, "step-pass", hall.approver, opinion="材料齐全，同意")
    assert response.json()["current_step"] == "review", response.content
    response = _act(api, case, "step-return", hall.approver, opinion="请核实劳动合同")
    assert response.json()["current_step"] == "handle", response.content
    opinions = [e["opinion"] for e in response.json()["events"] if e["kind"] in ("step_passed", "step_returned")]
    assert opinions == ["材料齐全，同意", "请核实劳动合同"]


def test_it_refuses_an_approver_of_another_department_and_changes_nothing(api, hall):
    case = hall.transferred()
    unchanged = _unchanged(case)
    body = _refused(_act(api, case, "step-pass", hall.other_approver, opinion="同意"), 403)
    assert "区人社局" in body["detail"] or "审批人员" in body["detail"]
    unchanged()


def test_it_refuses_a_window_officer_passing_a_step(api, hall):
    case = hall.transferred()
    unchanged = _unchanged(case)
    _refused(_act(api, case, "step-pass", hall.officer, opinion="同意"), 403)
    unchanged()


def test_it_refuses_to_return_the_first_step(api, hall):
    case = hall.transferred()
    _refused(_act(api, case, "step-return", hall.approver, opinion="退回"), 409)


def test_it_suspends_and_resumes_the_clocks(api, hall):
    case = hall.transferred()
    response = _act(api, case, "suspend", hall.approver, kind="site_inspection", reason="需现场核查经营场所")
    assert response.json()["state"] == "suspended", response.content
    response = _act(api, case, "resume", hall.approver, result="现场核查符合要求")
    assert response.json()["state"] == "reviewing", response.content


def test_it_refuses_an_unknown_kind_of_special_procedure(api, hall):
    case = hall.transferred()
    response = _act(api, case, "suspend", hall.approver, kind="holiday", reason="x")
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "kind"


def test_it_decides_at_the_approval_step_and_sends_the_result_to_the_window(api, hall):
    case = hall.at_approval()
    response = _act(api, case, "decide", hall.approver, decision="granted", result_number="前人社认〔2026〕009号")
    assert response.status_code == 200, response.content
    data = response.json()
    assert (data["state"], data["decision_label"], data["result_number"]) == ("ready", "准予", "前人社认〔2026〕009号")


def test_a_refusal_needs_its_reason(api, hall):
    case = hall.at_approval()
    unchanged = _unchanged(case)
    response = _act(api, case, "decide", hall.approver, decision="refused", result_number="前人社不〔2026〕1号")
    assert "第三十八条" in _refused(response, 400, "opinion")["detail"]
    unchanged()


# --- delivery -----------------------------------------------------------------------------------


def test_it_hands_the_result_over_at_the_window_for_the_pickup_code(api, hall):
    case = hall.ready()
    response = _act(api, case, "deliver-at-window", hall.officer, proof="pickup_code", pickup_code=case.pickup_code)
    assert response.status_code == 200, response.content
    assert response.json()["state"] == "delivered"
    assert case.pickup_code.encode() not in response.content


def test_it_refuses_a_wrong_pickup_code(api, hall):
    case = hall.ready()
    unchanged = _unchanged(case)
    wrong = "000000" if case.pickup_code != "000000" else "111111"
    _refused(_act(api, case, "deliver-at-window", hall.officer, proof="pickup_code", pickup_code=wrong), 400)
    unchanged()


def test_it_hands_the_result_to_the_applicant_who_shows_their_id(api, hall):
    case = hall.ready()
    response = _act(api, case, "deliver-at-window", hall.officer, proof="identity", recipient_id_number=PERSON_ID)
    assert response.json()["state"] == "delivered", response.content
    assert PERSON_ID.encode() not in response.content


def test_it_posts_the_result_and_marks_it_delivered(api, hall):
    case = hall.ready()
    response = _act(
        api, case, "post", hall.officer, carrier="SF", tracking_number="SF1234567890123", address="前进区友谊路18号"
    )
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["state"] == "posted"
    assert [(d["carrier"], d["tracking_number"], d["recipient_name"]) for d in data["deliveries"]] == [
        ("SF", "SF1234567890123", "张*")
    ]
    response = _act(api, case, "mark-delivered", hall.officer)
    assert response.json()["state"] == "delivered", response.content


def test_it_takes_a_delivery_time_without_a_zone_as_beijing_time(api, hall):
    case = hall.ready()
    services.case_post(
        case=case, user=hall.officer, carrier="EMS", tracking_number="1123456789012", address="前进区友谊路18号",
        now=timezone.now() - datetime.timedelta(hours=2),
    )  # fmt: skip
    signed = timezone.localtime().replace(microsecond=0, tzinfo=None) - datetime.timedelta(hours=1)
    response = _act(api, case, "mark-delivered", hall.officer, delivered_at=signed.isoformat())
    assert response.status_code == 200, response.content
    case.refresh_from_db()
    assert timezone.localtime(case.delivered_at).replace(tzinfo=None) == signed


def test_it_refuses_a_tracking_number_in_the_wrong_format(api, hall):
    case = hall.ready()
    unchanged = _unchanged(case)
    response = _act(api, case, "post", hall.officer, carrier="SF", tracking_number="12345", address="前进区友谊路18号")
    assert "SF1234567890123" in _refused(response, 400, "tracking_number")["detail"]
    unchanged()


# --- the OpenAPI document -----------------------------------------------------------------------


def test_every_case_endpoint_is_documented_in_chinese(client):
    document = client.get("/api/v1/openapi.json").json()
    operations = [
        operation for path, methods in document["paths"].items() if "/cases" in path for operation in methods.values()
    ]
    assert len(operations) == 19
    for operation in operations:
        assert operation["tags"] == ["办件"]
        assert CHINESE.search(operation["summary"]), operation["summary"]
        assert CHINESE.search(operation["description"]), operation["summary"]


# --- GET /public/cases/{number} -----------------------------------------------------------------


def _public(api, number, last4):
    return api("get", f"/public/cases/{number}?phone_last4={last4}")


def test_it_shows_the_public_the_progress_of_a_case(api, hall):
    case = hall.transferred()
    services.case_step_pass(case=case, user=hall.approver, opinion="内部意见：同意")
    response = _public(api, case.number, "8000")
    assert response.status_code == 200, response.content
    data = response.json()
    assert (data["number"], data["state"], data["state_label"]) == (case.number, "reviewing", "审查中")
    assert [(s["name"], s["step"]) for s in data["steps"]] == [
        ("收件", ""), ("受理", ""), ("转办", ""), ("环节通过", "承办")
    ]  # fmt: skip
    assert data["promised_due"] == case.promised_due.isoformat()
    assert data["remaining_working_days"] is not None
    assert (data["pickup_method"], data["pickup_method_label"]) == ("window", "窗口领取")
    assert response["Cache-Control"] == "no-store"


def test_the_public_answer_has_no_names_identity_numbers_phones_or_opinions(api, hall):
    case = hall.transferred(agent_name="王五", agent_id_number=AGENT_ID)
    services.case_step_pass(case=case, user=hall.approver, opinion="内部意见：同意")
    content = _public(api, case.number, "8000").content.decode("unicode_escape")
    for secret in (
        "张三",
        "张*",
        "王五",
        PERSON_ID,
        AGENT_ID,
        PHONE,
        "138****8000",
        "内部意见",
        hall.approver.username,
    ):
        assert secret not in content


def test_a_wrong_pair_answers_exactly_like_an_unknown_number(api, hall):
    case = hall.open()
    wrong = _public(api, case.number, "8001")
    unknown = _public(api, "QJQ-20990101-0001", "8001")
    assert wrong.status_code == unknown.status_code == 404
    assert wrong.content == unknown.content
    assert sorted(wrong.headers.items()) == sorted(unknown.headers.items())
    assert CHINESE.search(wrong.json()["detail"])


def test_a_number_no_case_can_have_answers_like_an_unknown_one(api, hall):
    unknown = _public(api, "QJQ-20990101-0001", "8000")
    assert _public(api, "QJQ%00", "8000").content == unknown.content
    assert _public(api, "Q" * 300, "8000").content == unknown.content


def test_the_phone_digits_must_be_four_digits(api, hall):
    response = _public(api, "QJQ-20990101-0001", "80a0")
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "phone_last4"


def test_repeated_public_failures_are_answered_429_with_retry_after(api, hall):
    case = hall.open()
    for _ in range(5):
        assert _public(api, case.number, "0000").status_code == 404
    response = _public(api, case.number, "8000")
    body = _refused(response, 429)
    assert "分钟后再试" in body["detail"]
    assert 590 <= int(response["Retry-After"]) <= 600


# --- any input, signed in -----------------------------------------------------------------------

# tests/test_api_schema.py sends its input unauthenticated; this sends it as staff, to real cases.
case_operations = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application).include(tag="办件")


@pytest.fixture
def staff_and_cases(hall, make_staff):
    """Return a window officer who also approves for the case's department, and a token of theirs, and cases."""
    user = make_staff(Role.WINDOW_OFFICER, Role.APPROVER)
    DepartmentMembership.objects.create(user=user, department=hall.rsj)
    return _token(user), [hall.receive_all(hall.open()).number, hall.transferred().number]


@pytest.fixture
def _keep_the_test_transaction():
    """Keep the test's connection open across WSGI calls (see tests/test_api_schema.py)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.mark.usefixtures("_keep_the_test_transaction")
@case_operations.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_input_from_staff_makes_a_case_endpoint_fail(case, staff_and_cases):
    token, numbers = staff_and_cases
    if "number" in (case.path_parameters or {}):
        # Mostly a real case (one at the window, one under review), so the input reaches the services.
        case.path_parameters["number"] = numbers[len(repr(case.body)) % 2]
    response = case.call(headers={"Authorization": f"Bearer {token}"})
    assert response.status_code < 500, response.text
    # Input the schema allows may still be refused by the rules (400, 409): only the answers' shapes count here.
    case.validate_response(
        response,
        excluded_checks=[schemathesis.checks.ignored_auth, schemathesis.checks.positive_data_acceptance],
    )


def test_it_keeps_the_operation_ids_of_the_case_endpoints_whichever_module_holds_them():
    from quangangtong.api import api as ninja_api

    ids = {op["operationId"] for path in ninja_api.get_openapi_schema()["paths"].values() for op in path.values()}
    assert {
        "quangangtong_cases_api_case_create",
        "quangangtong_cases_api_case_detail",
        "quangangtong_cases_api_case_accept",
        "quangangtong_cases_api_case_step_pass",
        "quangangtong_cases_api_case_mark_delivered",
        "quangangtong_cases_api_case_public",
    } <= ids
