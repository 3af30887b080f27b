"""Calibration: a scenario recovered from a hall's ticket timeline, valid for the planner and its simulator."""

import datetime
import secrets
import statistics

import pytest
import yaml
from django.contrib.auth.models import User
from django.utils import timezone

from quangangtong.catalog.models import Department, ServiceItem
from quangangtong.hall.models import Level, OfficerSkill, Proficiency, Site, TicketCategory, Window
from quangangtong.planning.scenario import scenario_from_dict, scenario_load
from quangangtong.planning.simulation import simulate
from quangangtong.queueing.calibration import (
    CalibrationError,
    calibration_run,
    calibration_yaml,
    scenario_calibrate,
)
from quangangtong.queueing.models import Ticket, TicketEvent, TicketEventKind, TicketPriority
from quangangtong.queueing.services import (
    ticket_call_next,
    ticket_finish,
    ticket_hold,
    ticket_issue,
    ticket_resume,
    ticket_start,
    window_sign_in,
)

UNTIL = datetime.date(2026, 3, 27)  # a Friday; with weeks=2 the period is Sat 14 – Fri 27 March, ten working days
DAYS = [datetime.date(2026, 3, d) for d in (16, 17, 18, 19, 20, 23, 24, 25, 26, 27)]
# Item X (category A): 30 tickets on Mondays, 15 on other days, spread over the hours by this pattern (hour index
# after 09:00); every 15th is a no-show. Served by the fluent officer in 4 and 8 minutes, alternately.
X_HOURS = [0, 0, 0, 1, 1, 1, 2, 2, 3, 4, 5, 6, 6, 7, 7]
X_MINUTES = (4, 8)
# Item Y (category B): 4 a day at 11:xx, every 4th a green-channel ticket; two served by the fluent officer
# (9 and 11 minutes), two by the officer still learning it (LEARNER_MINUTES). One more Y ticket is transferred.
Y_FLUENT_MINUTES = (9, 11)
LEARNER_MINUTES = 18
# Category E: 2 general tickets a day at 14:xx, never called (closed at day end).


def at(day, hour, minute=0):
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


class Timeline:
    """Write tickets and their events in bulk, numbering tickets per day."""

    def __init__(self, site):
        self.site, self.numbers, self.tickets, self.events = site, {}, [], []

    def ticket(self, *, category, item, issued_at, priority=TicketPriority.NORMAL, steps=()):
        day = timezone.localdate(issued_at)
        sequence = self.numbers[day] = self.numbers.get(day, 0) + 1
        ticket = Ticket(
            site=self.site, category=category, item=item, day=day, sequence=sequence,
            number=f"{category.prefix}{sequence:03d}", priority=priority, channel="kiosk", issued_at=issued_at,
            queued_at=issued_at, public_token=secrets.token_urlsafe(16), status="finished",
        )  # fmt: skip
        self.tickets.append(ticket)
        self.events.append((ticket, [(TicketEventKind.ISSUED, issued_at, None), *steps]))

    def save(self):
        Ticket.objects.bulk_create(self.tickets)
        TicketEvent.objects.bulk_create(
            TicketEvent(ticket=ticket, kind=kind, at=moment, officer=officer)
            for ticket, steps in self.events
            for kind, moment, officer in steps
        )


def served(officer, called_at, minutes):
    start = called_at + datetime.timedelta(minutes=1)
    return [
        (TicketEventKind.CALLED, called_at, officer),
        (TicketEventKind.SERVING, start, officer),
        (TicketEventKind.FINISHED, start + datetime.timedelta(minutes=minutes), officer),
    ]


