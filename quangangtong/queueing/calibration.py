"""Calibrate a planner scenario from a site's ticket timeline: what the hall really saw, as a file the manager edits.

``calibration_run`` reads the tickets issued at a site over a period (their issue time, and the called / serving /
finished / no-show / transferred rows of their timeline), the site's windows and its staff with their current
skills, and returns a ``Calibration``: the scenario as a plain dict (valid for ``scenario_from_dict``) and the
figures behind it. ``calibration_yaml`` writes it as a scenario file with Chinese comments saying where each
figure came from. ``scenario_calibrate`` is the short form that returns the dict alone.

Counter time is "started → finished" (开始办理 → 办结) with held periods left out; waits are not needed.
"""

import datetime
import math
import re
import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass, field

import yaml
from django.contrib.auth.models import User
from django.db.models import Q
from django.utils import timezone

from quangangtong.catalog.models import ServiceItem
from quangangtong.hall.models import Site, TicketCategory, Window
from quangangtong.queueing import routing
from quangangtong.queueing.models import Ticket, TicketEvent, TicketEventKind
from quangangtong.queueing.services import officer_skills, routing_policy
from quangangtong.workdays.services import WorkdayCalendar

__all__ = [
    "Calibration",
    "CalibrationError",
    "calibration_run",
    "calibration_yaml",
    "scenario_calibrate",
]

WEEKDAY_KEYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
LAYOUT = "calibrated"
GENERAL_SUFFIX = "-general"  # the scenario item standing for a category's tickets that name no item

# Below these counts an item's own figure is mostly noise, so the hall-wide one is used instead.
MIN_SERVICES = 10  # finished services for an item's own mean and CV
PROFILE_TICKETS_PER_HOUR = 10  # tickets per opening hour for an item's own hourly profile
WEEKDAY_TICKETS_PER_WEEKDAY = 30  # tickets per opening weekday for an item's own weekday factors
LEARNING_MIN_SERVICES = 10
LEARNING_DEFAULT = 1.5
LEARNING_BOUNDS = (1.0, 3.0)
# A service longer than this is an officer who forgot to press 办结, not a visitor.
LONGEST_SERVICE_MINUTES = 240
ASSUMED_SERVICE_MINUTES, ASSUMED_SERVICE_CV = 10.0, 0.8
DEFAULT_OPEN_MINUTE = 9 * 60

_CLOCK = re.compile(r"(\d{1,2})\s*[:：]\s*(\d{2})")
_FLUENT, _LEARNING = routing.Proficiency.FLUENT, routing.Proficiency.LEARNING
_LEVEL_NAMES = {_FLUENT: "fluent", _LEARNING: "learning"}


class CalibrationError(ValueError):
    """A calibration that cannot be made, naming the option (site, weeks, until) and how to fix it."""

    def __init__(self, field, reason):
        self.field, self.reason = field, reason
        super().__init__(f"{field}：{reason}")


@dataclass
class Calibration:
    """A calibrated scenario (plain dict) and the figures and choices behind it, for the file's comments."""

    site: Site
    first: datetime.date
    until: datetime.date
    weeks: int
    scenario: dict
    tickets: int = 0
    opening_days: int = 0
    weekend_days: int = 0  # opening days with tickets that the working-day calendar has as days off
    services: int = 0
    transferred: int = 0
    dropped_services: int = 0
    clipped_arrivals: int = 0
    called: int = 0
    no_shows: int = 0
    hall_mean: float = 0.0
    hall_cv: float = 0.0
    hall_service_source: str = ""
    hours_source: str = ""
    item_notes: dict[str, str] = field(default_factory=dict)
    officer_notes: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def scenario_calibrate(*, site, weeks: int = 8, until: datetime.date | None = None) -> dict:
    """Return the scenario calibrated from site's tickets over the `weeks` weeks ending on `until` (a plain dict)."""
    return calibration_run(site=site, weeks=weeks, until=until).scenario


# --- reading the timeline -----------------------------------------------------------------------------------


@dataclass
class _Ticket:
    id: int
    day: datetime.date
    minute: int  # local minutes after midnight at issue
    priority: int
    item: str  # scenario item code
    category: str
    called: bool = False
    served: bool = False
    finished: bool = False
    transferred: bool = False
    no_show: bool = False
    service_s: float = 0.0
    officer_id: int | None = None  # who finished it


