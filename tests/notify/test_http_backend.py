"""The http backend against a fake gateway on 127.0.0.1: the request it makes, and every way it can fail."""

import pytest

from quangangtong.notify.models import NotificationStatus
from quangangtong.notify.services import notification_send
from tests.notify.conftest import PHONE

pytestmark = pytest.mark.django_db


@pytest.fixture
def send(django_capture_on_commit_callbacks):
    """Send one call-near reminder through the backend; return its row as recorded after the attempt."""

    def send_one():
        with django_capture_on_commit_callbacks(execute=True):
            notification = notification_send(
                template="ticket_call_near", phone=PHONE, context={"ticket": "A012", "ahead": 3}, ref="ticket:123"
            )
        notification.refresh_from_db()
        return notification

    return send_one


def test_it_posts_the_message_as_json_with_the_api_key(gateway, send):
    notification = send()
    [request] = gateway.requests
    assert request.path == "/sms/send"
    assert request.headers["Authorization"] == "Bearer test-gateway-key"
    assert request.headers["Content-Type"] == "application/json; charset=utf-8"
    assert request.headers["Idempotency-Key"] == f"qgt-notification-{notification.pk}"
    assert request.body == {
        "phone": PHONE,
        "text": "【全岗通】您的A012号前面还有3人，请到大厅等候。",
        "ref": "ticket:123",
    }


def test_it_records_the_gateways_message_id(gateway, send):
    notification = send()
    assert notification.status == NotificationStatus.SENT
    assert notification.gateway_message_id == "gw-1"
    assert notification.backend == "http"
    assert notification.delivery_attempts.get().gateway_message_id == "gw-1"


def test_it_accepts_a_2xx_without_a_body(gateway, send):
    gateway.mode = "plain"
    notification = send()
    assert notification.status == NotificationStatus.SENT
    assert notification.gateway_message_id == ""


def test_it_records_an_http_500_as_a_failure(gateway, send):
    gateway.mode = "fail"
    notification = send()
    assert notification.status == NotificationStatus.FAILED
    assert notification.sent_at is None
    assert notification.attempts == 1
    assert notification.last_error.startswith("短信网关返回 HTTP 500")
    attempt = notification.delivery_attempts.get()
    assert not attempt.succeeded
    assert attempt.error == notification.last_error


def test_it_records_a_timeout_as_a_failure(gateway, send):
    gateway.mode = "hang"
    notification = send()
    assert notification.status == NotificationStatus.FAILED
    assert "超时" in notification.last_error
    attempt = notification.delivery_attempts.get()
    assert (attempt.finished_at - attempt.started_at).total_seconds() < 5


def test_it_does_not_follow_a_redirect(gateway, send):
    gateway.mode = "redirect"
    notification = send()
    assert notification.status == NotificationStatus.FAILED
    assert "HTTP 302" in notification.last_error
    assert len(gateway.requests) == 1


def test_it_records_an_error_in_the_gateways_answer_as_a_failure(gateway, send):
    gateway.mode = "refuse"
    notification = send()
    assert notification.status == NotificationStatus.FAILED
    assert notification.last_error == "短信网关拒绝发送：余额不足"


def test_it_records_a_gateway_that_is_down_as_a_failure(gateway, send):
    gateway.stop()
    notification = send()
    assert notification.status == NotificationStatus.FAILED
    assert "无法连接短信网关" in notification.last_error