def build_hall(*, learner_minutes=LEARNER_MINUTES):
    """Build a two-window hall with three officers and two weeks of known tickets; return the site."""
    site = Site.objects.create(
        code="test-hall", name="测试大厅", opening_hours="周一至周五 9:00—12:00，13:00—17:00",
        closing_time=datetime.time(17, 0),
    )  # fmt: skip
    station = Site.objects.create(code="station", name="测试社区站", level=Level.COMMUNITY, parent=site)
    department = Department.objects.create(code="dept", name="测试局")
    x = ServiceItem.objects.create(implementation_code="X001", name="社保卡申领", department=department)
    y = ServiceItem.objects.create(implementation_code="Y001", name="低保申请", department=department)
    a = TicketCategory.objects.create(site=site, prefix="A", name="社保")
    b = TicketCategory.objects.create(site=site, prefix="B", name="民生")
    e = TicketCategory.objects.create(site=site, prefix="E", name="咨询")
    s = TicketCategory.objects.create(site=station, prefix="S", name="社区事务")
    a.items.add(x)
    b.items.add(y)
    for number in (1, 2):
        Window.objects.create(site=site, number=number).categories.set([a, b, e])
    Window.objects.create(site=station, number=1).categories.set([s])
    fluent = User.objects.create_user(username="fluent", first_name="张熟练")
    learner = User.objects.create_user(username="learner", first_name="李学习")
    novice = User.objects.create_user(username="novice", first_name="王新手")
    stationer = User.objects.create_user(username="stationer", first_name="站点人员")
    for officer, target, level in (
        (fluent, {"category": a}, Proficiency.FLUENT),
        (fluent, {"category": b}, Proficiency.FLUENT),
        (learner, {"category": a}, Proficiency.FLUENT),
        (learner, {"item": y}, Proficiency.LEARNING),
        (novice, {"category": e}, Proficiency.FLUENT),
        (novice, {"category": a}, Proficiency.LEARNING),
        (stationer, {"category": s}, Proficiency.FLUENT),
    ):
        OfficerSkill.objects.create(
            officer=officer, proficiency=level, certified_on=DAYS[0], certified_by="培训", **target
        )

    timeline = Timeline(site)
    x_served = 0
    for day in DAYS:
        for n in range(30 if day.weekday() == 0 else 15):
            issued = at(day, 9 + X_HOURS[n % 15], 10 + n)
            called = issued + datetime.timedelta(minutes=5)
            if n % 15 == 14:
                steps = [
                    (TicketEventKind.CALLED, called, fluent),
                    (TicketEventKind.NO_SHOW, called + datetime.timedelta(minutes=2), fluent),
                ]
            else:
                steps = served(fluent, called, X_MINUTES[x_served % 2])
                x_served += 1
            timeline.ticket(category=a, item=x, issued_at=issued, steps=steps)
        for n in range(4):
            issued = at(day, 11, 5 + 10 * n)
            called = issued + datetime.timedelta(minutes=5)
            steps = served(fluent, called, Y_FLUENT_MINUTES[n]) if n < 2 else served(learner, called, learner_minutes)
            priority = TicketPriority.GREEN if n == 0 else TicketPriority.NORMAL
            timeline.ticket(category=b, item=y, issued_at=issued, priority=priority, steps=steps)
        for n in range(2):
            closed = [(TicketEventKind.CLOSED, at(day, 17, 30), None)]
            timeline.ticket(category=e, item=None, issued_at=at(day, 14, 10 + n), steps=closed)
    # Served 30 minutes by the learner, transferred, then 60 by the fluent officer: left out of the counter times.
    issued = at(DAYS[2], 10, 30)
    steps = [
        (TicketEventKind.CALLED, issued, learner),
        (TicketEventKind.SERVING, issued, learner),
        (TicketEventKind.TRANSFERRED, issued + datetime.timedelta(minutes=30), learner),
        *served(fluent, issued + datetime.timedelta(minutes=40), 60),
    ]
    timeline.ticket(category=b, item=y, issued_at=issued, steps=steps)
    # Outside the period (the day before it starts, the day after it ends): ignored.
    for day in (datetime.date(2026, 3, 13), datetime.date(2026, 3, 28)):
        timeline.ticket(category=a, item=x, issued_at=at(day, 9, 30), steps=served(fluent, at(day, 9, 35), 90))
    timeline.save()
    return site


@pytest.fixture
def hall(db):
    return build_hall()