def _site_for(site):
    if isinstance(site, Site):
        return site
    found = Site.objects.filter(code=site).first()
    if found is None:
        codes = "、".join(Site.objects.values_list("code", flat=True)[:20]) or "（尚无站点）"
        raise CalibrationError("site", f"没有编码为“{site}”的站点；可选：{codes}")
    return found


def _period(weeks, until):
    if isinstance(weeks, bool) or not isinstance(weeks, int) or weeks < 1:
        raise CalibrationError("weeks", f"统计周数应为不小于 1 的整数，收到 {weeks!r}")
    today = timezone.localdate()
    if until is None:
        until = today - datetime.timedelta(days=1)  # today is not over yet: its volumes would look low
    elif isinstance(until, datetime.datetime) or not isinstance(until, datetime.date):
        raise CalibrationError("until", f"截止日期应为日期（YYYY-MM-DD），收到 {until!r}")
    elif until > today:
        raise CalibrationError("until", f"截止日期 {until:%Y-%m-%d} 晚于今天 {today:%Y-%m-%d}，请改为今天或更早")
    return until - datetime.timedelta(weeks=weeks) + datetime.timedelta(days=1), until


def _timeline(site, first, until):
    """Return the site's tickets of the period, each with its arrival, outcome and counter time."""
    zone = timezone.get_default_timezone()
    rows = (
        Ticket.objects.filter(site=site, day__gte=first, day__lte=until)
        .values_list("id", "day", "issued_at", "priority", "item__implementation_code", "category__prefix")
        .order_by("id")
    )
    tickets = {}
    for ticket_id, day, issued_at, priority, item_code, prefix in rows:
        local = timezone.localtime(issued_at, zone)
        code = item_code or f"{prefix}{GENERAL_SUFFIX}"
        tickets[ticket_id] = _Ticket(ticket_id, day, local.hour * 60 + local.minute, priority, code, prefix)
    events = (
        TicketEvent.objects.filter(ticket__site=site, ticket__day__gte=first, ticket__day__lte=until)
        .values_list("ticket_id", "kind", "at", "officer_id")
        .order_by("ticket_id", "at", "id")
    )
    serving_since, called_at, no_show_seconds = {}, {}, []
    for ticket_id, kind, at, officer_id in events:
        ticket = tickets[ticket_id]
        if kind == TicketEventKind.CALLED:
            ticket.called, called_at[ticket_id] = True, at
        elif kind == TicketEventKind.SERVING:
            ticket.served, serving_since[ticket_id] = True, at
        elif kind == TicketEventKind.NO_SHOW:
            ticket.no_show = True
            if ticket_id in called_at:
                no_show_seconds.append((at - called_at[ticket_id]).total_seconds())
        elif kind == TicketEventKind.TRANSFERRED:
            ticket.transferred = True
        if kind in (
            TicketEventKind.FINISHED,
            TicketEventKind.HELD,
            TicketEventKind.TRANSFERRED,
            TicketEventKind.CLOSED,
        ):
            started = serving_since.pop(ticket_id, None)
            if started is not None:
                ticket.service_s += (at - started).total_seconds()
        if kind == TicketEventKind.FINISHED:
            ticket.finished, ticket.officer_id = True, officer_id
    return list(tickets.values()), no_show_seconds


# --- figures ------------------------------------------------------------------------------------------------


def _mean_cv(samples):
    mean = statistics.fmean(samples)
    cv = statistics.stdev(samples) / mean if len(samples) > 1 and mean > 0 else 0.0
    return mean, cv


def _shares(counts):
    total = sum(counts)
    return [round(c / total, 4) for c in counts]


def _opening_days(calendar, ticket_days, first, until):
    """Return the working days from the first day with a ticket to `until`, and every other day with tickets."""
    start = max(first, min(ticket_days))
    days = {start + datetime.timedelta(days=n) for n in range((until - start).days + 1)}
    return sorted(d for d in days if calendar.is_working_day(d) or d in ticket_days)


def _regular_weekdays(opening_days):
    # A single 调休 Saturday is a working day but not a weekday the hall opens every week.
    counts = Counter(d.weekday() for d in opening_days)
    busiest = max(counts.values())
    return tuple(sorted(w for w, n in counts.items() if n * 2 >= busiest))


