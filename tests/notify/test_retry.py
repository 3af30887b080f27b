"""notifications_retry and the notify_retry command: failed and stuck messages are sent again, each try once."""

import datetime
import threading
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from quangangtong.notify.models import Notification, NotificationStatus
from quangangtong.notify.services import _deliver, notification_send, notifications_retry
from tests.notify.conftest import PHONE

CASE_ACCEPTED = {
    "template": "case_accepted",
    "context": {"item": "食品经营许可", "case": "QJQ-20261125-0007", "promised_due": datetime.date(2026, 12, 3)},
    "ref": "case:QJQ-20261125-0007",
}
CALL_NEAR = {"template": "ticket_call_near", "context": {"ticket": "A012", "ahead": 3}, "ref": "ticket:123"}


@pytest.fixture
def failed(gateway, django_capture_on_commit_callbacks):
    """Return a function making a message whose first try the gateway answered with HTTP 500."""

    def make(message=CASE_ACCEPTED, now=None):
        gateway.mode = "fail"
        with django_capture_on_commit_callbacks(execute=True):
            notification = notification_send(phone=PHONE, now=now, **message)
        gateway.mode = "ok"
        notification.refresh_from_db()
        assert notification.status == NotificationStatus.FAILED
        return notification

    return make


@pytest.mark.django_db
def test_it_sends_a_failed_message_again(gateway, failed):
    notification = failed()
    assert notifications_retry(max_attempts=3) == (1, 0)
    notification.refresh_from_db()
    assert notification.status == NotificationStatus.SENT
    assert notification.attempts == 2
    assert notification.last_error == ""
    assert notification.gateway_message_id == "gw-2"
    assert [attempt.succeeded for attempt in notification.delivery_attempts.all()] == [False, True]
    keys = {request.headers["Idempotency-Key"] for request in gateway.requests}
    assert keys == {f"qgt-notification-{notification.pk}"}


@pytest.mark.django_db
def test_it_counts_a_retry_that_fails_again(gateway, failed):
    notification = failed()
    gateway.mode = "fail"
    assert notifications_retry(max_attempts=3) == (0, 1)
    notification.refresh_from_db()
    assert (notification.status, notification.attempts) == (NotificationStatus.FAILED, 2)


@pytest.mark.django_db
def test_it_stops_after_max_attempts(gateway, failed):
    failed()
    gateway.mode = "fail"
    assert notifications_retry(max_attempts=2) == (0, 1)
    assert notifications_retry(max_attempts=2) == (0, 0)
    assert len(gateway.requests) == 2


@pytest.mark.django_db
def test_it_leaves_sent_messages_alone(gateway, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        notification_send(phone=PHONE, **CASE_ACCEPTED)
    assert notifications_retry(max_attempts=5) == (0, 0)
    assert len(gateway.requests) == 1


@pytest.mark.django_db
def test_it_sends_a_message_left_queued_once_it_is_stale(gateway, django_capture_on_commit_callbacks):
    now = timezone.now()
    with django_capture_on_commit_callbacks(execute=False):  # the process died before its commit hook ran
        notification = notification_send(phone=PHONE, now=now, **CASE_ACCEPTED)
    assert notifications_retry(max_attempts=5, now=now + datetime.timedelta(minutes=5)) == (0, 0)
    assert notifications_retry(max_attempts=5, now=now + datetime.timedelta(minutes=11)) == (1, 0)
    notification.refresh_from_db()
    assert (notification.status, notification.attempts) == (NotificationStatus.SENT, 1)


@pytest.mark.django_db
def test_it_gives_up_on_a_call_near_reminder_after_15_minutes(gateway, failed):
    earlier = timezone.now() - datetime.timedelta(minutes=20)
    reminder = failed(CALL_NEAR, now=earlier)
    case_message = failed(CASE_ACCEPTED, now=earlier)
    assert notifications_retry(max_attempts=5) == (1, 0)
    reminder.refresh_from_db()
    case_message.refresh_from_db()
    assert reminder.status == NotificationStatus.FAILED
    assert case_message.status == NotificationStatus.SENT


@pytest.mark.django_db
def test_it_makes_a_try_only_once_when_two_processes_claim_it(gateway, failed):
    notification = failed()
    # Both read attempts=1 before either claimed the next try.
    assert _deliver(notification.pk, attempts_seen=1) is True
    assert _deliver(notification.pk, attempts_seen=1) is None
    assert len(gateway.requests) == 2


@pytest.mark.django_db(transaction=True)
def test_a_retry_overlapping_a_slow_send_does_not_send_again(gateway, failed, settings):
    notification = failed()
    settings.QGT_SMS_TIMEOUT = 10
    gateway.mode = "hang"
    outcomes = []

    def retry_in_another_process():
        try:
            outcomes.append(notifications_retry(max_attempts=5))
        finally:
            connection.close()

    slow = threading.Thread(target=retry_in_another_process)
    slow.start()
    assert gateway.wait_for_requests(2)
    assert notifications_retry(max_attempts=5) == (0, 0)
    gateway.release.set()
    slow.join(timeout=15)
    assert outcomes == [(1, 0)]
    assert len(gateway.requests) == 2
    notification.refresh_from_db()
    assert (notification.status, notification.attempts) == (NotificationStatus.SENT, 2)


@pytest.mark.django_db
def test_the_command_retries_and_reports_in_chinese(gateway, failed):
    notification = failed()
    out = StringIO()
    call_command("notify_retry", "--max-attempts", "3", stdout=out)
    assert out.getvalue().strip() == "重发短信：成功 1 条，失败 0 条。"
    notification.refresh_from_db()
    assert notification.status == NotificationStatus.SENT


@pytest.mark.django_db
def test_the_command_refuses_max_attempts_below_one():
    with pytest.raises(CommandError, match="至少为 1"):
        call_command("notify_retry", "--max-attempts", "0")


@pytest.mark.django_db
def test_nothing_is_deleted_by_retrying(gateway, failed):
    failed()
    failed(CALL_NEAR)
    notifications_retry(max_attempts=5)
    assert Notification.objects.count() == 2