@pytest.fixture
def calibration(hall):
    return calibration_run(site="test-hall", weeks=2, until=UNTIL)


def items_of(data):
    return {item["code"]: item for item in data["items"]}


def test_it_recovers_the_daily_volume_of_each_item(calibration):
    items = items_of(calibration.scenario)
    assert items["X001"]["daily_volume"] == 18.0  # (2 × 30 + 8 × 15) / 10 opening days
    assert items["Y001"]["daily_volume"] == 4.1  # 40 + the transferred ticket, counted once
    assert items["E-general"]["daily_volume"] == 2.0
    assert items["E-general"]["category"] == "E"
    assert calibration.tickets == 241
    assert calibration.opening_days == 10


def test_it_ignores_tickets_outside_the_period(hall):
    wider = calibration_run(site=hall, weeks=3, until=datetime.date(2026, 3, 28))
    assert wider.tickets == 243
    assert calibration_run(site=hall, weeks=2, until=UNTIL).tickets == 241


def test_the_period_ends_yesterday_by_default(hall, monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: at(datetime.date(2026, 3, 28), 10))
    calibration = calibration_run(site=hall, weeks=2)
    assert (calibration.first, calibration.until) == (datetime.date(2026, 3, 14), UNTIL)
    assert calibration.tickets == 241


def test_it_bins_arrivals_by_local_hour_from_the_site_s_opening_hours(calibration):
    data = calibration.scenario
    assert data["day"] == {"open": "09:00", "close": "17:00"}
    x_shares = [X_HOURS.count(h) / 15 for h in range(8)]
    assert items_of(data)["X001"]["hourly_profile"] == pytest.approx(x_shares, abs=1e-4)
    hall = [180 * share for share in x_shares]
    hall[2] += 40  # Y at 11:xx
    hall[1] += 1  # the transferred Y at 10:30
    hall[5] += 20  # E at 14:xx
    assert data["hourly_profile"] == pytest.approx([n / 241 for n in hall], abs=1e-4)
    assert calibration.clipped_arrivals == 0


def test_an_item_with_few_tickets_takes_the_hall_s_profile_and_weekday_factors(calibration):
    y = items_of(calibration.scenario)["Y001"]
    assert "hourly_profile" not in y
    assert "weekday_factors" not in y
    assert "小时分布用全厅的" in calibration.item_notes["Y001"]


def test_it_recovers_weekday_factors_per_item_and_for_the_hall(calibration):
    data = calibration.scenario
    assert data["weekdays"] == ["mon", "tue", "wed", "thu", "fri"]
    x = items_of(data)["X001"]["weekday_factors"]
    assert x == {"mon": round(30 / 18, 3), "tue": round(15 / 18, 3), "wed": round(15 / 18, 3),
                 "thu": round(15 / 18, 3), "fri": round(15 / 18, 3)}  # fmt: skip
    # Monday 36 tickets, Wednesday 21 and 22 (the transferred one), other days 21; 24.1 a day on average.
    assert data["weekday_factors"] == {
        "mon": round(36 / 24.1, 3), "tue": round(21 / 24.1, 3), "wed": round(21.5 / 24.1, 3),
        "thu": round(21 / 24.1, 3), "fri": round(21 / 24.1, 3),
    }  # fmt: skip


def test_it_recovers_counter_time_mean_and_cv_from_fluent_officers(calibration):
    items = items_of(calibration.scenario)
    x_samples = [4, 8] * 84
    assert items["X001"]["mean_service_minutes"] == 6.0
    assert items["X001"]["service_cv"] == round(statistics.stdev(x_samples) / 6, 3)
    # The learner's 18-minute services and the transferred ticket's 30 + 60 minutes are not the item's time.
    y_samples = [9, 11] * 10
    assert items["Y001"]["mean_service_minutes"] == 10.0
    assert items["Y001"]["service_cv"] == round(statistics.stdev(y_samples) / 10, 3)
    assert calibration.transferred == 1


