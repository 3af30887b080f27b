"""notification_send: checks before writing, the outbox row, sending after commit, the console and file backends."""

import logging

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction

from quangangtong.notify.backends import get_backend
from quangangtong.notify.errors import NotifyError
from quangangtong.notify.models import Notification, NotificationStatus
from quangangtong.notify.services import notification_send
from tests.notify.conftest import PHONE

CALL_NEAR = {"ticket": "A012", "ahead": 3}


def send(**overrides):
    arguments = {"template": "ticket_call_near", "phone": PHONE, "context": CALL_NEAR, "ref": "ticket:123"}
    return notification_send(**{**arguments, **overrides})


@pytest.mark.django_db
def test_it_records_the_message_in_the_outbox(outbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        notification = send(phone="+86 138-0013-8000")
    notification.refresh_from_db()
    assert notification.template == "ticket_call_near"
    assert notification.phone == PHONE
    assert notification.text == "【全岗通】您的A012号前面还有3人，请到大厅等候。"
    assert notification.ref == "ticket:123"
    assert notification.status == NotificationStatus.SENT
    assert notification.attempts == 1
    assert notification.backend == "file"
    assert notification.sent_at >= notification.created_at
    attempt = notification.delivery_attempts.get()
    assert (attempt.number, attempt.succeeded, attempt.backend) == (1, True, "file")


@pytest.mark.django_db
def test_it_sends_only_once_the_transaction_commits(outbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        notification = send()
    assert outbox() == []
    assert notification.status == NotificationStatus.QUEUED
    callbacks[0]()
    assert [line["text"] for line in outbox()] == ["【全岗通】您的A012号前面还有3人，请到大厅等候。"]


@pytest.mark.django_db(transaction=True)
def test_it_sends_nothing_when_the_transaction_rolls_back(outbox):
    def case_action_that_fails_after_queueing_its_message():
        with transaction.atomic():
            send(
                template="case_accepted", context={"item": "食品经营许可", "case": "QJQ-1", "promised_due": "当场办结"}
            )
            raise RuntimeError("the case action failed")

    with pytest.raises(RuntimeError):
        case_action_that_fails_after_queueing_its_message()
    assert outbox() == []
    assert not Notification.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_it_sends_at_once_outside_a_transaction_and_returns_the_result(outbox):
    notification = send()
    assert notification.status == NotificationStatus.SENT
    assert len(outbox()) == 1


@pytest.mark.django_db
@pytest.mark.parametrize("phone", ["", "1380013800", "23800138000", "010-12345678", None])
def test_it_refuses_an_invalid_phone_and_writes_nothing(phone):
    with pytest.raises(NotifyError) as caught:
        send(phone=phone)
    assert caught.value.field == "phone"
    assert caught.value.status == 400
    assert "手机号码" in caught.value.message
    assert not Notification.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("ref", ["", "123", "case QJQ-1", "case:", "case:11010519491231002X"])
def test_it_refuses_a_ref_that_is_not_a_kind_and_a_number(ref):
    with pytest.raises(NotifyError) as caught:
        send(ref=ref)
    assert caught.value.field == "ref"
    assert not Notification.objects.exists()


@pytest.mark.django_db
def test_it_refuses_an_identity_number_before_writing_anything(outbox):
    with pytest.raises(NotifyError) as caught:
        send(context={"ticket": "A012", "ahead": 3, "name": "申请人11010519491231002X"})
    assert caught.value.field == "context.name"
    assert not Notification.objects.exists()


@pytest.mark.django_db
def test_the_console_backend_logs_the_text_with_the_phone_masked(caplog, django_capture_on_commit_callbacks):
    with caplog.at_level(logging.INFO, logger="quangangtong.notify"), django_capture_on_commit_callbacks(execute=True):
        notification = send()
    notification.refresh_from_db()
    assert notification.status == NotificationStatus.SENT
    assert notification.backend == "console"
    assert "138****8000" in caplog.text
    assert "您的A012号前面还有3人" in caplog.text
    assert PHONE not in caplog.text


@pytest.mark.django_db
def test_the_file_backend_appends_one_json_line_per_message(outbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        first = send()
        send(phone="13900139000", ref="ticket:124")
    lines = outbox()
    assert [(line["phone"], line["ref"]) for line in lines] == [(PHONE, "ticket:123"), ("13900139000", "ticket:124")]
    assert lines[0]["key"] == f"qgt-notification-{first.pk}"


@pytest.mark.django_db
def test_it_records_a_file_that_cannot_be_written_as_a_failure(settings, tmp_path, django_capture_on_commit_callbacks):
    settings.QGT_NOTIFY_BACKEND = "file"
    settings.QGT_NOTIFY_FILE = tmp_path  # a directory
    with django_capture_on_commit_callbacks(execute=True):
        notification = send()
    notification.refresh_from_db()
    assert notification.status == NotificationStatus.FAILED
    assert "无法写入短信文件" in notification.last_error


@pytest.mark.django_db
def test_it_records_a_misconfigured_backend_as_a_failure(settings, django_capture_on_commit_callbacks):
    settings.QGT_NOTIFY_BACKEND = "http"
    settings.QGT_SMS_URL = ""
    with django_capture_on_commit_callbacks(execute=True):
        notification = send()
    notification.refresh_from_db()
    assert notification.status == NotificationStatus.FAILED
    assert "QGT_SMS_URL" in notification.last_error


@pytest.mark.parametrize(
    ("changes", "named"),
    [
        ({"QGT_NOTIFY_BACKEND": "carrier-pigeon"}, "QGT_NOTIFY_BACKEND"),
        ({"QGT_NOTIFY_BACKEND": "http", "QGT_SMS_URL": "file:///etc/passwd", "QGT_SMS_API_KEY": "k"}, "QGT_SMS_URL"),
        (
            {"QGT_NOTIFY_BACKEND": "http", "QGT_SMS_URL": "https://gw.example/", "QGT_SMS_API_KEY": ""},
            "QGT_SMS_API_KEY",
        ),
    ],
)
def test_it_refuses_a_backend_configuration_that_cannot_work(settings, changes, named):
    for name, value in changes.items():
        setattr(settings, name, value)
    with pytest.raises(ImproperlyConfigured, match=named):
        get_backend()
