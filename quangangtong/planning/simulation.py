"""Discrete-event simulation of hall days, routing every call with the live rule (``choose_ticket``).

One day: tickets are issued from opening to closing time as a non-homogeneous Poisson process per item (a constant
rate within each hour, the item's daily volume times its weekday factor), each joins the FIFO queue of its
(category, item, priority) group, and the backlog left at closing time is served. Simulated day k is the scenario's
opening weekday ``weekdays[k % len(weekdays)]``, so a run starts on the first opening day of the week. An officer who
is on duty, free and has a free window calls ``choose_ticket`` on the heads of the groups, exactly as the live
"call next" does (the heads give the same answer as the whole queue, see ``queue_heads``). Counter time is lognormal
(or exponential) with the item's mean and CV, times the officer's speed factor for items they are still learning,
times ``service_factor``. Optional exponential patience: a ticket not called within it is abandoned (弃号) and counts
as a service-level failure (queueing.md §1.5). A called ticket's holder is absent with probability ``no_show_share``
(drawn when the ticket is issued, from the arrivals stream): the officer loses ``no_show_minutes`` at the window (not
scaled by ``service_factor``: calling and waiting is not counter work) and the ticket is a no-show, also a failure.

Rota: an officer is on duty from their shift's start to its end (the opening hours without a shift), except during
breaks, on their working weekdays only. When a break or the shift's end comes, an officer who is serving finishes
that visitor first, then goes; at the shift's start or the break's end they call next. The hall does not send
visitors home: if an item's skilled officers all have shifts (none works the whole opening day), those whose shift
ends latest that day stay until the item's last ticket hour is over and then until no ticket of that item is waiting
(the scenario's validation makes sure such an officer exists and every ticket hour overlaps a skilled shift).

Windows are numbered 1..windows; an officer who needs one takes the lowest free number, keeps it while calling one
visitor after another and gives it back when they find nobody to call or go off duty. Which free officer takes a new
ticket: the one idle longest (FCFS-ALIS, queueing.md §2.4). When windows are fewer than officers on duty, officers
without a window wait for one.

Utilisation: an officer's counter time (no-shows included) ÷ their own time on duty (shift minus breaks plus any
time spent finishing a visitor past it; officers without a shift: opening until the hall's last visitor is done); a
window's counter time ÷ the hall's working time (opening until the last visitor is done).

The event loop is a heap of service ends, abandonments and rota changes merged with the sorted arrivals
(queueing.md §5: a custom heap engine is several times faster than SimPy). Standard library only; reproducible with
a seed.
"""

from __future__ import annotations

import concurrent.futures
import heapq
import math
import multiprocessing
import os
import random
import statistics
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field, fields

from quangangtong.planning.scenario import EXPONENTIAL, WEEKDAY_NAMES, Scenario
from quangangtong.queueing.routing import Priority, Proficiency, WaitingTicket, choose_ticket

__all__ = [
    "Estimate",
    "HourResult",
    "ItemResult",
    "ReplicatedResult",
    "SimulationResult",
    "WeekdayResult",
    "replicate",
    "replicated_result",
    "simulate",
]

_END, _ABANDON, _ON, _OFF = 0, 1, 2, 3
# Tickets are built positionally in the event loop (keywords cost time on every arrival).
assert [f.name for f in fields(WaitingTicket)] == ["id", "category", "item", "priority", "queued_at"]
# How an officer goes off duty: at a break or the shift's end (after the current visitor), or, staying at the end of
# the day for items nobody else serves, once no ticket of those items is waiting.
_STAYS, _GOES, _GOES_WHEN_DONE = 0, 1, 2

# Two-sided 95 % Student t quantiles t(0.975, df); between rows the lower df is used (a slightly wider interval).
_T_975 = {
    1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306, 9: 2.262, 10: 2.228,
    11: 2.201, 12: 2.179, 13: 2.160, 14: 2.145, 15: 2.131, 16: 2.120, 17: 2.110, 18: 2.101, 19: 2.093, 20: 2.086,
    21: 2.080, 22: 2.074, 23: 2.069, 24: 2.064, 25: 2.060, 26: 2.056, 27: 2.052, 28: 2.048, 29: 2.045, 30: 2.042,
    40: 2.021, 60: 2.000, 120: 1.980,
}  # fmt: skip
_Z_975 = 1.960


