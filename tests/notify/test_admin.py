"""The admin: the outbox shows phones masked and cannot be edited; the hall's wording is checked before saving."""

import pytest
from django.urls import reverse

from quangangtong.notify.models import MessageOverride
from quangangtong.notify.services import message_render, notification_send
from tests.notify.conftest import PHONE

pytestmark = pytest.mark.django_db


@pytest.fixture
def notification(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return notification_send(
            template="ticket_call_near", phone=PHONE, context={"ticket": "A012", "ahead": 3}, ref="ticket:123"
        )


def test_it_lists_messages_with_the_phone_masked(admin_client, notification):
    page = admin_client.get(reverse("admin:notify_notification_changelist")).content.decode()
    assert "138****8000" in page
    assert "ticket:123" in page
    assert PHONE not in page


def test_it_shows_a_message_with_the_phone_masked(admin_client, notification):
    page = admin_client.get(reverse("admin:notify_notification_change", args=[notification.pk])).content.decode()
    assert "138****8000" in page
    assert "您的A012号前面还有3人" in page
    assert PHONE not in page


def test_it_finds_a_persons_messages_by_the_full_phone(admin_client, notification):
    page = admin_client.get(reverse("admin:notify_notification_changelist"), {"q": PHONE}).content.decode()
    assert "ticket:123" in page
    page = admin_client.get(reverse("admin:notify_notification_changelist"), {"q": "13900139000"}).content.decode()
    assert "ticket:123" not in page


def test_it_cannot_delete_or_edit_a_message(admin_client, notification):
    assert admin_client.get(reverse("admin:notify_notification_delete", args=[notification.pk])).status_code == 403
    response = admin_client.post(
        reverse("admin:notify_notification_change", args=[notification.pk]), {"phone": "13900139000"}
    )
    assert response.status_code == 403
    notification.refresh_from_db()
    assert notification.phone == PHONE


def test_it_saves_the_halls_wording_and_uses_it(admin_client):
    response = admin_client.post(
        reverse("admin:notify_messageoverride_add"),
        {"key": "ticket_call_near", "text": "${ticket}号：还有${ahead}位就到您了。"},
    )
    assert response.status_code == 302
    text = message_render(template="ticket_call_near", context={"ticket": "A012", "ahead": 3})
    assert text == "【全岗通】A012号：还有3位就到您了。"


def test_it_refuses_wording_with_an_unknown_parameter(admin_client):
    response = admin_client.post(
        reverse("admin:notify_messageoverride_add"), {"key": "ticket_call_near", "text": "${name}您好，请到大厅。"}
    )
    assert response.status_code == 200
    assert "不存在的参数 ${name}" in response.content.decode()
    assert not MessageOverride.objects.exists()


def test_it_shows_the_default_texts_and_parameters_beside_the_form(admin_client):
    page = admin_client.get(reverse("admin:notify_messageoverride_add")).content.decode()
    assert "${tracking_number}" in page
    assert "请到大厅等候" in page
