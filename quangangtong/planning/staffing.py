"""`qgt plan staff`: the fewest officers on duty per opening hour of each weekday, a rota that covers them, checked.

Three stages (queueing.md §1.7):

1. **Pointwise stationary estimate.** Each hour of each opening weekday is taken as a steady M/G/c queue with that
   hour's arrival rate and the item mix's mean and CV of counter time; the fewest servers meeting the target come
   from Erlang C with the Allen–Cunneen correction (``formulas.servers_for_target``).
2. **Rota.** Shift types: a full day with a one-hour lunch break at 11:30, 12:00 or 12:30 (staggered so the hall
   never empties at noon); with ``half_days``, also a morning and an afternoon half-day (window officers are
   full-time staff, so half-days are only offered when the hall has part-time help to fill them). Per weekday an
   exact small search picks how many of each cover every half-hour, fewest officer-days first (a half-day counts as
   half a day). Officers are then numbered per shift type so each works that shift on the weekdays it is needed:
   the fewest on the roll.
3. **Check by simulation.** Every officer gets the layout's union of skills, fluent (the plan sizes a pooled team).
   Each weekday is simulated with only its rota on duty; an hour whose arrivals miss the target gets one more
   officer, the rota is rebuilt and checked again on the same random numbers, a few times. Once every hour meets
   the target, one fewer officer is tried in every hour (never below the hour's offered load) and the cuts that
   still meet it are kept, in the spirit of the iterative staffing algorithm of Feldman et al. (§1.7): in the
   simulation a quiet hour absorbs the queue of a busy one and the backlog is served after closing, which the
   stationary estimate ignores, so that estimate can over- as well as under-state the need.

Pure Python; needs no Django settings.
"""

from __future__ import annotations

import itertools
import math
import random
from collections.abc import Callable
from dataclasses import dataclass, replace

from quangangtong.planning.formulas import servers_for_target
from quangangtong.planning.report import result_to_dict, text_table
from quangangtong.planning.scenario import FLUENT, HallDay, Officer, Scenario, ScenarioText, scenario_load
from quangangtong.planning.simulation import SimulationPool, replicated_result, simulate

__all__ = [
    "WEEKDAY_LABELS",
    "ShiftType",
    "hour_demand",
    "plan_staff",
    "rota_for_day",
    "shift_types",
    "stationary_requirements",
]

WEEKDAY_LABELS = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")
# Full-time officers only: five lunch groups from 11:00 to 14:00, so at any half hour at most two groups are away.
# With half-days the part-timers cover noon and three groups (11:30 to 13:30) keep the exact search small.
LUNCH_STARTS = (11 * 60, 11 * 60 + 30, 12 * 60, 12 * 60 + 30, 13 * 60)
LUNCH_STARTS_WITH_HALF_DAYS = (11 * 60 + 30, 12 * 60, 12 * 60 + 30)
LUNCH_MINUTES = 60
LUNCH_FROM_HOURS = 6  # a shorter opening day has no lunch break in its full-day shift
SLOT_MINUTES = 30
REFINEMENTS = 4  # rounds of "add an officer where an hour misses" after the first check
TRIMS = 3  # rounds of "one fewer in every hour, where that still meets the target" once every hour meets it


@dataclass(frozen=True)
class ShiftType:
    """A kind of shift: on duty from start to end (minutes after midnight) except during the breaks."""

    key: str
    label: str
    start: int
    end: int
    breaks: tuple[tuple[int, int], ...]
    officer_days: float  # what one such shift counts towards officer-days: 1 for a full day, 0.5 for a half

    def covers(self, slot_start: int, slot_end: int) -> bool:
        """Return whether an officer on this shift is on duty for the whole slot."""
        if slot_start < self.start or slot_end > self.end:
            return False
        return not any(start < slot_end and end > slot_start for start, end in self.breaks)


@dataclass(frozen=True)
class HourDemand:
    """One opening hour's arrivals per hour, offered load (Erlangs) and counter-time mean (minutes) and CV."""

    arrival_rate: float
    load: float
    mean_service: float
    service_cv: float