@dataclass(frozen=True)
class ItemResult:
    """Figures for one item over the simulated days; waits in minutes (nan when nobody was served)."""

    arrivals: int
    served: int
    abandoned: int
    mean_wait_minutes: float
    max_wait_minutes: float
    no_shows: int = 0


@dataclass(frozen=True)
class HourResult:
    """Figures for the tickets issued in one opening hour over the simulated days."""

    start: str
    arrivals: int
    mean_wait_minutes: float
    share_within: float = math.nan  # called within the target ÷ arrivals of the hour (nan: no arrivals)


@dataclass(frozen=True)
class WeekdayResult:
    """Figures for the simulated days that fell on one weekday."""

    days: int
    arrivals: int
    served: int
    mean_wait_minutes: float
    share_within: float


@dataclass(frozen=True)
class SimulationResult:
    """Figures of one simulation run; waits are from issue to call, in minutes, over served tickets."""

    days: int
    arrivals: int
    served: int
    abandoned: int
    mean_wait_minutes: float
    p90_wait_minutes: float
    max_wait_minutes: float
    within_minutes: float
    share_within: float  # served within ``within_minutes`` ÷ arrivals; abandoners and no-shows count as failures
    abandonment_share: float
    items: dict[str, ItemResult]
    hours: tuple[HourResult, ...]
    utilisation: dict[str, float]  # counter time ÷ the officer's own time on duty (nan: never on duty)
    served_by: dict[str, dict[str, int]]  # officer → item code → tickets served
    no_shows: int = 0
    no_show_share: float = 0.0  # called tickets whose holder was absent ÷ arrivals
    window_utilisation: dict[int, float] = field(default_factory=dict)  # window 1..n → counter time ÷ working time
    weekdays: dict[str, WeekdayResult] = field(default_factory=dict)  # "mon"… in the scenario's order


@dataclass(frozen=True)
class Estimate:
    """A mean over independent replications with its 95 % confidence half-width (inf when n < 2)."""

    mean: float
    half_width: float
    n: int

    @property
    def low(self) -> float:
        return self.mean - self.half_width

    @property
    def high(self) -> float:
        return self.mean + self.half_width

    def covers(self, value: float) -> bool:
        return self.low <= value <= self.high


_NO_ESTIMATE = Estimate(math.nan, math.inf, 0)


@dataclass(frozen=True)
class ReplicatedResult:
    """Means over independent replications, each a run of ``days`` days, with 95 % confidence intervals."""

    replications: int
    days: int
    mean_wait_minutes: Estimate
    p90_wait_minutes: Estimate
    share_within: Estimate
    abandonment_share: Estimate
    items: dict[str, Estimate]  # mean wait per item
    hours: dict[str, Estimate]  # mean wait per opening hour
    utilisation: dict[str, Estimate]
    runs: tuple[SimulationResult, ...]
    no_show_share: Estimate = _NO_ESTIMATE
    window_utilisation: dict[int, Estimate] = field(default_factory=dict)  # window number 1..n
    hour_share_within: dict[str, Estimate] = field(default_factory=dict)  # per opening hour, by issue time
    weekday_mean_wait: dict[str, Estimate] = field(default_factory=dict)  # "mon"… → mean wait on that weekday
    weekday_arrivals: dict[str, Estimate] = field(default_factory=dict)  # arrivals per day on that weekday
    weekday_share_within: dict[str, Estimate] = field(default_factory=dict)


