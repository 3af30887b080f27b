"""Discrete-event simulation of hall days, routing every call with the live rule (``choose_ticket``).

One day: tickets are issued from opening to closing time as a non-homogeneous Poisson process per item (a constant
rate within each hour), each joins the FIFO queue of its (category, item, priority) group, and the backlog left at
closing time is served. An officer who is free and has a free window calls ``choose_ticket`` on the heads of the
groups, exactly as the live "call next" does (the heads give the same answer as the whole queue, see
``queue_heads``). Counter time is lognormal (or exponential) with the item's mean and CV, times the officer's speed
factor for items they are still learning, times ``service_factor``. Optional exponential patience: a ticket not
called within it is abandoned (过号/弃号) and counts as a service-level failure (queueing.md §1.5).

Which free officer takes a new ticket: the one idle longest (FCFS-ALIS, queueing.md §2.4). When windows are fewer
than officers, an officer who finishes keeps the window and calls next; officers without a window wait for one.

The event loop is a heap of service ends and abandonments merged with the sorted arrivals (queueing.md §5: a custom
heap engine is several times faster than SimPy). Standard library only; reproducible with a seed.
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
from dataclasses import dataclass

from quangangtong.planning.scenario import EXPONENTIAL, Scenario
from quangangtong.queueing.routing import Priority, Proficiency, WaitingTicket, choose_ticket

__all__ = [
    "Estimate",
    "HourResult",
    "ItemResult",
    "ReplicatedResult",
    "SimulationResult",
    "replicate",
    "replicated_result",
    "simulate",
]

_END, _ABANDON = 0, 1

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


@dataclass(frozen=True)
class HourResult:
    """Figures for the tickets issued in one opening hour over the simulated days."""

    start: str
    arrivals: int
    mean_wait_minutes: float


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
    share_within: float  # served within ``within_minutes`` ÷ arrivals; abandoners count as failures
    abandonment_share: float
    items: dict[str, ItemResult]
    hours: tuple[HourResult, ...]
    utilisation: dict[str, float]  # busy time ÷ the hall's working time (opening to the last service end)
    served_by: dict[str, dict[str, int]]  # officer → item code → tickets served


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
    workers = min(replications, workers or os.cpu_count() or 1)
    if workers <= 1:
        runs = []
        for job in jobs:
            runs.append(simulate(scenario, **job))
            if progress is not None:
                progress(len(runs), replications)
    else:
        with concurrent.futures.ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
            futures = [pool.submit(simulate, scenario, **job) for job in jobs]
            if progress is not None:
                for done, _ in enumerate(concurrent.futures.as_completed(futures), start=1):
                    progress(done, replications)
            runs = [future.result() for future in futures]
    return replicated_result(tuple(runs))


def replicated_result(runs: tuple[SimulationResult, ...]) -> ReplicatedResult:
    """Return the means and 95 % confidence intervals over independent runs of the same scenario."""
    return ReplicatedResult(
        replications=len(runs),
        days=runs[0].days,
        mean_wait_minutes=_estimate(r.mean_wait_minutes for r in runs),
        p90_wait_minutes=_estimate(r.p90_wait_minutes for r in runs),
        share_within=_estimate(r.share_within for r in runs),
        abandonment_share=_estimate(r.abandonment_share for r in runs),
        items={code: _estimate(r.items[code].mean_wait_minutes for r in runs) for code in runs[0].items},
        hours={h.start: _estimate(r.hours[i].mean_wait_minutes for r in runs) for i, h in enumerate(runs[0].hours)},
        utilisation={name: _estimate(r.utilisation[name] for r in runs) for name in runs[0].utilisation},
        runs=runs,
    )


def _estimate(values) -> Estimate:
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

    def __init__(self, scenario: Scenario, rng: random.Random, service_rng: random.Random, service_factor: float):
        self.scenario, self.rng, self.service_rng = scenario, rng, service_rng
        items = scenario.items
        self.item_index = {item.code: i for i, item in enumerate(items)}
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
        n_items, n_hours, n_officers = len(items), scenario.day.hours, len(scenario.officers)
        self.waits: list[float] = []
        self.item_arrivals, self.item_abandoned = [0] * n_items, [0] * n_items
        self.item_wait_sum, self.item_served, self.item_wait_max = [0.0] * n_items, [0] * n_items, [0.0] * n_items
        self.hour_arrivals, self.hour_wait_sum, self.hour_served = [0] * n_hours, [0.0] * n_hours, [0] * n_hours
        self.busy = [0.0] * n_officers
        self.served_by = [[0] * n_items for _ in range(n_officers)]
        self.working_time = 0.0
        self.next_id = 0

    def arrivals(self) -> list[tuple[float, int, int]]:
        """Draw one day's (time, ticket id, item index) arrivals, sorted by time."""
        rng, day = self.rng, self.scenario.day
        opening = 60.0 * day.open_minute
        arrivals = []
        for index, item in enumerate(self.scenario.items):
            for hour, share in enumerate(item.hourly_profile):
                rate = item.daily_volume * share / 3600.0
                if rate <= 0:
                    continue
                # Piecewise-constant rate: restart the exponential clock at each hour (memorylessness).
                t, end = opening + 3600.0 * hour, opening + 3600.0 * (hour + 1)
                while True:
                    t += rng.expovariate(rate)
                    if t >= end:
                        break
                    arrivals.append((t, index))
        arrivals.sort()
        first = self.next_id
        self.next_id += len(arrivals)
        return [(t, first + k, index) for k, (t, index) in enumerate(arrivals)]

    def days(self, days: int, within_minutes: float) -> SimulationResult:
        for _ in range(days):
            self.day()
        return self.result(days, within_minutes)

    def day(self) -> None:
        """Simulate one day from opening until the backlog is served; one event loop kept whole for speed."""
        scenario, rng, service_rng = self.scenario, self.rng, self.service_rng
        choose = choose_ticket  # looked up per run so a test can wrap the live rule
        policy, categories, skills, speed = scenario.routing, self.window_categories, self.skills, self.speed
        items, service, patience_s = scenario.items, self.service, self.patience_s
        priority_share = scenario.priority_share
        opening = 60.0 * scenario.day.open_minute
        arrivals = self.arrivals()

        heap: list[tuple[float, int, int, int, object]] = []
        sequence = 0
        free_windows = scenario.windows
        idle = list(range(len(scenario.officers)))  # longest idle first
        groups: dict[tuple, deque] = {}
        gone: set[int] = set()  # tickets called or abandoned (a deque may still hold an abandoned one)
        item_of: dict[int, int] = {}
        last_event = opening

        def heads():
            result, empty = [], []
            for key, queue in groups.items():
                while queue and queue[0].id in gone:
                    queue.popleft()
                if queue:
                    result.append(queue[0])
                else:
                    empty.append(key)
            for key in empty:
                del groups[key]
            return result

        def try_call(officer: int, now: float) -> bool:
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
            gone.add(ticket.id)
            index = item_of.pop(ticket.id)
            factor = speed[officer][index]
            if factor is None:  # the live rule must never hand out an item the officer is not certified for
                raise AssertionError(f"routing gave {ticket.item} to uncertified officer {officer}")
            exponential, a, b = service[index]
            duration = (service_rng.expovariate(1.0 / a) if exponential else service_rng.lognormvariate(a, b)) * factor
            heapq.heappush(heap, (now + duration, sequence, _END, officer, None))
            sequence += 1
            self.busy[officer] += duration
            self.served_by[officer][index] += 1
            wait = (now - ticket.queued_at) / 60.0
            self.waits.append(wait)
            self.item_served[index] += 1
            self.item_wait_sum[index] += wait
            if wait > self.item_wait_max[index]:
                self.item_wait_max[index] = wait
            hour = int((ticket.queued_at - opening) // 3600)
            self.hour_served[hour] += 1
            self.hour_wait_sum[hour] += wait
            return True

        position, n_arrivals = 0, len(arrivals)
        while position < n_arrivals or heap:
            if heap and (position >= n_arrivals or heap[0][0] <= arrivals[position][0]):
                now, _, kind, subject, ticket = heapq.heappop(heap)
                if kind == _ABANDON:
                    if ticket.id not in gone:
                        gone.add(ticket.id)
                        self.item_abandoned[item_of.pop(ticket.id)] += 1
                    continue
                last_event = now
                officer, window_was_binding = subject, free_windows == 0 and len(idle) > 0
                free_windows += 1
                if try_call(officer, now):
                    free_windows -= 1
                    continue
                idle.append(officer)
                if window_was_binding:
                    for waiting_officer in list(idle):
                        if free_windows == 0:
                            break
                        if try_call(waiting_officer, now):
                            idle.remove(waiting_officer)
                            free_windows -= 1
                continue

            now, ticket_id, index = arrivals[position]
            position += 1
            item = items[index]
            priority = Priority.GREEN if priority_share and rng.random() < priority_share else Priority.NORMAL
            ticket = WaitingTicket(
                id=ticket_id, category=item.category, item=item.code, priority=priority, queued_at=now
            )
            groups.setdefault((item.category, item.code, priority), deque()).append(ticket)
            item_of[ticket_id] = index
            self.item_arrivals[index] += 1
            self.hour_arrivals[int((now - opening) // 3600)] += 1
            if patience_s is not None:
                heapq.heappush(heap, (now + rng.expovariate(1.0 / patience_s), sequence, _ABANDON, 0, ticket))
                sequence += 1
            if free_windows == 0:
                continue
            # Every idle officer could serve nothing before this arrival, so only those certified for it can now.
            for officer in idle:
                if speed[officer][index] is not None and try_call(officer, now):
                    idle.remove(officer)
                    free_windows -= 1
                    break
        self.working_time += max(last_event, 60.0 * scenario.day.close_minute) - opening

    def result(self, days: int, within_minutes: float) -> SimulationResult:
        scenario = self.scenario
        waits = sorted(self.waits)
        arrivals, served = sum(self.item_arrivals), len(waits)
        abandoned = sum(self.item_abandoned)
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
                )
                for i, item in enumerate(scenario.items)
            },
            hours=tuple(
                HourResult(
                    start=scenario.day.hour_label(h),
                    arrivals=self.hour_arrivals[h],
                    mean_wait_minutes=_mean(self.hour_wait_sum[h], self.hour_served[h]),
                )
                for h in range(scenario.day.hours)
            ),
            utilisation={officer.name: self.busy[o] / self.working_time for o, officer in enumerate(scenario.officers)},
            served_by={
                officer.name: {item.code: n for item, n in zip(scenario.items, self.served_by[o], strict=True) if n}
                for o, officer in enumerate(scenario.officers)
            },
        )