def test_an_item_without_services_gets_the_hall_s_mean_and_cv(calibration):
    general = items_of(calibration.scenario)["E-general"]
    hall = [4, 8] * 84 + [9, 11] * 10  # every service by an officer not learning the item
    assert general["mean_service_minutes"] == round(statistics.fmean(hall), 2)
    assert "service_cv" not in general  # the file's top-level service_cv applies
    assert calibration.scenario["service_cv"] == round(statistics.stdev(hall) / statistics.fmean(hall), 3)
    assert "用全厅平均时长和 CV" in calibration.item_notes["E-general"]


def test_it_estimates_the_learner_s_speed_factor_and_defaults_when_data_are_thin(calibration):
    officers = {o["name"]: o for o in calibration.scenario["layouts"]["calibrated"]["officers"]}
    assert officers["李学习"]["learning_speed_factor"] == 1.8  # 18 minutes against the fluent 10
    assert "learning_speed_factor" not in officers["王新手"]  # learning A, never served it: the default 1.5
    assert calibration.scenario["learning_speed_factor"] == 1.5
    assert "用默认系数 1.5" in calibration.officer_notes["王新手"]


def test_it_bounds_the_learner_s_speed_factor(db):
    build_hall(learner_minutes=60)
    data = scenario_calibrate(site="test-hall", weeks=2, until=UNTIL)
    officers = {o["name"]: o for o in data["layouts"]["calibrated"]["officers"]}
    assert officers["李学习"]["learning_speed_factor"] == 3.0


def test_it_measures_no_shows_among_called_tickets_and_the_priority_share(calibration):
    data = calibration.scenario
    assert data["no_show_share"] == round(12 / 221, 4)  # 180 X and 41 Y tickets called, 12 X no-shows
    assert data["no_show_minutes"] == 2.0
    assert data["priority_share"] == round(10 / 241, 4)


def test_the_layout_is_the_site_s_staff_with_their_skills_and_windows(calibration):
    layout = calibration.scenario["layouts"]["calibrated"]
    assert layout["windows"] == 2
    skills = {o["name"]: o["skills"] for o in layout["officers"]}
    assert skills == {
        "张熟练": {"A": "fluent", "B": "fluent"},
        # Certified for an item of B, so the live rule lets them take B's general tickets too: none came here.
        "李学习": {"A": "fluent", "Y001": "learning"},
        "王新手": {"E": "fluent", "A": "learning"},
    }
    assert calibration.scenario["default_layout"] == "calibrated"


def test_it_leaves_out_items_nobody_on_the_staff_can_serve_and_officers_with_no_use(hall):
    OfficerSkill.objects.filter(officer__username="novice", category__prefix="E").delete()
    unused = ServiceItem.objects.create(
        implementation_code="Z001", name="无人取号的事项", department=Department.objects.get()
    )
    TicketCategory.objects.get(site=hall, prefix="A").items.add(unused)
    specialist = User.objects.create_user(username="specialist", first_name="赵专员")
    OfficerSkill.objects.create(officer=specialist, item=unused, certified_on=UNTIL, certified_by="培训")

    calibration = calibration_run(site=hall, weeks=2, until=UNTIL)
    assert set(items_of(calibration.scenario)) == {"X001", "Y001"}
    names = [o["name"] for o in calibration.scenario["layouts"]["calibrated"]["officers"]]
    assert names == ["张熟练", "李学习", "王新手"]
    notes = "\n".join(calibration.notes)
    assert "E-general（咨询（未选具体事项））现有人员无人具备技能" in notes
    assert "赵专员（specialist）" in notes
    scenario_from_dict(calibration.scenario)


def test_the_planner_accepts_and_simulates_it(calibration):
    scenario = scenario_from_dict(calibration.scenario)
    assert {item.code for item in scenario.items} == {"X001", "Y001", "E-general"}
    assert len(scenario.officers) == 3
    assert scenario.weekdays == (0, 1, 2, 3, 4)
    assert scenario.no_show_share == calibration.scenario["no_show_share"]
    assert scenario.volume_factor(scenario.items[0], 0) == round(30 / 18, 3)  # X001's own Monday factor
    result = simulate(scenario, days=1, seed=1)
    assert result.served > 0


