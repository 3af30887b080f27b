"""The floor from ticket to finish, through the services."""

import datetime

import pytest
from django.utils import timezone

from quangangtong.queueing.errors import FloorError
from quangangtong.queueing.models import LiveEvent, TicketStatus
from quangangtong.queueing.services import (
    ticket_call_next,
    ticket_finish,
    ticket_issue,
    ticket_start,
    window_sign_in,
)

MORNING = timezone.make_aware(datetime.datetime(2026, 11, 24, 9, 0))


def test_a_ticket_goes_from_issue_to_finish(floor, officer, window3):
    ticket, created = ticket_issue(site=floor, category="A", now=MORNING)
    assert created
    assert ticket.number == "A001"
    window_sign_in(window=window3, officer=officer, now=MORNING)
    called = ticket_call_next(window=window3, officer=officer, now=MORNING + datetime.timedelta(minutes=3))
    assert called == ticket
    assert called.status == TicketStatus.CALLED
    ticket_start(ticket=called, officer=officer, now=MORNING + datetime.timedelta(minutes=4))
    done = ticket_finish(ticket=called, officer=officer, now=MORNING + datetime.timedelta(minutes=12))
    assert done.status == TicketStatus.FINISHED
    assert [e.kind for e in ticket.events.all()] == ["issued", "called", "serving", "finished"]
    call = LiveEvent.objects.get(kind="call")
    assert call.payload["text"] == "请A001号到3号窗口办理"


def test_numbers_follow_each_other_per_prefix_and_day(floor):
    numbers = [ticket_issue(site=floor, category=c, now=MORNING)[0].number for c in "AABA"]
    assert numbers == ["A001", "A002", "B001", "A003"]
    tomorrow = MORNING + datetime.timedelta(days=1)
    assert ticket_issue(site=floor, category="A", now=tomorrow)[0].number == "A001"


def test_the_same_idempotency_key_returns_the_same_ticket(floor):
    first, created = ticket_issue(site=floor, category="A", idempotency_key="k1", now=MORNING)
    again, created_again = ticket_issue(site=floor, category="A", idempotency_key="k1", now=MORNING)
    assert created
    assert not created_again
    assert again == first


def test_calling_without_signing_in_is_refused(floor, officer, window3):
    ticket_issue(site=floor, category="A", now=MORNING)
    with pytest.raises(FloorError, match="没有人员签到"):
        ticket_call_next(window=window3, officer=officer, now=MORNING)


def test_an_officer_never_gets_an_item_they_are_not_certified_for(floor, window3):
    from django.contrib.auth.models import User

    from quangangtong.catalog.models import ServiceItem

    learner = User.objects.get(username="officer08")  # B only
    window_sign_in(window=window3, officer=learner, now=MORNING)
    pension = ServiceItem.objects.filter(department__code="rsj").first()
    ticket_issue(site=floor, item=pension, now=MORNING)
    assert ticket_call_next(window=window3, officer=learner, now=MORNING) is None


def test_call_next_reads_the_heads_of_the_queues_as_the_routing_rule_would(floor, officer, window3):
    from quangangtong.catalog.models import ServiceItem
    from quangangtong.hall.models import TicketCategory
    from quangangtong.queueing import routing
    from quangangtong.queueing.services import _queue_heads_for, _waiting_for

    a_items = list(ServiceItem.objects.filter(ticket_categories__site=floor, ticket_categories__prefix="A")[:2])
    assert TicketCategory.objects.get(site=floor, prefix="A").items.count() >= 2
    for n in range(12):
        ticket_issue(
            site=floor,
            category="AB"[n % 2],
            item=a_items[n % 2] if n % 3 == 0 and n % 2 == 0 else None,
            priority=routing.Priority.GREEN if n % 4 == 0 else routing.Priority.NORMAL,
            now=MORNING + datetime.timedelta(seconds=n // 3),  # ties in time, broken by id
        )
    expected = sorted(routing.queue_heads(_waiting_for(window3)), key=lambda t: t.id)
    assert sorted(_queue_heads_for(window3), key=lambda t: t.id) == expected
    assert len(expected) < len(_waiting_for(window3))
