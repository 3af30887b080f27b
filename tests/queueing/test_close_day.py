"""Day end: the queue_close_day command closes what was not served, and issuing stops at closing time."""

import datetime
from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.utils import timezone

from quangangtong.hall.models import Level, OfficerSkill, Site, TicketCategory, Window
from quangangtong.queueing.errors import FloorError
from quangangtong.queueing.models import Ticket, TicketEvent, TicketStatus
from quangangtong.queueing.services import (
    ticket_call_next,
    ticket_finish,
    ticket_hold,
    ticket_issue,
    ticket_no_show,
    ticket_start,
    window_sign_in,
)

DAY = datetime.date(2026, 11, 24)


def at(hour, minute=0):
    return timezone.make_aware(datetime.datetime.combine(DAY, datetime.time(hour, minute)))


@pytest.fixture
def clock(monkeypatch):
    """Set the time the command sees as now."""

    def set_now(moment):
        monkeypatch.setattr(timezone, "now", lambda: moment)

    return set_now


@pytest.fixture
def hall(db):
    """Build a small hall (three windows serving A, three officers) and a community station; return the hall."""
    hall = Site.objects.create(code="qjq-hall", name="前进区政务服务大厅")
    station = Site.objects.create(code="gangwan", name="港湾社区服务站", level=Level.COMMUNITY, parent=hall)
    TicketCategory.objects.create(site=station, prefix="S", name="社区事务")
    category = TicketCategory.objects.create(site=hall, prefix="A", name="社保医保")
    for number in (1, 2, 3):
        window = Window.objects.create(site=hall, number=number)
        window.categories.add(category)
        officer = User.objects.create_user(username=f"officer{number:02d}")
        OfficerSkill.objects.create(officer=officer, category=category, certified_on=DAY, certified_by="培训")
    return hall


@pytest.fixture
def day(hall):
    """Leave the hall at day end with one ticket in every status, and the station with one waiting; return the hall."""

    def signed_in(number):
        window = Window.objects.get(site=hall, number=number)
        officer = User.objects.get(username=f"officer{number:02d}")
        window_sign_in(window=window, officer=officer, now=at(8, 30))
        return window, officer

    for minute in range(6):
        ticket_issue(site=hall, category="A", now=at(9, minute))
    window1, officer01 = signed_in(1)
    window2, officer02 = signed_in(2)
    window3, officer03 = signed_in(3)
    finished = ticket_call_next(window=window1, officer=officer01, now=at(10))
    ticket_start(ticket=finished, officer=officer01, now=at(10, 1))
    ticket_finish(ticket=finished, officer=officer01, now=at(10, 9))
    no_show = ticket_call_next(window=window1, officer=officer01, now=at(10, 10))
    ticket_no_show(ticket=no_show, officer=officer01, now=at(10, 15))
    held = ticket_call_next(window=window3, officer=officer03, now=at(11))
    ticket_hold(ticket=held, officer=officer03, now=at(11, 5))
    ticket_call_next(window=window3, officer=officer03, now=at(17, 20))
    serving = ticket_call_next(window=window2, officer=officer02, now=at(17, 10))
    ticket_start(ticket=serving, officer=officer02, now=at(17, 12))
    ticket_issue(site=Site.objects.get(code="gangwan"), category="S", now=at(9))
    assert statuses(hall) == {
        "A001": "finished", "A002": "no_show", "A003": "held", "A004": "called", "A005": "serving", "A006": "waiting",
    }  # fmt: skip
    return hall


def close_day(*args):
    out = StringIO()
    call_command("queue_close_day", *args, stdout=out)
    return out.getvalue()


def statuses(site):
    return dict(Ticket.objects.filter(site=site).values_list("number", "status"))


def test_it_closes_the_unserved_tickets_of_every_site_and_counts_them(day, clock):
    clock(at(17, 30))

    out = close_day()

    assert statuses(day) == {
        "A001": "finished", "A002": "closed", "A003": "closed", "A004": "closed", "A005": "serving", "A006": "closed",
    }  # fmt: skip
    assert statuses(Site.objects.get(code="gangwan")) == {"S001": "closed"}
    assert "前进区政务服务大厅（qjq-hall）：关闭未办理的排队票 4 张" in out
    assert "港湾社区服务站（gangwan）：关闭未办理的排队票 1 张" in out
    assert "合计关闭 5 张（2026-11-24 17:30）" in out