def simulate(
    scenario: Scenario, *, days: int, seed: int, service_factor: float = 1.0, within_minutes: float = 15.0
) -> SimulationResult:
    """Simulate ``days`` independent hall days of the scenario and return the aggregated figures."""
    if days < 1:
        raise ValueError(f"days（模拟天数）：请填写不小于 1 的整数，收到 {days!r}。")
    if not service_factor > 0:
        raise ValueError(f"service_factor（办理时长系数）：必须大于 0，收到 {service_factor!r}。")
    # Two streams: arrivals (with priority and patience) and counter times. Layouts compared with the same seed
    # then see the same visitors every day, however many service draws each layout makes (common random numbers).
    streams = random.Random(seed), random.Random(f"service-{seed}")
    return _Run(scenario, *streams, service_factor).days(days, within_minutes)


def replicate(
    scenario: Scenario,
    *,
    days: int,
    replications: int,
    seed: int,
    service_factor: float = 1.0,
    within_minutes: float = 15.0,
    workers: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> ReplicatedResult:
    """Run independent replications (seeds derived from ``seed``) and return means with 95 % confidence intervals.

    ``workers`` processes run the replications (default: one per core; 1 runs them here). Each replication's seed is
    drawn up front, so the result does not depend on the number of workers. ``progress(done, total)`` is called
    after each finished replication, in this process.
    """
    if replications < 1:
        raise ValueError(f"replications（重复次数）：请填写不小于 1 的整数，收到 {replications!r}。")
    if days < 1:
        raise ValueError(f"days（模拟天数）：请填写不小于 1 的整数，收到 {days!r}。")
    seeds = random.Random(seed)
    jobs = [
        {
            "days": days,
            "seed": seeds.getrandbits(64),
            "service_factor": service_factor,
            "within_minutes": within_minutes,
        }
        for _ in range(replications)
    ]
    with SimulationPool(workers=min(replications, workers or os.cpu_count() or 1), progress=progress) as pool:
        pool.expect(replications)
        runs = pool.map(simulate, [{"scenario": scenario, **job} for job in jobs])
    return replicated_result(tuple(runs))


class SimulationPool:
    """Run many simulations in worker processes (or here, with one worker), counting them for a progress bar.

    Workers are spawned, not forked: the planner page starts simulations from a thread of the web process, and a
    forked child would inherit that process's locks and database connections mid-use. ``map`` keeps the order of
    its jobs; ``progress(done, total)`` is called in this process after each finished job, ``total`` being what
    ``expect`` announced (raised when more jobs come than announced).
    """

    def __init__(self, *, workers: int | None = None, progress: Callable[[int, int], None] | None = None):
        self.workers = workers or os.cpu_count() or 1
        self.progress = progress
        self.done, self.total = 0, 1
        self._executor = None

    def __enter__(self) -> SimulationPool:
        if self.workers > 1:
            self._executor = concurrent.futures.ProcessPoolExecutor(
                self.workers, mp_context=multiprocessing.get_context("spawn")
            )
        return self

    def __exit__(self, *exc) -> bool:
        if self._executor is not None:
            self._executor.shutdown(cancel_futures=True)
        return False

    def expect(self, total: int) -> None:
        """Announce how many jobs the whole answer will take, as far as it is known now."""
        self.total = max(total, self.done)

    def map(self, function: Callable, jobs: list[dict]) -> list:
        """Return ``function(**job)`` for every job, in order (a single job runs here: no pickling for one)."""
        if self._executor is None or len(jobs) == 1:
            results = []
            for job in jobs:
                results.append(function(**job))
                self._tick()
            return results
        futures = [self._executor.submit(function, **job) for job in jobs]
        for _ in concurrent.futures.as_completed(futures):
            self._tick()
        return [future.result() for future in futures]

    def finish(self) -> None:
        """Say the answer is complete, when it took fewer jobs than announced."""
        if self.progress is not None and self.done != self.total:
            self.progress(self.done, self.done)

    def _tick(self) -> None:
        self.done += 1
        if self.progress is not None:
            self.progress(self.done, max(self.total, self.done))


def replicated_result(runs: tuple[SimulationResult, ...]) -> ReplicatedResult:
    """Return the means and 95 % confidence intervals over independent runs of the same scenario."""
    first = runs[0]
    return ReplicatedResult(
        replications=len(runs),
        days=first.days,
        mean_wait_minutes=estimate(r.mean_wait_minutes for r in runs),
        p90_wait_minutes=estimate(r.p90_wait_minutes for r in runs),
        share_within=estimate(r.share_within for r in runs),
        abandonment_share=estimate(r.abandonment_share for r in runs),
        items={code: estimate(r.items[code].mean_wait_minutes for r in runs) for code in first.items},
        hours={h.start: estimate(r.hours[i].mean_wait_minutes for r in runs) for i, h in enumerate(first.hours)},
        utilisation={name: estimate(r.utilisation[name] for r in runs) for name in first.utilisation},
        runs=runs,
        no_show_share=estimate(r.no_show_share for r in runs),
        window_utilisation={w: estimate(r.window_utilisation[w] for r in runs) for w in first.window_utilisation},
        hour_share_within={h.start: estimate(r.hours[i].share_within for r in runs) for i, h in enumerate(first.hours)},
        weekday_mean_wait={d: estimate(r.weekdays[d].mean_wait_minutes for r in runs) for d in first.weekdays},
        weekday_arrivals={
            d: estimate(_mean(r.weekdays[d].arrivals, r.weekdays[d].days) for r in runs) for d in first.weekdays
        },
        weekday_share_within={d: estimate(r.weekdays[d].share_within for r in runs) for d in first.weekdays},
    )


def estimate(values) -> Estimate:
    """Return the mean and 95 % t half-width of the finite values (nan values, e.g. no one served, are skipped)."""
    sample = [v for v in values if not math.isnan(v)]
    n = len(sample)
    if n == 0:
        return Estimate(math.nan, math.inf, 0)
    mean = math.fsum(sample) / n
    if n < 2:
        return Estimate(mean, math.inf, n)
    df = n - 1
    quantile = _Z_975 if df > 120 else _T_975[max(k for k in _T_975 if k <= df)]
    return Estimate(mean, quantile * statistics.stdev(sample) / math.sqrt(n), n)


def _lognormal_parameters(mean: float, cv: float) -> tuple[float, float]:
    sigma2 = math.log1p(cv * cv)
    return math.log(mean) - sigma2 / 2, math.sqrt(sigma2)


def _mean(total: float, count: int) -> float:
    return total / count if count else math.nan


class _Run:
    """State of one simulation run across its days."""

    def __init__(
        self,
        scenario: Scenario,
        rng: random.Random,
        service_rng: random.Random,
        service_factor: float,
        *,
        trace: list | None = None,
    ):
        self.scenario, self.rng, self.service_rng = scenario, rng, service_rng
        # If given, every call is appended as (officer, window, start s, end s, ticket id, no-show); for tests.
        self.trace = trace
        items = scenario.items
        self.item_index = {item.code: i for i, item in enumerate(items)}
        self.item_keys = [(item.category, item.code) for item in items]
        self.window_categories = scenario.categories
        self.skills = [scenario.officer_skills(o) for o in scenario.officers]
        self.service = []  # per item: (exponential?, mean or mu, sigma), in seconds, service_factor applied
        for item in items:
            mean_s = 60.0 * item.mean_service_minutes * service_factor
            if item.service_distribution == EXPONENTIAL:
                self.service.append((True, mean_s, 0.0))
            else:
                self.service.append((False, *_lognormal_parameters(mean_s, item.service_cv)))
        # Per officer and item: None if not certified, else the counter-time factor (learning items are slower).
        self.speed = []
        for officer, skills in zip(scenario.officers, self.skills, strict=True):
            factors = []
            for item in items:
                probe = WaitingTicket(
                    id=0, category=item.category, item=item.code, priority=Priority.NORMAL, queued_at=0
                )
                level = skills.proficiency(probe)
                factors.append(
                    None if level is None else officer.learning_speed_factor if level == Proficiency.LEARNING else 1.0
                )
            self.speed.append(factors)
        self.patience_s = None if scenario.mean_patience_minutes is None else 60.0 * scenario.mean_patience_minutes
        self.no_show_s = 60.0 * scenario.no_show_minutes
        # Per opening weekday: arrival rates per item and hour (per second), and the day's rota.
        self.rates = {
            weekday: [
                [
                    item.daily_volume * scenario.volume_factor(item, weekday) * share / 3600.0
                    for share in item.hourly_profile
                ]
                for item in items
            ]
            for weekday in scenario.weekdays
        }
        self.rotas = {weekday: self._rota(weekday) for weekday in scenario.weekdays}
        n_items, n_hours, n_officers = len(items), scenario.day.hours, len(scenario.officers)
        self.waits: list[float] = []
        self.item_arrivals, self.item_abandoned = [0] * n_items, [0] * n_items
        self.item_wait_sum, self.item_served, self.item_wait_max = [0.0] * n_items, [0] * n_items, [0.0] * n_items
        self.item_no_shows = [0] * n_items
        self.hour_arrivals, self.hour_wait_sum, self.hour_served = [0] * n_hours, [0.0] * n_hours, [0] * n_hours
        self.hour_within = [0] * n_hours
        self.busy = [0.0] * n_officers
        self.on_duty = [0.0] * n_officers
        self.window_busy = [0.0] * scenario.windows
        self.served_by = [[0] * n_items for _ in range(n_officers)]
        self.working_time = 0.0
        self.weekday_days = dict.fromkeys(scenario.weekdays, 0)
        self.weekday_arrivals = dict.fromkeys(scenario.weekdays, 0)
        self.weekday_served = dict.fromkeys(scenario.weekdays, 0)
        self.weekday_wait_sum = dict.fromkeys(scenario.weekdays, 0.0)
        self.weekday_within = dict.fromkeys(scenario.weekdays, 0)
        self.day_count = 0
        self.within_minutes = 15.0
        self.next_id = 0

    def _rota(self, weekday: int):
        """Return (officers on duty at opening, rota events, items each officer stays for) for a weekday.

        Events are (second, kind, officer, how they go off); an officer goes off a break or shift end with _GOES,
        or with _GOES_WHEN_DONE at the end of a shift they must extend (the last skilled shift for some item).
        """
        scenario, day = self.scenario, self.scenario.day
        working = [o for o, officer in enumerate(scenario.officers) if officer.works_on(weekday)]
        stays_for: dict[int, set[int]] = {o: set() for o in working}
        shift_ends = {o: scenario.officers[o].shift[1] for o in working if scenario.officers[o].shift}
        leaves = dict(shift_ends)
        for index, item in enumerate(scenario.items):
            if item.daily_volume * scenario.volume_factor(item, weekday) <= 0:
                continue
            skilled = [o for o in working if self.speed[o][index] is not None]
            last_hour = max((h for h, share in enumerate(item.hourly_profile) if share > 0), default=None)
            if not skilled or last_hour is None or any(scenario.officers[o].shift is None for o in skilled):
                continue  # officers without a shift stay until the backlog is served
            latest = max(shift_ends[o] for o in skilled)
            tickets_until = day.open_minute + 60 * (last_hour + 1)
            for o in skilled:
                if shift_ends[o] == latest:
                    stays_for[o].add(index)
                    leaves[o] = max(leaves[o], tickets_until)
        on_at_opening, events = [], []
        for o in working:
            officer = scenario.officers[o]
            if officer.shift is None:
                on_at_opening.append(o)
            else:
                events.append((60.0 * officer.shift[0], _ON, o, _STAYS))
                how = _GOES_WHEN_DONE if stays_for[o] else _GOES
                events.append((60.0 * leaves[o], _OFF, o, how))
            for start, end in officer.breaks:
                events.append((60.0 * start, _OFF, o, _GOES))
                events.append((60.0 * end, _ON, o, _STAYS))
        events.sort()
        return on_at_opening, events, {o: frozenset(items) for o, items in stays_for.items() if items}

    def arrivals(self, rates) -> list[tuple[float, int, int]]:
        """Draw one day's (time, ticket id, item index) arrivals, sorted by time."""
        uniform, log, day = self.rng.random, math.log, self.scenario.day
        opening = 60.0 * day.open_minute
        arrivals = []
        for index, hourly_rates in enumerate(rates):
            for hour, rate in enumerate(hourly_rates):
                if rate <= 0:
                    continue
                # Piecewise-constant rate: restart the exponential clock at each hour (memorylessness).
                t, end = opening + 3600.0 * hour, opening + 3600.0 * (hour + 1)
                while True:
                    t -= log(1.0 - uniform()) / rate  # rng.expovariate(rate), inlined: a call per visitor
                    if t >= end:
                        break
                    arrivals.append((t, index))
        arrivals.sort()
        first = self.next_id
        self.next_id += len(arrivals)
        return [(t, first + k, index) for k, (t, index) in enumerate(arrivals)]

    def days(self, days: int, within_minutes: float) -> SimulationResult:
        self.within_minutes = within_minutes
        for _ in range(days):
            self.day()
        return self.result(days, within_minutes)

    def day(self) -> None:
        """Simulate one day from opening until the backlog is served; one event loop kept whole for speed."""
        scenario, rng, service_rng = self.scenario, self.rng, self.service_rng
        choose = choose_ticket  # looked up per run so a test can wrap the live rule
        policy, categories, skills, speed = scenario.routing, self.window_categories, self.skills, self.speed
        service, patience_s, item_keys = self.service, self.patience_s, self.item_keys
        priority_share, no_show_share, no_show_s = scenario.priority_share, scenario.no_show_share, self.no_show_s
        busy, window_busy, trace, item_index = self.busy, self.window_busy, self.trace, self.item_index
        # Bound once: the counters below are updated on every call.
        record_wait, served_by, item_no_shows = self.waits.append, self.served_by, self.item_no_shows
        item_served, item_wait_sum, item_wait_max = self.item_served, self.item_wait_sum, self.item_wait_max
        hour_served, hour_wait_sum, hour_within = self.hour_served, self.hour_wait_sum, self.hour_within
        item_arrivals, hour_arrivals = self.item_arrivals, self.hour_arrivals
        within = self.within_minutes
        normal, exp = service_rng.normalvariate, math.exp
        opening = 60.0 * scenario.day.open_minute
        weekday = scenario.weekdays[self.day_count % len(scenario.weekdays)]
        self.day_count += 1
        on_at_opening, rota, stays_for = self.rotas[weekday]
        arrivals = self.arrivals(self.rates[weekday])
        before = sum(hour_served), sum(hour_wait_sum), sum(hour_within)

        heap: list[tuple[float, int, int, int, object]] = []
        sequence = 0
        for event in rota:
            heap.append((event[0], sequence, *event[1:]))
            sequence += 1  # the rota is sorted by time, so the list is already a heap
        free = list(range(scenario.windows))  # free window numbers, a heap: an officer takes the lowest
        n_officers = len(scenario.officers)
        window_of = [0] * n_officers
        on, on_since, leaving = [False] * n_officers, [opening] * n_officers, [_STAYS] * n_officers
        for officer in on_at_opening:
            on[officer] = True
        idle = list(on_at_opening)  # longest idle first
        groups: dict[tuple, deque] = {}
        gone: set[int] = set()  # tickets called or abandoned (a deque may still hold an abandoned one)
        item_of: dict[int, int] = {}
        absent: set[int] = set()  # tickets whose holder will not come when called
        last_event = opening

        def heads():
            result, empty = [], None
            for key, queue in groups.items():
                while queue and queue[0].id in gone:
                    queue.popleft()
                if queue:
                    result.append(queue[0])
                elif empty is None:
                    empty = [key]
                else:
                    empty.append(key)
            if empty is not None:
                for key in empty:
                    del groups[key]
            return result

        def try_call(officer: int, now: float, window: int) -> bool:
            nonlocal sequence
            waiting = heads()
            if not waiting:
                return False
            ticket = choose(
                window_categories=categories, skills=skills[officer], waiting=waiting, now=now, policy=policy
            )
            if ticket is None:
                return False
            groups[(ticket.category, ticket.item, ticket.priority)].popleft()
            ticket_id = ticket.id
            gone.add(ticket_id)
            index = item_of.pop(ticket_id)
            factor = speed[officer][index]
            if factor is None:  # the live rule must never hand out an item the officer is not certified for
                raise AssertionError(f"routing gave {ticket.item} to uncertified officer {officer}")
            if absent and ticket_id in absent:
                no_show = True
                duration = no_show_s
                item_no_shows[index] += 1
            else:
                no_show = False
                exponential, a, b = service[index]
                duration = (
                    service_rng.expovariate(1.0 / a) if exponential else exp(normal(a, b))  # lognormvariate
                ) * factor
                served_by[officer][index] += 1
                wait = (now - ticket.queued_at) / 60.0
                record_wait(wait)
                item_served[index] += 1
                item_wait_sum[index] += wait
                if wait > item_wait_max[index]:
                    item_wait_max[index] = wait
                hour = int((ticket.queued_at - opening) // 3600)
                hour_served[hour] += 1
                hour_wait_sum[hour] += wait
                if wait <= within:
                    hour_within[hour] += 1
            heapq.heappush(heap, (now + duration, sequence, _END, officer, None))
            sequence += 1
            busy[officer] += duration
            window_busy[window] += duration
            if trace is not None:
                trace.append((officer, window, now, now + duration, ticket_id, no_show))
            return True

        def go_off(officer: int, now: float) -> None:
            on[officer], leaving[officer] = False, _STAYS
            self.on_duty[officer] += now - on_since[officer]

        def is_needed(officer: int) -> bool:
            """Return whether a ticket of an item the officer stays for is still waiting."""
            own = stays_for[officer]
            return any(item_index[ticket.item] in own for ticket in heads())

        def call_idle(now: float) -> None:
            """Let officers waiting for a window take the free ones, longest idle first."""
            for waiting_officer in list(idle):
                if not free:
                    break
                if try_call(waiting_officer, now, free[0]):
                    window_of[waiting_officer] = heapq.heappop(free)
                    idle.remove(waiting_officer)
                elif leaving[waiting_officer] == _GOES_WHEN_DONE:
                    idle.remove(waiting_officer)
                    go_off(waiting_officer, now)

        position, n_arrivals = 0, len(arrivals)
        while position < n_arrivals or heap:
            if heap and (position >= n_arrivals or heap[0][0] <= arrivals[position][0]):
                now, _, kind, officer, ticket = heapq.heappop(heap)
                if kind == _END:
                    last_event = now
                    window, window_was_binding = window_of[officer], not free and len(idle) > 0
                    how = leaving[officer]
                    if how == _STAYS:
                        if try_call(officer, now, window):  # keeps the window
                            continue
                    elif how == _GOES_WHEN_DONE and is_needed(officer) and try_call(officer, now, window):
                        continue
                    heapq.heappush(free, window)
                    if how == _STAYS:
                        idle.append(officer)
                    else:
                        go_off(officer, now)
                    if window_was_binding:
                        call_idle(now)
                elif kind == _ABANDON:
                    if ticket.id not in gone:
                        gone.add(ticket.id)
                        self.item_abandoned[item_of.pop(ticket.id)] += 1
                elif kind == _ON:
                    if on[officer]:  # still finishing the visitor they had when the break began
                        leaving[officer] = _STAYS
                        continue
                    on[officer], on_since[officer] = True, now
                    if free and try_call(officer, now, free[0]):
                        window_of[officer] = heapq.heappop(free)
                    else:
                        idle.append(officer)
                elif on[officer]:  # _OFF; ``ticket`` holds how the officer goes
                    if officer not in idle:
                        leaving[officer] = ticket  # serving: goes after this visitor
                    elif ticket == _GOES or free or not is_needed(officer):
                        idle.remove(officer)  # with a window free, an idle officer has nobody to call
                        go_off(officer, now)
                    else:
                        leaving[officer] = ticket  # needed, but waiting for a window
                continue

            now, ticket_id, index = arrivals[position]
            position += 1
            category, code = item_keys[index]
            priority = Priority.GREEN if priority_share and rng.random() < priority_share else Priority.NORMAL
            ticket = WaitingTicket(ticket_id, category, code, priority, now)
            group = groups.get((category, code, priority))
            if group is None:
                group = groups[(category, code, priority)] = deque()
            group.append(ticket)
            item_of[ticket_id] = index
            item_arrivals[index] += 1
            hour_arrivals[int((now - opening) // 3600)] += 1
            if patience_s is not None:
                heapq.heappush(heap, (now + rng.expovariate(1.0 / patience_s), sequence, _ABANDON, 0, ticket))
                sequence += 1
            if no_show_share and rng.random() < no_show_share:
                absent.add(ticket_id)
            if not free:
                continue
            # Every idle officer could serve nothing before this arrival, so only those certified for it can now.
            for officer in idle:
                if speed[officer][index] is not None and try_call(officer, now, free[0]):
                    window_of[officer] = heapq.heappop(free)
                    idle.remove(officer)
                    break
        end = max(last_event, 60.0 * scenario.day.close_minute)
        self.working_time += end - opening
        for officer in range(n_officers):
            if on[officer]:  # officers without a shift (and any still waiting for a window) stay until the end
                self.on_duty[officer] += max(end, on_since[officer]) - on_since[officer]
        self.weekday_days[weekday] += 1
        self.weekday_arrivals[weekday] += n_arrivals
        self.weekday_served[weekday] += sum(hour_served) - before[0]
        self.weekday_wait_sum[weekday] += sum(hour_wait_sum) - before[1]
        self.weekday_within[weekday] += sum(hour_within) - before[2]

    def result(self, days: int, within_minutes: float) -> SimulationResult:
        scenario = self.scenario
        waits = sorted(self.waits)
        arrivals, served = sum(self.item_arrivals), len(waits)
        abandoned, no_shows = sum(self.item_abandoned), sum(self.item_no_shows)
        p90 = statistics.quantiles(waits, n=10, method="inclusive")[-1] if served >= 2 else math.nan
        within = sum(1 for w in waits if w <= within_minutes)
        return SimulationResult(
            days=days,
            arrivals=arrivals,
            served=served,
            abandoned=abandoned,
            mean_wait_minutes=_mean(math.fsum(waits), served),
            p90_wait_minutes=p90,
            max_wait_minutes=waits[-1] if waits else math.nan,
            within_minutes=within_minutes,
            share_within=_mean(within, arrivals),
            abandonment_share=_mean(abandoned, arrivals),
            items={
                item.code: ItemResult(
                    arrivals=self.item_arrivals[i],
                    served=self.item_served[i],
                    abandoned=self.item_abandoned[i],
                    mean_wait_minutes=_mean(self.item_wait_sum[i], self.item_served[i]),
                    max_wait_minutes=self.item_wait_max[i] if self.item_served[i] else math.nan,
                    no_shows=self.item_no_shows[i],
                )
                for i, item in enumerate(scenario.items)
            },
            hours=tuple(
                HourResult(
                    start=scenario.day.hour_label(h),
                    arrivals=self.hour_arrivals[h],
                    mean_wait_minutes=_mean(self.hour_wait_sum[h], self.hour_served[h]),
                    share_within=_mean(self.hour_within[h], self.hour_arrivals[h]),
                )
                for h in range(scenario.day.hours)
            ),
            utilisation={
                officer.name: _mean(self.busy[o], self.on_duty[o]) for o, officer in enumerate(scenario.officers)
            },
            served_by={
                officer.name: {item.code: n for item, n in zip(scenario.items, self.served_by[o], strict=True) if n}
                for o, officer in enumerate(scenario.officers)
            },
            no_shows=no_shows,
            no_show_share=_mean(no_shows, arrivals),
            window_utilisation={w + 1: busy / self.working_time for w, busy in enumerate(self.window_busy)},
            weekdays={
                WEEKDAY_NAMES[d]: WeekdayResult(
                    days=self.weekday_days[d],
                    arrivals=self.weekday_arrivals[d],
                    served=self.weekday_served[d],
                    mean_wait_minutes=_mean(self.weekday_wait_sum[d], self.weekday_served[d]),
                    share_within=_mean(self.weekday_within[d], self.weekday_arrivals[d]),
                )
                for d in scenario.weekdays
            },
        )