def test_the_file_round_trips_through_scenario_load_with_its_comments(calibration, tmp_path):
    text = calibration_yaml(calibration)
    assert yaml.safe_load(text) == calibration.scenario
    header = text.split("\nname:")[0]
    assert "2026-03-14 至 2026-03-27" in header
    assert "取号 241 张" in header
    assert "Asia/Shanghai" in header
    path = tmp_path / "calibrated.yaml"
    path.write_text(text, encoding="utf-8")
    scenario = scenario_load(path)
    assert scenario.layout == "calibrated"
    assert scenario.day.open_minute == 9 * 60


@pytest.mark.parametrize(
    ("options", "field", "reason"),
    [
        ({"site": "nowhere"}, "site", "没有编码为“nowhere”的站点"),
        ({"site": "test-hall", "weeks": 0}, "weeks", "不小于 1"),
        ({"site": "test-hall", "until": datetime.date(2999, 1, 1)}, "until", "晚于今天"),
        ({"site": "test-hall", "weeks": 1, "until": datetime.date(2026, 1, 9)}, "weeks", "没有取号记录"),
    ],
)
def test_it_refuses_bad_options_naming_them(hall, options, field, reason):
    with pytest.raises(CalibrationError) as refused:
        calibration_run(**options)
    assert refused.value.field == field
    assert reason in refused.value.reason


def test_it_reads_the_timeline_the_floor_services_write(db):
    """A held visitor's time away from the window is not counter time."""
    site = Site.objects.create(code="small", name="小站", opening_hours="8:30—17:00")
    category = TicketCategory.objects.create(site=site, prefix="A", name="综合")
    window = Window.objects.create(site=site, number=1)
    window.categories.add(category)
    officer = User.objects.create_user(username="o1")
    OfficerSkill.objects.create(officer=officer, category=category, certified_on=UNTIL, certified_by="培训")
    day = UNTIL
    window_sign_in(window=window, officer=officer, now=at(day, 7, 30))
    # Issued at 07:45 (before the hall opens: counted in its first hour) and 09:20 local time (23:45, 01:20 UTC).
    for issued, minutes in ((at(day, 7, 45), 5), (at(day, 9, 20), 7)):
        ticket_issue(site=site, category="A", now=issued)
        minute = datetime.timedelta(minutes=1)
        called = ticket_call_next(window=window, officer=officer, now=issued + minute)
        ticket_start(ticket=called, officer=officer, now=issued + 2 * minute)
        ticket_finish(ticket=called, officer=officer, now=issued + (2 + minutes) * minute)
    ticket, _ = ticket_issue(site=site, category="A", now=at(day, 10, 0))
    ticket_call_next(window=window, officer=officer, now=at(day, 10, 1))
    ticket_start(ticket=ticket, officer=officer, now=at(day, 10, 2))
    ticket_hold(ticket=ticket, officer=officer, now=at(day, 10, 4))  # 2 minutes, then 40 away
    ticket_resume(ticket=ticket, officer=officer, now=at(day, 10, 44))
    ticket_start(ticket=ticket, officer=officer, now=at(day, 10, 45))
    ticket_finish(ticket=ticket, officer=officer, now=at(day, 10, 49))  # and 4 more: 6 in all

    calibration = calibration_run(site=site, weeks=1, until=day)
    general = items_of(calibration.scenario)["A-general"]
    assert calibration.services == 3
    assert general["mean_service_minutes"] == 6.0  # (5 + 7 + 6) / 3, the hall's mean
    assert calibration.scenario["day"] == {"open": "08:00", "close": "18:00"}  # 8:30 down, 17:30 closing up
    assert calibration.scenario["hourly_profile"] == pytest.approx([1 / 3, 1 / 3, 1 / 3] + [0] * 7, abs=1e-4)
    assert calibration.clipped_arrivals == 1
    assert "1 张票的取号时刻在 08:00—18:00 之外" in calibration_yaml(calibration)
