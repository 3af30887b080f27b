"""The public progress page: number and phone digits or the receipt's QR code, the same answer for every miss."""

import pytest
from django.utils import timezone

from quangangtong.cases import services
from quangangtong.cases.lifecycle import CaseState
from quangangtong.cases.services.public import case_public_progress
from quangangtong.cases.throttle import PublicLookupFailure

from .conftest import AGENT_ID, BENEFIT, PERSON_ID, PHONE

pytestmark = pytest.mark.django_db


def _look_up(client, number, last4):
    return client.post("/progress/", {"number": number, "phone_last4": last4})


def _by_token(client, case):
    return client.get(f"/progress/t/{services.case_public_token(case)}/")


def _same_answer(first, second):
    assert first.status_code == second.status_code
    assert first.content == second.content
    assert sorted(first.headers.items()) == sorted(second.headers.items())


# --- the form -----------------------------------------------------------------------------------


def test_it_shows_the_form_in_chinese(client, db):
    response = client.get("/progress/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "办件进度查询" in page
    assert 'name="number"' in page
    assert 'name="phone_last4"' in page
    assert 'inputmode="numeric"' in page
    assert response["Cache-Control"] == "no-store"


def test_it_shows_the_progress_for_the_right_pair(client, hall):
    case = hall.transferred()
    services.case_step_pass(case=case, user=hall.approver, opinion="同意", now=timezone.now())
    case.refresh_from_db()
    response = _look_up(client, case.number.lower(), "8000")
    assert response.status_code == 200
    page = response.content.decode()
    assert case.number in page
    assert "审查中" in page
    assert "环节通过（承办）" in page
    assert "转办" in page
    assert "2026年9月30日 10:00" in page
    assert f"{case.promised_due.year}年{case.promised_due.month}月{case.promised_due.day}日" in page
    assert "剩余天数" in page
    assert "窗口领取" in page
    assert response["Cache-Control"] == "no-store"


def test_the_page_shows_no_names_identity_numbers_phones_or_opinions(client, hall):
    case = hall.transferred(agent_name="王五", agent_id_number=AGENT_ID)
    services.case_step_pass(case=case, user=hall.approver, opinion="内部意见：同意", now=timezone.now())
    for response in (_look_up(client, case.number, "8000"), _by_token(client, case)):
        page = response.content.decode()
        assert response.status_code == 200
        for secret in ("张三", "张*", "王五", PERSON_ID, AGENT_ID, PHONE, "138****8000", "内部意见"):
            assert secret not in page


def test_the_page_never_shows_the_pickup_code(client, hall):
    case = hall.ready()
    page = _by_token(client, case).content.decode()
    assert "请携带身份证件或短信中的取件码到窗口领取" in page
    assert case.pickup_code not in page


def test_a_wrong_pair_gets_the_same_answer_as_an_unknown_number(client, hall):
    case = hall.open()
    wrong = _look_up(client, case.number, "8001")
    assert wrong.status_code == 404
    assert "没有找到这个办件" in wrong.content.decode()
    _same_answer(wrong, _look_up(client, "QJQ-20990101-0001", "8001"))


def test_it_explains_a_malformed_form_naming_the_field(client, db):
    response = _look_up(client, "", "80a")
    assert response.status_code == 400
    page = response.content.decode()
    assert "办件编号：请填写" in page
    assert "手机号码后四位：请填写4位数字" in page
    assert not PublicLookupFailure.objects.exists()


def test_it_refuses_a_number_with_a_nul_character_as_malformed(client, db):
    response = _look_up(client, "QJQ\x00", "8000")
    assert response.status_code == 400
    assert "办件编号：含有无效字符" in response.content.decode()


# --- the QR code --------------------------------------------------------------------------------


def test_the_qr_code_shows_the_progress_without_asking_for_the_phone(client, hall):
    case = hall.accepted()
    response = _by_token(client, case)
    assert response.status_code == 200
    page = response.content.decode()
    assert case.number in page
    assert "已受理" in page
    assert 'name="phone_last4"' not in page


def test_a_bad_token_gets_the_same_answer_as_an_unknown_number(client, hall):
    case = hall.open()
    token = services.case_public_token(case)
    forged = client.get(f"/progress/t/{token[:-1]}{'A' if token[-1] != 'A' else 'B'}/")
    _same_answer(forged, _look_up(client, "QJQ-20990101-0001", "8000"))
    _same_answer(client.get(f"/progress/t/{case.number}/"), forged)


# --- throttling ---------------------------------------------------------------------------------


def test_repeated_failures_are_answered_429_even_for_the_right_pair(client, hall):
    case = hall.open()
    for _ in range(5):
        assert _look_up(client, case.number, "0000").status_code == 404
    response = _look_up(client, case.number, "8000")
    assert response.status_code == 429
    assert "查询失败次数过多" in response.content.decode()
    assert 590 <= int(response["Retry-After"]) <= 600


def test_successful_look_ups_do_not_count_towards_the_limit(client, hall):
    case = hall.open()
    for _ in range(10):
        assert _look_up(client, case.number, "8000").status_code == 200
    for _ in range(5):
        assert _look_up(client, case.number, "0000").status_code == 404
    assert PublicLookupFailure.objects.count() == 5


def test_bad_tokens_count_as_failures(client, hall):
    for n in range(5):
        assert client.get(f"/progress/t/QJQ-X-{n}:forged/").status_code == 404
    assert client.get("/progress/t/QJQ-X:forged/").status_code == 429


def test_the_qr_code_still_opens_when_guesses_from_the_same_address_are_refused(client, hall):
    case = hall.open()
    for _ in range(6):
        _look_up(client, case.number, "0000")
    assert _by_token(client, case).status_code == 200


def test_the_page_and_the_api_share_the_count(client, hall):
    case = hall.open()
    for _ in range(5):
        _look_up(client, case.number, "0000")
    assert client.get(f"/api/v1/public/cases/{case.number}?phone_last4=8000").status_code == 429


# --- what the public sees -----------------------------------------------------------------------


def test_the_public_progress_counts_down_only_while_the_clocks_run(hall):
    case = hall.transferred()
    assert case_public_progress(case)["remaining_working_days"] == case.remaining_working_days
    delivered = hall.delivered()
    progress = case_public_progress(delivered)
    assert (progress["state"], progress["remaining_working_days"]) == (CaseState.DELIVERED, None)
    assert "欢迎对本次服务作出评价" in progress["note"]


def test_the_public_progress_names_the_carrier_of_a_posted_result(hall):
    case = hall.ready(BENEFIT)
    services.case_post(case=case, user=hall.officer, carrier="EMS", tracking_number="1123456789012", address="友谊路")
    case.refresh_from_db()
    progress = case_public_progress(case)
    assert (progress["pickup_method_label"], progress["carrier"]) == ("快递寄送", "中国邮政 EMS")
    assert progress["note"] == "结果已由中国邮政 EMS寄出，请留意查收。"


def test_a_lookup_with_text_no_case_number_has_finds_nothing(hall):
    case = hall.open()
    assert services.case_public_lookup(number=case.number + "\x00", phone_last4="8000") is None
    assert services.case_public_lookup(number=case.number, phone_last4="80\ud80000") is None
