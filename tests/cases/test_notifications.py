"""The applicant's text messages: accepted, materials needed, result ready, posted; none for a refused action."""

import datetime
import logging

import pytest

from quangangtong.cases import services
from quangangtong.cases.errors import CaseError
from quangangtong.cases.lifecycle import Decision
from quangangtong.cases.models import DeliveryProof, MaterialStatus
from quangangtong.notify.models import MessageOverride, Notification, NotificationStatus
from quangangtong.notify.texts import find_id_number

from .conftest import ACCEPTED_AT, AGENT_ID, BENEFIT, EMPLOYMENT_CARD, PERSON_ID, PHONE

pytestmark = pytest.mark.django_db


def messages_of(case, template=None):
    rows = Notification.objects.filter(ref=f"case:{case.number}")
    if template:
        rows = rows.filter(template=template)
    return list(rows.order_by("id"))


def _deferred(hall, **fields):
    case = hall.receive_all(hall.open(BENEFIT, **fields), but=("解除或终止劳动关系",))
    line = case.materials.get(necessity="3")
    services.case_material_mark(
        case=case, user=hall.officer, material=line, status=MaterialStatus.DEFERRED, promise="十月九日前补交",
        promise_due=datetime.date(2026, 10, 9), now=ACCEPTED_AT,
    )  # fmt: skip
    return case, line


def test_it_texts_the_applicant_when_the_case_is_accepted(hall):
    case = hall.accepted()
    [message] = messages_of(case)
    assert (message.template, message.phone, message.ref) == ("case_accepted", PHONE, f"case:{case.number}")
    assert case.number in message.text
    due = case.promised_due
    assert f"{due.year}年{due.month}月{due.day}日" in message.text


def test_it_texts_nothing_when_acceptance_is_refused(hall):
    case = hall.open()
    with pytest.raises(CaseError):
        services.case_accept(case=case, user=hall.officer, now=ACCEPTED_AT)
    assert messages_of(case) == []


def test_it_texts_the_applicant_when_accepted_with_a_promise(hall):
    case, _ = _deferred(hall)
    services.case_accept_with_promise(case=case, user=hall.officer, now=ACCEPTED_AT)
    assert [m.template for m in messages_of(case)] == ["case_accepted"]


def test_it_texts_every_material_of_the_one_time_notice(hall):
    case = hall.receive_all(hall.open(), but=("申请表", "相关类别证明"))
    services.case_request_correction(case=case, user=hall.officer, now=ACCEPTED_AT)
    [message] = messages_of(case)
    assert message.template == "case_materials_needed"
    for line in case.materials.exclude(status=MaterialStatus.RECEIVED):
        assert line.name in message.text


def test_it_texts_nothing_when_a_correction_notice_is_refused(hall):
    case = hall.receive_all(hall.open())
    with pytest.raises(CaseError):
        services.case_request_correction(case=case, user=hall.officer, now=ACCEPTED_AT)
    assert messages_of(case) == []


def test_it_texts_the_pickup_code_when_the_result_is_ready(hall):
    case = hall.ready()
    [message] = messages_of(case, "case_result_ready")
    assert case.pickup_code in message.text


def test_it_texts_the_pickup_code_of_an_immediate_case_decided_at_the_window(hall):
    case = hall.accepted(EMPLOYMENT_CARD)
    case = services.case_decide(
        case=case, user=hall.officer, decision=Decision.GRANTED, result_number="2326001", now=ACCEPTED_AT
    )
    [message] = messages_of(case, "case_result_ready")
    assert case.pickup_code in message.text


def test_it_texts_no_pickup_code_for_a_result_sent_by_post(hall):
    case = hall.ready(BENEFIT, pickup_method="post")
    assert messages_of(case, "case_result_ready") == []


def test_it_texts_the_result_ready_only_once_the_deferred_material_arrives(hall):
    case, line = _deferred(hall)
    case = services.case_accept_with_promise(case=case, user=hall.officer, now=ACCEPTED_AT)
    case = services.case_transfer(case=case, user=hall.officer, now=ACCEPTED_AT)
    for _ in range(2):
        case = services.case_step_pass(case=case, user=hall.approver, opinion="同意", now=ACCEPTED_AT)
    case = services.case_decide(
        case=case, user=hall.approver, decision=Decision.GRANTED, result_number="R-1", now=ACCEPTED_AT
    )
    assert messages_of(case, "case_result_ready") == []
    case = services.case_deferred_material_received(case=case, user=hall.officer, material=line, now=ACCEPTED_AT)
    assert len(messages_of(case, "case_result_ready")) == 1


def test_it_texts_the_carrier_and_tracking_number_when_posted(hall):
    case = hall.ready(BENEFIT)
    services.case_post(
        case=case, user=hall.officer, carrier="EMS", tracking_number="1123456789012", address="前进区长安路1号",
        now=ACCEPTED_AT,
    )  # fmt: skip
    [message] = messages_of(case, "case_posted")
    assert "中国邮政 EMS" in message.text
    assert "1123456789012" in message.text


def test_it_texts_nothing_when_posting_is_refused(hall):
    case = hall.ready(BENEFIT)
    with pytest.raises(CaseError):
        services.case_post(case=case, user=hall.officer, carrier="SF", tracking_number="123", address="长安路1号")
    assert messages_of(case, "case_posted") == []


def test_it_never_puts_an_identity_number_in_a_text(hall):
    case = hall.receive_all(
        hall.open(BENEFIT, agent_name="王五", agent_id_number=AGENT_ID, agent_phone="13900139000"), but=("银行",)
    )
    services.case_request_correction(case=case, user=hall.officer, now=ACCEPTED_AT)
    case = services.case_correction_received(case=case, user=hall.officer, now=ACCEPTED_AT)
    case = services.case_accept(case=case, user=hall.officer, now=ACCEPTED_AT)
    case = services.case_transfer(case=case, user=hall.officer, now=ACCEPTED_AT)
    for _ in range(2):
        case = services.case_step_pass(case=case, user=hall.approver, opinion="同意", now=ACCEPTED_AT)
    case = services.case_decide(case=case, user=hall.approver, decision="granted", result_number="R", now=ACCEPTED_AT)
    services.case_deliver_at_window(
        case=case, user=hall.officer, proof=DeliveryProof.IDENTITY, recipient_id_number=AGENT_ID, now=ACCEPTED_AT
    )
    texts = [m.text for m in messages_of(case)]
    assert len(texts) == 3
    for text in texts:
        assert PERSON_ID not in text
        assert AGENT_ID not in text
        assert find_id_number(text) == ""


def test_it_keeps_the_action_when_the_text_cannot_be_made(hall, caplog):
    MessageOverride.objects.create(key="case_accepted", text="办件${case}已受理，${unknown}")
    with caplog.at_level(logging.WARNING, logger="quangangtong.cases"):
        case = hall.accepted()
    assert case.accepted_at is not None
    assert messages_of(case) == []
    assert case.number in caplog.text


def test_it_sends_the_text_once_the_action_commits(hall, django_capture_on_commit_callbacks):
    case = hall.receive_all(hall.open())
    with django_capture_on_commit_callbacks(execute=True):
        services.case_accept(case=case, user=hall.officer, now=ACCEPTED_AT)
    [message] = messages_of(case)
    message.refresh_from_db()
    assert message.status == NotificationStatus.SENT
