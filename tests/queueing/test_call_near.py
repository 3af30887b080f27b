"""The text message to a visitor who left a phone, when only a few people are before them."""

import datetime

from django.utils import timezone

from quangangtong.notify.models import Notification
from quangangtong.queueing.models import Ticket
from quangangtong.queueing.services import ticket_call_next, ticket_finish, ticket_issue, ticket_start, window_sign_in

MORNING = timezone.make_aware(datetime.datetime(2026, 11, 24, 9, 0))


def _queue(floor, phones):
    return [
        ticket_issue(site=floor, category="A", phone=phone, now=MORNING + datetime.timedelta(seconds=n))[0]
        for n, phone in enumerate(phones)
    ]


def _serve_next(window, officer, minutes):
    called = ticket_call_next(window=window, officer=officer, now=MORNING + datetime.timedelta(minutes=minutes))
    ticket_start(ticket=called, officer=officer)
    ticket_finish(ticket=called, officer=officer)
    return called


def test_it_texts_the_visitor_with_three_people_before_them_once(floor, officer, window3):
    tickets = _queue(floor, ["", "", "", "", "13800138000"])
    window_sign_in(window=window3, officer=officer, now=MORNING)
    assert not Notification.objects.exists()
    _serve_next(window3, officer, 5)  # A001 called: A002, A003, A004 are before A005
    sent = Notification.objects.get()
    assert sent.template == "ticket_call_near"
    assert sent.phone == "13800138000"
    assert sent.ref == f"ticket:{tickets[4].id}"
    assert "A005号前面还有3人" in sent.text
    _serve_next(window3, officer, 10)
    assert Notification.objects.count() == 1
    assert Ticket.objects.get(pk=tickets[4].pk).near_notified_at is not None


def test_nobody_is_texted_without_a_phone_or_when_the_hall_turned_it_off(floor, officer, window3):
    _queue(floor, ["", "", "", "", ""])
    window_sign_in(window=window3, officer=officer, now=MORNING)
    _serve_next(window3, officer, 5)
    assert not Notification.objects.exists()
    floor.call_near_ahead = 0
    floor.save(update_fields=["call_near_ahead"])
    window3.refresh_from_db()  # as the next request would read the site again
    _queue(floor, ["13800138000"] * 5)
    _serve_next(window3, officer, 10)
    assert not Notification.objects.exists()
