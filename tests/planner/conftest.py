import datetime
import random
import secrets

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from quangangtong.catalog.models import Department, ServiceItem
from quangangtong.hall.models import OfficerSkill, Proficiency, Site, TicketCategory, Window
from quangangtong.queueing.models import Ticket, TicketEvent, TicketEventKind


@pytest.fixture(autouse=True)
def _planner_in_the_request(settings):
    """Run planner questions in the request that starts them, in this process (no background thread)."""
    settings.QGT_PLANNER_SYNC = True
    settings.QGT_PLANNER_WORKERS = 1


UNTIL = datetime.date(2026, 3, 27)  # a Friday


def hall_history_build(*, code="busy-hall", weeks=2, until=UNTIL, per_day=40, seed=1):
    """Build a site with two categories, three items, three windows and three officers, and `per_day` finished
    tickets on each Monday–Friday of the `weeks` weeks ending on `until`; return the site."""
    rng = random.Random(seed)
    site = Site.objects.create(code=code, name="繁忙大厅", closing_time=datetime.time(17, 0))
    department = Department.objects.create(code=f"{code}-dept", name="测试局")
    items = [
        ServiceItem.objects.create(implementation_code=f"{code}-{n}", name=name, department=department)
        for n, name in enumerate(["社保卡申领", "医保转移", "低保申请"])
    ]
    social = TicketCategory.objects.create(site=site, prefix="A", name="社保")
    welfare = TicketCategory.objects.create(site=site, prefix="B", name="民生")
    social.items.set(items[:2])
    welfare.items.set(items[2:])
    for number in (1, 2, 3):
        Window.objects.create(site=site, number=number).categories.set([social, welfare])
    officers = [User.objects.create_user(username=f"{code}-officer{n}", first_name=f"人员{n}") for n in (1, 2, 3)]
    for officer in officers:
        for category in (social, welfare):
            OfficerSkill.objects.create(
                officer=officer,
                category=category,
                proficiency=Proficiency.FLUENT,
                certified_on=until,
                certified_by="培训",
            )
    categories = [social, social, welfare]
    tickets, steps = [], []
    day = until - datetime.timedelta(weeks=weeks) + datetime.timedelta(days=1)
    while day <= until:
        if day.weekday() < 5:
            for sequence in range(1, per_day + 1):
                n = rng.randrange(3)
                issued = timezone.make_aware(
                    datetime.datetime.combine(day, datetime.time(9)) + datetime.timedelta(minutes=rng.randrange(480))
                )
                called = issued + datetime.timedelta(minutes=rng.randrange(1, 30))
                finished = called + datetime.timedelta(minutes=1 + rng.expovariate(1 / 8))
                officer = officers[rng.randrange(3)]
                ticket = Ticket(
                    site=site, category=categories[n], item=items[n], day=day, sequence=sequence,
                    number=f"{categories[n].prefix}{sequence:03d}", channel="kiosk", issued_at=issued,
                    queued_at=issued, public_token=secrets.token_urlsafe(16), status="finished",
                )  # fmt: skip
                tickets.append(ticket)
                steps.append(
                    (
                        ticket,
                        [
                            (TicketEventKind.ISSUED, issued, None),
                            (TicketEventKind.CALLED, called, officer),
                            (TicketEventKind.SERVING, called + datetime.timedelta(minutes=1), officer),
                            (TicketEventKind.FINISHED, finished + datetime.timedelta(minutes=1), officer),
                        ],
                    )
                )
        day += datetime.timedelta(days=1)
    Ticket.objects.bulk_create(tickets, batch_size=2000)
    TicketEvent.objects.bulk_create(
        (
            TicketEvent(ticket=t, kind=kind, at=at, officer=officer)
            for t, events in steps
            for kind, at, officer in events
        ),
        batch_size=2000,
    )
    return site


@pytest.fixture
def busy_hall(db):
    return hall_history_build()