def shift_types(day: HallDay, *, half_days: bool = False) -> list[ShiftType]:
    """Return the shift types of an opening day: full days with staggered lunches, and morning and afternoon halves
    when ``half_days``."""
    opening, closing = day.open_minute, day.close_minute
    lunches = [
        (start, start + LUNCH_MINUTES)
        for start in (LUNCH_STARTS_WITH_HALF_DAYS if half_days else LUNCH_STARTS)
        if day.hours >= LUNCH_FROM_HOURS and opening < start and start + LUNCH_MINUTES < closing
    ]
    types = [
        ShiftType(f"full-{start}", "全天班", opening, closing, ((start, end),), 1.0) for start, end in lunches
    ] or [ShiftType("full", "全天班", opening, closing, (), 1.0)]
    if half_days and day.hours >= 2:
        middle = opening + 60 * (day.hours // 2)
        types.append(ShiftType("morning", "上午班", opening, middle, (), 0.5))
        types.append(ShiftType("afternoon", "下午班", middle, closing, (), 0.5))
    return types


def hour_demand(hall: Scenario, *, weekday: int, hour: int, service_factor: float = 1.0) -> HourDemand:
    """Return the demand of one opening hour on one weekday, the item mix pooled."""
    rate = load = second_moment = 0.0
    for item in hall.items:
        arrivals = item.daily_volume * hall.volume_factor(item, weekday) * item.hourly_profile[hour]
        mean = item.mean_service_minutes * service_factor
        rate += arrivals
        load += arrivals * mean / 60.0
        second_moment += arrivals * mean * mean * (1.0 + item.service_cv**2)
    if rate == 0:
        return HourDemand(0.0, 0.0, 1.0, 1.0)
    mean = 60.0 * load / rate
    scv = second_moment / rate / (mean * mean) - 1.0
    return HourDemand(rate, load, mean, math.sqrt(max(scv, 0.0)))


def stationary_requirements(
    hall: Scenario,
    *,
    weekday: int,
    target_share: float,
    within_minutes: float,
    max_mean_wait_minutes: float | None = None,
    service_factor: float = 1.0,
) -> list[int]:
    """Return the fewest officers for each opening hour of a weekday as a steady M/G/c queue (Allen–Cunneen)."""
    needed = []
    for hour in range(hall.day.hours):
        demand = hour_demand(hall, weekday=weekday, hour=hour, service_factor=service_factor)
        needed.append(
            servers_for_target(
                load=demand.load,
                mean_service=demand.mean_service,
                service_level=target_share,
                within=within_minutes,
                max_mean_wait=max_mean_wait_minutes,
                service_cv=demand.service_cv,
            )
        )
    return needed


def rota_for_day(needed: list[int], *, day: HallDay, types: list[ShiftType]) -> dict[str, int]:
    """Return how many officers of each shift type cover every half-hour's need, fewest officer-days first.

    Exact: every split of full days among the lunch times is tried (up to max(needed) of them when half-days can
    fill the gaps, else up to twice that: at noon a lunch group is away); the half-day shifts then each cover one
    half of the day, so the fewest of each follow. Ties go to fewer people, then evener lunches.
    """
    slots = [(start, start + SLOT_MINUTES) for start in range(day.open_minute, day.close_minute, SLOT_MINUTES)]
    slot_need = [needed[(start - day.open_minute) // 60] for start, _ in slots]
    fulls = [t for t in types if t.officer_days == 1.0]
    halves = [t for t in types if t.officer_days != 1.0]
    cover = {t.key: [t.covers(*slot) for slot in slots] for t in types}
    if not halves:
        absent = [[g for g, t in enumerate(fulls) if not cover[t.key][s]] for s in range(len(slots))]
        if all(len(away) <= 2 and (len(away) < 2 or away[1] == away[0] + 1) for away in absent):
            return _full_days_only(slot_need, fulls=fulls, absent=absent)
    best = None
    most = max(slot_need) if halves else 2 * max(slot_need)
    for counts in itertools.product(range(most + 1), repeat=len(fulls)):
        if sum(counts) > most:
            continue
        rest = [
            max(0, need - sum(n for t, n in zip(fulls, counts, strict=True) if cover[t.key][s]))
            for s, need in enumerate(slot_need)
        ]
        chosen = dict(zip((t.key for t in fulls), counts, strict=True))
        feasible = True
        for half in halves:
            chosen[half.key] = max((r for s, r in enumerate(rest) if cover[half.key][s]), default=0)
        for s, r in enumerate(rest):
            if r > sum(chosen[h.key] for h in halves if cover[h.key][s]):
                feasible = False
        if not feasible:
            continue
        cost = (
            sum(t.officer_days * chosen[t.key] for t in types),
            sum(chosen.values()),
            max(counts) - min(counts),
        )
        if best is None or cost < best[0]:
            best = (cost, chosen)
    return best[1]


def _full_days_only(slot_need: list[int], *, fulls: list[ShiftType], absent: list[list[int]]) -> dict[str, int]:
    """Return the fewest full days, split among the lunch groups, that leave every half hour its need on duty.

    With n officers in all, a half hour whose absentees are lunch groups {g} or {g-1, g} allows at most n - need of
    them in those groups. For a given n the largest total those neighbour bounds allow comes from a walk over the
    groups in lunch order remembering the previous group's size; n is feasible when that total reaches n (lowering a
    group never breaks a bound). The first feasible n is the answer; groups are then levelled from the largest down.
    """
    groups = len(fulls)
    n = max(slot_need)
    while True:
        single, pair = [n] * groups, [2 * n] * groups
        feasible = all(need <= n for need in slot_need)
        for need, away in zip(slot_need, absent, strict=True):
            if len(away) == 1:
                single[away[0]] = min(single[away[0]], n - need)
            elif len(away) == 2:
                pair[away[1]] = min(pair[away[1]], n - need)
        if feasible and min(single) >= 0:
            counts = _largest_split(single, pair)
            if sum(counts) >= n:
                break
        n += 1
    while sum(counts) > n:
        counts[counts.index(max(counts))] -= 1
    return {t.key: count for t, count in zip(fulls, counts, strict=True)}


def _largest_split(single: list[int], pair: list[int]) -> list[int]:
    """Return group sizes with the largest total such that size[g] <= single[g] and size[g-1] + size[g] <= pair[g]."""
    best = {x: (x, None) for x in range(single[0] + 1)}  # size of group 0 → (total so far, previous size)
    steps = [best]
    for g in range(1, len(single)):
        best = {}
        for x in range(single[g] + 1):
            options = [(total + x, prev) for prev, (total, _) in steps[-1].items() if prev + x <= pair[g]]
            if options:
                best[x] = max(options)
        steps.append(best)
    size = max(steps[-1], key=lambda x: steps[-1][x][0])
    counts = [size]
    for g in range(len(single) - 1, 0, -1):
        size = steps[g][size][1]
        counts.append(size)
    return counts[::-1]


def plan_staff(
    *,
    scenario: str | ScenarioText,
    layout: str | None = None,
    target_share: float = 0.8,
    within_minutes: float = 15.0,
    max_mean_wait_minutes: float | None = None,
    days: int = 10,
    replications: int = 6,
    seed: int = 1,
    service_factor: float = 1.0,
    half_days: bool = False,
    workers: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[str, dict]:
    """Find the fewest officers per hour of each weekday for the target, a rota, and check it by simulation.

    ``days`` is the number of days of each weekday per replication in the checks; the final ``check`` simulates
    the whole rota over ``days`` rounded up to whole weeks of opening days. Returns (terminal table, JSON-ready
    dict); raises ScenarioError for a bad file and ValueError naming the field for a bad target.
    """
    _check_options(
        target_share=target_share,
        within_minutes=within_minutes,
        max_mean_wait_minutes=max_mean_wait_minutes,
        days=days,
        replications=replications,
        service_factor=service_factor,
    )
    hall = scenario_load(scenario, layout=layout)
    weekdays = tuple(hall.weekdays)
    types = shift_types(hall.day, half_days=half_days)
    skills = {skill: FLUENT for officer in hall.officers for skill in officer.skills}
    loads = {
        w: [hour_demand(hall, weekday=w, hour=h, service_factor=service_factor).load for h in range(hall.day.hours)]
        for w in weekdays
    }
    needed = {
        w: stationary_requirements(
            hall,
            weekday=w,
            target_share=target_share,
            within_minutes=within_minutes,
            max_mean_wait_minutes=max_mean_wait_minutes,
            service_factor=service_factor,
        )
        for w in weekdays
    }
    stationary = {w: list(hours) for w, hours in needed.items()}
    # Never fewer on duty than the hour's work needs on average: below that the queue only grows.
    floor = {w: [max(1, math.ceil(load - 1e-9)) for load in loads[w]] for w in weekdays}
    notes = [
        "检验时所有人员均按熟练掌握本布局全部技能（"
        + "、".join(skills)
        + "）计算：这里算的是一个人人通办的团队需要多少人。",
        "先按各时段的稳态 M/G/c 排队（Erlang C 加 Allen–Cunneen 修正）估算每小时所需人数，"
        "再按排班表逐个工作日模拟检验（各轮使用相同的随机数）：未达标的时段加 1 人后重排、再检验，"
        f"最多 {REFINEMENTS} 轮；全部达标后再试各时段少 1 人（不少于该时段的负荷），只保留仍达标的削减。"
        "模拟计入上一小时积压的队伍和停止取号后办完积压的效应，稳态估算不计（queueing.md §1.7）。",
        "检验模拟让每人只在自己的工作日、班次内上岗并按时午休；停止取号后，下班最晚的人留下办完积压。",
    ]
    options = {"days": days, "service_factor": service_factor, "within_minutes": within_minutes}
    seeds = _replication_seeds(seed, replications)
    distinct_days = len({_day_key(hall, w) for w in weekdays})
    total = (1 + REFINEMENTS + 2 * TRIMS) * distinct_days * replications + replications

    with SimulationPool(workers=workers, progress=progress) as runner:
        runner.expect(total)

        def checked(needed):
            rota = _rota(needed, hall=hall, types=types, skills=skills)
            # Officers are what is being sized: the windows follow them, and a shortfall is reported below.
            check_hall = replace(hall, windows=max(hall.windows, max(max(hours) for hours in needed.values())))
            checks = _check_weekdays(check_hall, rota, weekdays, runner, seeds, options)
            misses = [
                (w, h)
                for w in weekdays
                for h in range(hall.day.hours)
                if not _meets(checks[w][h], target_share, max_mean_wait_minutes)
            ]
            return rota, check_hall, checks, misses

        rota, check_hall, checks, misses = checked(needed)
        for _ in range(REFINEMENTS):
            if not misses:
                break
            for w, h in misses:
                needed[w][h] += 1
            rota, check_hall, checks, misses = checked(needed)
        # The stationary estimate ignores that a quiet hour can absorb the queue of a busy one and that the backlog
        # is served after closing, so it can ask for too many: try one fewer in every hour, keep the cuts that hold.
        for _ in range(0 if misses else TRIMS):
            trial = {w: [max(n - 1, floor[w][h]) for h, n in enumerate(hours)] for w, hours in needed.items()}
            if trial == needed:
                break
            attempt = checked(trial)
            if attempt[3]:
                for w, h in attempt[3]:
                    trial[w][h] = needed[w][h]
                if trial == needed:
                    break
                attempt = checked(trial)
                if attempt[3]:
                    break
            needed = trial
            rota, check_hall, checks, misses = attempt
        week = replace(check_hall, officers=tuple(rota))
        whole_weeks = len(weekdays) * math.ceil(days / len(weekdays))
        runs = runner.map(simulate, [dict(options, scenario=week, days=whole_weeks, seed=s) for s in seeds])
        runner.finish()
    check = replicated_result(tuple(runs))

    if check_hall.windows > hall.windows:
        notes.append(
            f"布局只有 {hall.windows} 个窗口，而高峰时段需要 {check_hall.windows} 人同时办理；"
            f"检验按 {check_hall.windows} 个窗口计算，请增设窗口或降低目标。"
        )
    changes = [needed[w][h] - stationary[w][h] for w in weekdays for h in range(hall.day.hours)]
    added, removed = sum(c for c in changes if c > 0), -sum(c for c in changes if c < 0)
    if added:
        notes.append(f"稳态估算之后，模拟检验在未达标的时段共加了 {added} 个在岗人次。")
    if removed:
        notes.append(f"模拟表明稳态估算偏多（积压可由后面的时段消化），共减了 {removed} 个在岗人次，仍全部达标。")
    for w, h in misses:
        share, wait = checks[w][h]
        notes.append(
            f"{WEEKDAY_LABELS[w]} {hall.day.hour_label(h)} 仍未达标：{_number(within_minutes)} 分钟内叫号 "
            f"{share.mean:.0%}，平均等待 {wait.mean:.1f} 分钟。"
        )
    person_days = sum(_officer_days(officer, types) for officer in rota)
    data = {
        "scenario": hall.name,
        "layout": hall.layout,
        "target": {
            "share": target_share,
            "within_minutes": within_minutes,
            "max_mean_wait_minutes": max_mean_wait_minutes,
        },
        "half_days": half_days,
        "requirements": [
            {
                "weekday": WEEKDAY_LABELS[w],
                "weekday_index": w,
                "hours": [
                    {"start": hall.day.hour_label(h), "officers": needed[w][h], "offered_load": loads[w][h]}
                    for h in range(hall.day.hours)
                ],
            }
            for w in weekdays
        ],
        "rota": [_rota_entry(officer) for officer in rota],
        "officers_on_roll": len(rota),
        "officer_days_per_week": int(person_days) if person_days == int(person_days) else person_days,
        "check": result_to_dict(week, check, seed=seed, service_factor=service_factor),
        "met": not misses,
        "notes": notes,
    }
    return _staff_table(hall, data), data


# --- the rota ----------------------------------------------------------------------------------------------------


def _rota(needed: dict[int, list[int]], *, hall: Scenario, types: list[ShiftType], skills: dict) -> list[Officer]:
    """Return the officers of a week: per shift type, officer j works it on the weekdays needing more than j."""
    per_day = {w: rota_for_day(hours, day=hall.day, types=types) for w, hours in needed.items()}
    officers = []
    numbers: dict[str, int] = {}
    for shift in types:
        for j in range(max(per_day[w][shift.key] for w in per_day)):
            numbers[shift.label] = numbers.get(shift.label, 0) + 1
            officers.append(
                Officer(
                    name=f"{shift.label}{numbers[shift.label]}",
                    skills=dict(skills),
                    learning_speed_factor=1.0,
                    shift=(shift.start, shift.end),
                    breaks=shift.breaks,
                    weekdays=frozenset(w for w in per_day if per_day[w][shift.key] > j),
                )
            )
    return officers


def _officer_days(officer: Officer, types: list[ShiftType]) -> float:
    shift = next(t for t in types if (t.start, t.end) == officer.shift and t.breaks == officer.breaks)
    return shift.officer_days * len(officer.weekdays)


def _rota_entry(officer: Officer) -> dict:
    return {
        "name": officer.name,
        "shift": _span(*officer.shift),
        "breaks": [_span(*b) for b in officer.breaks],
        "weekdays": [WEEKDAY_LABELS[w] for w in sorted(officer.weekdays)],
    }


def _span(start: int, end: int) -> str:
    return f"{start // 60:02d}:{start % 60:02d}-{end // 60:02d}:{end % 60:02d}"


# --- the check by simulation -------------------------------------------------------------------------------------


def _day_key(hall: Scenario, weekday: int, officers=()) -> tuple:
    """Return what makes one weekday's simulation differ from another's: its demand and who is on duty."""
    factors = tuple(hall.volume_factor(item, weekday) for item in hall.items)
    return factors, tuple(sorted((o.shift, o.breaks) for o in officers))


def _check_weekdays(hall, rota, weekdays, runner, seeds, options) -> dict[int, list[tuple]]:
    """Simulate each weekday with its rota; return per weekday and hour the (share within, mean wait) estimates."""
    halls = {}
    for w in weekdays:
        on_duty = tuple(o for o in rota if w in o.weekdays)
        halls.setdefault(_day_key(hall, w, on_duty), replace(hall, weekdays=(w,), officers=on_duty))
    jobs = [dict(options, scenario=day_hall, seed=s) for day_hall in halls.values() for s in seeds]
    runs = runner.map(simulate, jobs)
    by_key = {}
    for position, key in enumerate(halls):
        result = replicated_result(tuple(runs[position * len(seeds) : (position + 1) * len(seeds)]))
        by_key[key] = [(result.hour_share_within[label], result.hours[label]) for label in result.hours]
    return {w: by_key[_day_key(hall, w, tuple(o for o in rota if w in o.weekdays))] for w in weekdays}


def _meets(check: tuple, target_share: float, max_mean_wait_minutes: float | None) -> bool:
    share, wait = check
    if share.n == 0:  # nobody came in this hour
        return True
    if share.mean < target_share:
        return False
    return max_mean_wait_minutes is None or not wait.mean > max_mean_wait_minutes


def _replication_seeds(seed: int, replications: int) -> list[int]:
    """Return the replications' seeds drawn as ``simulation.replicate`` draws them."""
    seeds = random.Random(seed)
    return [seeds.getrandbits(64) for _ in range(replications)]


# --- options and the table ---------------------------------------------------------------------------------------


def _check_options(*, target_share, within_minutes, max_mean_wait_minutes, days, replications, service_factor):
    def real(value):
        return not isinstance(value, bool) and isinstance(value, int | float) and math.isfinite(value)

    if not real(target_share) or not 0 < target_share < 1:
        raise ValueError(f"target_share（服务水平目标）：请填写大于 0、小于 1 的比例，如 0.8，收到 {target_share!r}。")
    if not real(within_minutes) or within_minutes <= 0:
        raise ValueError(f"within_minutes（等待时限）：请填写大于 0 的分钟数，如 15，收到 {within_minutes!r}。")
    if max_mean_wait_minutes is not None and (not real(max_mean_wait_minutes) or max_mean_wait_minutes <= 0):
        raise ValueError(
            f"max_mean_wait_minutes（平均等待上限）：请填写大于 0 的分钟数，收到 {max_mean_wait_minutes!r}。"
        )
    for name, label, value in (("days", "模拟天数", days), ("replications", "重复次数", replications)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name}（{label}）：请填写不小于 1 的整数，收到 {value!r}。")
    if not real(service_factor) or service_factor <= 0:
        raise ValueError(f"service_factor（办理时长系数）：必须大于 0，收到 {service_factor!r}。")


def _number(value: float) -> str:
    return f"{value:g}"


def _estimate_text(value: dict, *, share: bool = False) -> str:
    scale, unit = (100, "%") if share else (1, "")
    if value["mean"] is None:
        return "—"
    text = f"{value['mean'] * scale:.1f}{unit}"
    if value["low"] is None:
        return text
    return f"{text}（{value['low'] * scale:.1f}–{value['high'] * scale:.1f}{unit}）"


def _staff_table(hall: Scenario, data: dict) -> str:
    target = data["target"]
    goal = f"每个时段 {_number(target['within_minutes'])} 分钟内叫号 ≥ {target['share']:.0%}"
    if target["max_mean_wait_minutes"] is not None:
        goal += f"，平均等待 ≤ {_number(target['max_mean_wait_minutes'])} 分钟"
    lines = [
        f"{hall.title or hall.name}：人员需求与排班（布局 {hall.layout}）",
        f"目标：{goal}",
        "",
        "各时段需在岗人数（括号内为负荷，单位爱尔兰，即同时在办的平均人数）",
    ]
    days = data["requirements"]
    rows = [
        [hour["start"], *(f"{day['hours'][h]['officers']}（{day['hours'][h]['offered_load']:.1f}）" for day in days)]
        for h, hour in enumerate(days[0]["hours"])
    ]
    lines += text_table(["时段", *(day["weekday"] for day in days)], rows)
    lines += ["", "排班表"]
    lines += text_table(
        ["人员", "班次", "午休", "工作日"],
        [
            [entry["name"], entry["shift"], "、".join(entry["breaks"]) or "—", "、".join(entry["weekdays"])]
            for entry in data["rota"]
        ],
    )
    check = data["check"]
    lines += [
        "",
        f"在册 {data['officers_on_roll']} 人，每周 {_number(data['officer_days_per_week'])} 个人日（半天班计半天）",
        f"按排班表模拟一周（{check['days']} 天 × {check['replications']} 次重复，括号内为 95% 置信区间）：",
        f"  平均等待 {_estimate_text(check['mean_wait_minutes'])} 分钟，"
        f"{_number(check['within_minutes'])} 分钟内叫号 {_estimate_text(check['share_within'], share=True)}",
        f"各时段是否全部达标：{'是' if data['met'] else '否'}",
        "",
        "说明：",
    ]
    lines += [f"  - {note}" for note in data["notes"]]
    return "\n".join(lines)