def _weekday_factors(per_day, opening_days, weekdays):
    """Return {weekday key: mean per opening day of that weekday ÷ mean per opening day}."""
    overall = sum(per_day.get(d, 0) for d in opening_days) / len(opening_days)
    factors = {}
    for weekday in weekdays:
        days = [d for d in opening_days if d.weekday() == weekday]
        factors[WEEKDAY_KEYS[weekday]] = round(sum(per_day.get(d, 0) for d in days) / len(days) / overall, 3)
    return factors


def _hall_hours(site, tickets):
    """Return (open minute, close minute, where they came from): whole hours around the site's opening hours."""
    stated = [int(h) * 60 + int(m) for h, m in _CLOCK.findall(site.opening_hours or "") if int(h) < 24]
    if stated:
        open_minute, source = min(stated) // 60 * 60, f"站点“办公时间”（{site.opening_hours}）最早时刻，向下取整点"
    elif tickets:
        open_minute = min(t.minute for t in tickets) // 60 * 60
        source = "站点未填写“办公时间”，取最早取号时刻，向下取整点"
    else:
        open_minute, source = DEFAULT_OPEN_MINUTE, "站点未填写“办公时间”，假设 09:00"
    closing = site.closing_time.hour * 60 + site.closing_time.minute
    close_minute = min(24 * 60, max(open_minute + 60, math.ceil(closing / 60) * 60))
    source += f"；关门取站点停止取号时间 {site.closing_time:%H:%M}，向上取整点"
    return open_minute, close_minute, source


def _clock(minute):
    return f"{minute // 60:02d}:{minute % 60:02d}"


def _staff(site):
    """Return the active users certified for a category of site or for an item of one of its categories."""
    return list(
        User.objects.filter(is_active=True)
        .filter(Q(skills__category__site=site) | Q(skills__item__ticket_categories__site=site))
        .distinct()
        .order_by("username")
    )


def _officer_name(user, taken):
    name = user.get_full_name() or user.username
    if name in taken:
        name = f"{name}（{user.username}）"
    taken.add(name)
    return name


def _probe(item, category):
    code = None if item.endswith(GENERAL_SUFFIX) else item
    return routing.WaitingTicket(id=0, category=category, item=code, priority=routing.Priority.NORMAL, queued_at=0)


def _scenario_skills(skills, items):
    """Translate the live skills into scenario skills over the calibrated items (codes) and their categories."""
    categories = {category for _, category in items.items()}
    result = {}
    for prefix, level in skills.categories.items():
        if prefix in categories:
            result[prefix] = _LEVEL_NAMES[level]
    for code, level in skills.items.items():
        if code in items:
            result[code] = _LEVEL_NAMES[level]
    # The live rule lets someone certified for some items of a category take its general tickets, as learning.
    for code, category in items.items():
        if code.endswith(GENERAL_SUFFIX) and category not in skills.categories:
            level = skills.general_categories.get(category)
            if level is not None:
                result[code] = _LEVEL_NAMES[level]
    return result