def test_each_closure_is_a_timeline_row_saying_what_the_ticket_was(day, clock):
    clock(at(17, 30))

    close_day()

    closures = TicketEvent.objects.filter(kind="closed", ticket__site=day).select_related("ticket")
    assert {(e.ticket.number, e.detail["from"], e.at) for e in closures} == {
        ("A002", "no_show", at(17, 30)),
        ("A003", "held", at(17, 30)),
        ("A004", "called", at(17, 30)),
        ("A006", "waiting", at(17, 30)),
    }
    for ticket in Ticket.objects.filter(status=TicketStatus.CLOSED):
        assert ticket.events.order_by("at", "id").last().kind == "closed"


def test_a_ticket_being_served_is_left_to_finish(day, clock):
    clock(at(17, 30))
    close_day()
    serving = Ticket.objects.get(site=day, number="A005")

    ticket_finish(ticket=serving, officer=serving.officer, now=at(17, 45))

    assert [e.kind for e in serving.events.all()] == ["issued", "called", "serving", "finished"]


def test_running_it_again_closes_nothing_more(day, clock):
    clock(at(17, 30))
    close_day()
    clock(at(17, 40))

    out = close_day()

    assert "合计关闭 0 张" in out
    assert TicketEvent.objects.filter(kind="closed").count() == 5


def test_site_limits_it_to_one_site(day, clock):
    clock(at(17, 30))

    out = close_day("--site", "qjq-hall")

    assert "gangwan" not in out
    assert statuses(Site.objects.get(code="gangwan")) == {"S001": "waiting"}
    assert statuses(day)["A006"] == "closed"


def test_a_site_whose_closing_time_has_not_come_is_skipped(day, clock):
    station = Site.objects.get(code="gangwan")
    station.closing_time = datetime.time(18, 0)
    station.save()
    clock(at(17, 30))

    out = close_day()

    assert "（gangwan）：未到停止取号时间 18:00，跳过" in out
    assert statuses(station) == {"S001": "waiting"}
    assert statuses(day)["A006"] == "closed"


def test_at_records_the_closing_time_given_when_run_late(day, clock):
    clock(at(19, 5))

    out = close_day("--at", "17:30")

    assert "合计关闭 5 张（2026-11-24 17:30）" in out
    assert set(TicketEvent.objects.filter(kind="closed").values_list("at", flat=True)) == {at(17, 30)}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--site", "nowhere"], "站点“nowhere”不存在；现有站点编码："),
        (["--at", "5pm"], "--at “5pm”格式不对，应为 HH:MM，如 17:30"),
        (["--at", "25:00"], "--at “25:00”格式不对"),
        (["--at", "18:00"], "--at 18:00 晚于现在（17:40），不能提前记录清号时间"),
    ],
)
def test_bad_arguments_are_refused_in_chinese_and_change_nothing(day, clock, args, message):
    clock(at(17, 40))
    before = statuses(day)

    with pytest.raises(CommandError, match=message):
        close_day(*args)

    assert statuses(day) == before
    assert not TicketEvent.objects.filter(kind="closed").exists()


def test_at_is_refused_when_a_ticket_moved_after_it(day, clock):
    late = Ticket.objects.get(site=day, number="A004")
    ticket_no_show(ticket=late, officer=late.officer, now=at(17, 35))
    clock(at(17, 40))

    with pytest.raises(CommandError, match="17:30 之后还有未办理的排队票有过操作，不能按 17:30 清号；请不带 --at 运行"):
        close_day("--at", "17:30")

    assert not TicketEvent.objects.filter(kind="closed").exists()


def test_before_closing_time_nothing_is_closed(day, clock):
    clock(at(16, 0))

    out = close_day()

    assert "合计关闭 0 张" in out
    assert not Ticket.objects.filter(status=TicketStatus.CLOSED).exists()


def test_the_help_shows_the_crontab_line():
    from quangangtong.queueing.management.commands.queue_close_day import Command

    assert "30 17 * * *" in Command().create_parser("qgt manage", "queue_close_day").format_help()


def test_issuing_after_closing_time_is_refused_in_chinese(hall):
    ticket_issue(site=hall, category="A", now=at(17, 29))

    with pytest.raises(FloorError, match=r"今日已停止取号（17:30 后），请明天再来或咨询引导员") as refused:
        ticket_issue(site=hall, category="A", now=at(17, 30))

    assert refused.value.status == 409
    assert Ticket.objects.filter(site=hall).count() == 1