def calibration_run(*, site, weeks: int = 8, until: datetime.date | None = None) -> Calibration:
    """Calibrate a scenario from site's tickets over the `weeks` weeks ending on `until` (default: yesterday)."""
    site = _site_for(site)
    first, until = _period(weeks, until)
    tickets, no_show_seconds = _timeline(site, first, until)
    if not tickets:
        raise CalibrationError(
            "weeks",
            f"站点“{site.name}”在 {first:%Y-%m-%d} 至 {until:%Y-%m-%d} 没有取号记录；请加大 --weeks 或换一个 --until",
        )
    windows = Window.objects.filter(site=site).count()
    if windows < 1:
        raise CalibrationError("site", f"站点“{site.name}”没有登记窗口，无法生成布局；请先登记窗口")
    cal = Calibration(site=site, first=first, until=until, weeks=weeks, scenario={}, tickets=len(tickets))
    calendar = WorkdayCalendar(first, until)
    opening_days = _opening_days(calendar, {t.day for t in tickets}, first, until)
    cal.opening_days = len(opening_days)
    cal.weekend_days = sum(1 for d in opening_days if not calendar.is_working_day(d))
    weekdays = _regular_weekdays(opening_days)
    open_minute, close_minute, cal.hours_source = _hall_hours(site, tickets)
    arrivals = _arrivals(tickets, open_minute, (close_minute - open_minute) // 60)
    cal.clipped_arrivals = arrivals.clipped

    skills_of = {}  # officer id -> live OfficerSkills (None: no officer recorded)
    samples = _counter_times(cal, site, tickets, arrivals.items, skills_of)
    cal.hall_mean, cal.hall_cv, cal.hall_service_source = _hall_service(cal, samples)
    items, fluent_baseline = _scenario_items(cal, site, arrivals, samples, opening_days, weekdays)
    officers = _officers(cal, site, arrivals.items, samples, fluent_baseline, skills_of)
    served = {code for officer in officers for code in officer["skills"]}
    for item in items:
        if item["code"] not in served and item["category"] not in served:
            cal.notes.append(
                f"事项 {item['code']}（{item['name']}）现有人员无人具备技能，已从场景中去掉（取号 "
                f"{sum(arrivals.item_hours[item['code']])} 张）；请给人员补上技能后重新校准，或在本文件中手工加上。"
            )
    items = [item for item in items if item["code"] in served or item["category"] in served]
    if not items:
        raise CalibrationError("site", f"站点“{site.name}”没有具备技能的窗口人员，无法生成布局；请先为人员登记技能")

    called = [t for t in tickets if t.called]
    cal.called = len(called)
    cal.no_shows = sum(1 for t in called if t.no_show and not t.served)
    policy = routing_policy(site)
    data = {
        "name": f"calibrated-{site.code}",
        "title": f"{site.name}（按 {first:%Y-%m-%d} 至 {until:%Y-%m-%d} 的取号记录校准）",
        "day": {"open": _clock(open_minute), "close": _clock(close_minute)},
        "weekdays": [WEEKDAY_KEYS[w] for w in weekdays],
    }
    if len(weekdays) > 1:
        data["weekday_factors"] = _weekday_factors(arrivals.hall_days, opening_days, weekdays)
    data.update(
        hourly_profile=_shares(arrivals.hall_hours),
        service_cv=round(cal.hall_cv, 3),
        learning_speed_factor=LEARNING_DEFAULT,
        routing={
            "fluency_threshold_minutes": round(policy.fluency_threshold_s / 60, 2),
            "starvation_minutes": round(policy.starvation_s / 60, 2),
        },
        priority_share=round(sum(1 for t in tickets if t.priority != routing.Priority.NORMAL) / len(tickets), 4),
        no_show_share=round(cal.no_shows / cal.called, 4) if cal.called else 0.0,
        no_show_minutes=round(max(statistics.fmean(no_show_seconds) / 60, 0.1), 2) if no_show_seconds else 1.0,
        mean_patience_minutes=None,
        items=items,
        default_layout=LAYOUT,
        layouts={
            LAYOUT: {
                "title": f"现有人员与技能：{len(officers)} 人，{windows} 个窗口",
                "windows": windows,
                "officers": officers,
            }
        },
    )
    cal.scenario = data
    if cal.dropped_services:
        cal.notes.append(
            f"{cal.dropped_services} 条办结记录时长为 0 或超过 {LONGEST_SERVICE_MINUTES} 分钟"
            "（多为忘记点“办结”），未计入办理时长。"
        )
    if cal.clipped_arrivals:
        cal.notes.append(
            f"{cal.clipped_arrivals} 张票的取号时刻在 {_clock(open_minute)}—{_clock(close_minute)} 之外，"
            "计入最近的一小时。"
        )
    return cal


@dataclass
class _Arrivals:
    items: dict[str, str]  # scenario item code -> category
    hall_hours: list[int]
    hall_days: Counter
    item_hours: dict[str, list[int]]
    item_days: dict[str, Counter]
    clipped: int


def _arrivals(tickets, open_minute, hours):
    """Count every ticket once, under its item (or its category's general item), by local hour and by day."""
    hall_hours, hall_days, clipped = [0] * hours, Counter(), 0
    item_hours = defaultdict(lambda: [0] * hours)
    item_days, item_categories = defaultdict(Counter), defaultdict(Counter)
    for ticket in tickets:
        hour = (ticket.minute - open_minute) // 60
        if not 0 <= hour < hours:
            clipped += 1
            hour = min(max(hour, 0), hours - 1)
        hall_hours[hour] += 1
        hall_days[ticket.day] += 1
        item_hours[ticket.item][hour] += 1
        item_days[ticket.item][ticket.day] += 1
        item_categories[ticket.item][ticket.category] += 1
    # An item issued under several categories is modelled in the one most of its tickets came through.
    items = {code: categories.most_common(1)[0][0] for code, categories in item_categories.items()}
    return _Arrivals(items, hall_hours, hall_days, dict(item_hours), dict(item_days), clipped)


def _counter_times(cal, site, tickets, items, skills_of):
    """Return {item: [(minutes, officer id, officer's proficiency)]} of the finished, never transferred tickets."""

    def proficiency(officer_id, item):
        if officer_id not in skills_of:
            skills_of[officer_id] = officer_skills(User(pk=officer_id), site=site) if officer_id else None
        skills = skills_of[officer_id]
        return None if skills is None else skills.proficiency(_probe(item, items[item]))

    samples = defaultdict(list)
    for ticket in tickets:
        cal.transferred += ticket.transferred
        # A transferred ticket's counter time is split between windows, part of it spent on the wrong queue.
        if not ticket.finished or ticket.transferred:
            continue
        minutes = ticket.service_s / 60
        if not 0 < minutes <= LONGEST_SERVICE_MINUTES:
            cal.dropped_services += 1
            continue
        samples[ticket.item].append((minutes, ticket.officer_id, proficiency(ticket.officer_id, ticket.item)))
        cal.services += 1
    return samples


def _hall_service(cal, samples):
    """Return the hall-wide (mean minutes, CV, where they came from), for items with too few services."""
    not_learning = [m for rows in samples.values() for m, _, level in rows if level != _LEARNING]
    every = [m for rows in samples.values() for m, _, _ in rows]
    if len(not_learning) >= MIN_SERVICES:
        mean, cv = _mean_cv(not_learning)
        source = f"全厅非在学人员的 {len(not_learning)} 条办结记录"
    elif len(every) >= 2:
        mean, cv = _mean_cv(every)
        source = f"全厅 {len(every)} 条办结记录（含在学人员）"
    else:
        mean, cv = ASSUMED_SERVICE_MINUTES, ASSUMED_SERVICE_CV
        source = "假设值（期间办结记录不足 2 条），请按实际修改"
        cal.notes.append(f"办结记录不足，全厅平均办理时长 {mean:g} 分钟、CV {cv:g} 为假设值，请按实际修改。")
    if cv <= 0:
        cv, source = ASSUMED_SERVICE_CV, source + f"；其变异系数为 0，改用假设值 {ASSUMED_SERVICE_CV}"
    return mean, cv, source


def _scenario_items(cal, site, arrivals, samples, opening_days, weekdays):
    """Return the scenario items (volume, profile, weekday factors, counter time) and the fluent mean per item."""
    names = _item_names(site, arrivals.items)
    hours = len(arrivals.hall_hours)
    items, fluent_baseline = [], {}
    for code in sorted(arrivals.items, key=lambda c: (arrivals.items[c], -sum(arrivals.item_hours[c]), c)):
        count = sum(arrivals.item_hours[code])
        rows = samples.get(code, [])
        fluent = [m for m, _, level in rows if level == _FLUENT]
        # The simulator slows learners down by their factor, so an item's own time is the fluent officers'.
        if len(fluent) >= MIN_SERVICES:
            mean, cv = _mean_cv(fluent)
            fluent_baseline[code] = mean
            source = f"熟练人员 {len(fluent)} 条办结记录"
        elif len(rows) >= MIN_SERVICES:
            mean, cv = _mean_cv([m for m, _, _ in rows])
            source = f"{len(rows)} 条办结记录（熟练人员不足 {MIN_SERVICES} 条，含在学人员）"
        else:
            mean, cv = cal.hall_mean, None
            source = f"办结记录 {len(rows)} 条，不足 {MIN_SERVICES} 条，用全厅平均时长和 CV"
        if cv is not None and cv <= 0:
            cv, source = None, source + "；其变异系数为 0，用全厅 CV"
        item = {
            "code": code,
            "name": names[code],
            "category": arrivals.items[code],
            "daily_volume": round(count / len(opening_days), 2),
            "mean_service_minutes": round(mean, 2),
        }
        if cv is not None:
            item["service_cv"] = round(cv, 3)
        notes = [f"取号 {count} 张", f"时长来自{source}"]
        if count >= PROFILE_TICKETS_PER_HOUR * hours:
            item["hourly_profile"] = _shares(arrivals.item_hours[code])
        else:
            notes.append(f"票数少于 {PROFILE_TICKETS_PER_HOUR * hours} 张，小时分布用全厅的")
        if len(weekdays) > 1 and count >= WEEKDAY_TICKETS_PER_WEEKDAY * len(weekdays):
            item["weekday_factors"] = _weekday_factors(arrivals.item_days[code], opening_days, weekdays)
        elif len(weekdays) > 1:
            notes.append(f"票数少于 {WEEKDAY_TICKETS_PER_WEEKDAY * len(weekdays)} 张，星期系数用全厅的")
        items.append(item)
        cal.item_notes[code] = "；".join(notes)
    return items, fluent_baseline


def _item_names(site, items):
    names = dict(
        ServiceItem.objects.filter(implementation_code__in=list(items)).values_list("implementation_code", "name")
    )
    categories = dict(TicketCategory.objects.filter(site=site).values_list("prefix", "name"))
    for code, category in items.items():
        if code not in names:
            names[code] = f"{categories.get(category, category)}（未选具体事项）"
    return names


def _officers(cal, site, items, samples, fluent_baseline, skills_of):
    """Return the scenario officers: the site's staff with their current skills and learning factors."""
    by_officer = defaultdict(list)  # officer id -> [(minutes, item, proficiency)]
    for code, rows in samples.items():
        for minutes, officer_id, level in rows:
            by_officer[officer_id].append((minutes, code, level))
    officers, taken = [], set()
    for user in _staff(site):
        if user.pk not in skills_of:
            skills_of[user.pk] = officer_skills(user, site=site)
        skills = _scenario_skills(skills_of[user.pk], items)
        name = _officer_name(user, taken)
        if not skills:
            cal.notes.append(f"{name}（{user.username}）的技能都不在本期有取号的事项中，未列入布局。")
            continue
        officer = {"name": name, "skills": skills}
        served = by_officer.get(user.pk, [])
        notes = [user.username]
        if served:
            mean, cv = _mean_cv([m for m, _, _ in served])
            notes.append(f"办结 {len(served)} 条，平均 {mean:.1f} 分钟，CV {cv:.2f}")
        else:
            notes.append("本期无办结记录")
        learning = [
            (m, fluent_baseline[code]) for m, code, level in served if level == _LEARNING and code in fluent_baseline
        ]
        if len(learning) >= LEARNING_MIN_SERVICES:
            raw = sum(m for m, _ in learning) / sum(base for _, base in learning)
            factor = round(min(max(raw, LEARNING_BOUNDS[0]), LEARNING_BOUNDS[1]), 2)
            officer["learning_speed_factor"] = factor
            bounded = (
                ""
                if factor == round(raw, 2)
                else f"（实测 {raw:.2f}，限制在 {LEARNING_BOUNDS[0]}–{LEARNING_BOUNDS[1]}）"
            )
            notes.append(f"在学事项 {len(learning)} 条，为熟练人员平均时长的 {factor} 倍{bounded}")
        elif "learning" in skills.values():
            notes.append(
                f"在学事项可比记录 {len(learning)} 条（不足 {LEARNING_MIN_SERVICES} 条），用默认系数 {LEARNING_DEFAULT}"
            )
        officers.append(officer)
        cal.officer_notes[name] = "；".join(notes)
    return officers


# --- the file -----------------------------------------------------------------------------------------------


class _Dumper(yaml.SafeDumper):
    """Lists of numbers and small mappings (skills, factors) on one line; items, officers, sections and long skill
    lists as blocks."""


def _is_scalar(value):
    return not isinstance(value, (dict, list))


_Dumper.add_representer(
    list, lambda dumper, value: dumper.represent_sequence("tag:yaml.org,2002:seq", value, all(map(_is_scalar, value)))
)
_Dumper.add_representer(
    dict,
    lambda dumper, value: dumper.represent_mapping(
        "tag:yaml.org,2002:map", value, len(value) <= 7 and all(map(_is_scalar, value.values())) and "name" not in value
    ),
)


class _Block(dict):
    """A mapping always written as a block, even when its values are all scalars (a section of the file)."""


_Dumper.add_representer(
    _Block, lambda dumper, value: dumper.represent_mapping("tag:yaml.org,2002:map", value, flow_style=False)
)


def _dump(value):
    return yaml.dump(value, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=120)


def _indented(text, prefix="  "):
    return "".join(prefix + line for line in text.splitlines(keepends=True))


def calibration_yaml(calibration: Calibration, *, generated_at: datetime.datetime | None = None) -> str:
    """Return the calibrated scenario as a YAML file, with Chinese comments saying where each figure came from."""
    cal, data = calibration, calibration.scenario
    generated_at = timezone.localtime(generated_at or timezone.now())
    share = f"{cal.no_shows}/{cal.called}" if cal.called else "无叫号记录"
    header = [
        f"# {cal.site.name}（{cal.site.code}）的产能规划场景：由取号记录自动校准（qgt plan calibrate），",
        f"# 生成于 {generated_at:%Y-%m-%d %H:%M}。可直接修改本文件；重新校准会生成新文件，不会合并您的修改。",
        f"# 统计时段：{cal.first:%Y-%m-%d} 至 {cal.until:%Y-%m-%d}（{cal.weeks} 周），"
        f"时刻均为当地时间（{timezone.get_default_timezone_name()}）。",
        f"# 开放日 {cal.opening_days} 天：从首张票那天起按工作日历计的工作日（含无人取号的工作日），"
        f"另加有取号的休息日 {cal.weekend_days} 天。",
        f"# 取号 {cal.tickets} 张；可用的办结记录 {cal.services} 条；转移过的票 {cal.transferred} 张"
        "（计入取号，不计入办理时长：其时长分在几个窗口）。",
        "#",
        "# 各数字的来历：",
        "#   day：" + cal.hours_source + "。",
        "#   weekdays：开放日中出现次数不少于最多者一半的星期几（偶尔的调休上班日不算）。",
        "#   daily_volume：该事项取号张数 ÷ 开放日天数。未选具体事项的票记为“类别-general”事项（按最终所在类别）。",
        "#   hourly_profile：按取号时刻分小时的份额。文件顶层为全厅的；"
        f"票数少于每小时 {PROFILE_TICKETS_PER_HOUR} 张的事项不单列，用顶层的。",
        "#   weekday_factors：某星期几的平均日取号数 ÷ 全期平均日取号数。顶层为全厅的；"
        f"票数少于每个星期几 {WEEKDAY_TICKETS_PER_WEEKDAY} 张的事项不单列，用顶层的。",
        "#   mean_service_minutes / service_cv：办理时长 = 开始办理 → 办结（挂起期间不计）。"
        f"优先用熟练人员的记录；不足 {MIN_SERVICES} 条的事项用全厅的平均时长和 CV。",
        f"#     全厅：平均 {cal.hall_mean:.2f} 分钟，CV {cal.hall_cv:.3f}，来自{cal.hall_service_source}。",
        f"#   no_show_share：叫号后过号且最终未办理的票 ÷ 叫过号的票（{share}）；"
        "no_show_minutes：叫号到过号的平均分钟数。",
        "#   priority_share：预约签到和绿色通道票所占份额。routing：站点当前的叫号设置。",
        "#   learning_speed_factor：人员办理其“学习中”事项的时长 ÷ 该事项熟练人员的平均时长，"
        f"限制在 {LEARNING_BOUNDS[0]}–{LEARNING_BOUNDS[1]}；",
        f"#     可比记录不足 {LEARNING_MIN_SERVICES} 条的人员不单列，用顶层默认 {LEARNING_DEFAULT}。",
        "#   mean_patience_minutes：未估计（不模拟弃号）；如需模拟，填入平均耐心分钟数。",
        "#   布局 calibrated：站点现有人员及其当前技能（熟练 fluent / 学习中 learning），窗口数为站点登记的窗口数。",
        "#     人员的班次、休息和上班星期未从数据估计（默认整天在岗），请按排班加上 shift / breaks / weekdays。",
    ]
    if cal.notes:
        header += ["#", "# 请注意："] + [f"#   - {note}" for note in cal.notes]
    parts = ["\n".join(header) + "\n"]
    for key, value in data.items():
        if key == "items":
            parts.append("items:\n")
            for item in value:
                parts.append(f"  # {item['name']}：{cal.item_notes.get(item['code'], '')}\n")
                parts.append(_indented(_dump([item])))
        elif key == "layouts":
            parts.append("layouts:\n")
            for name, layout in value.items():
                parts.append(f"  {name}:\n")
                rest = _Block((k, v) for k, v in layout.items() if k != "officers")
                parts.append(_indented(_dump(rest), "    "))
                parts.append("    officers:\n")
                for officer in layout["officers"]:
                    parts.append(f"      # {officer['name']}：{cal.officer_notes.get(officer['name'], '')}\n")
                    parts.append(_indented(_dump([officer]), "      "))
        else:
            parts.append(_dump(_Block({key: value})))
    return "".join(parts)
