"""Time the hall simulator beside a minimal SimPy M/M/c model of the same demand (issue 5, "Speed").

    .venv/bin/python bench/planner.py                    # 100 days per measurement, best of 3, then 1,000 days
    .venv/bin/python bench/planner.py --days 30 --repeat 1 --long-days 200

Three figures, all in one process on one core:

1. simulated visitors per second of the planner (``simulation.simulate``) on the benchmark hall with full skill
   routing — every call goes through the live rule ``choose_ticket`` — for the layouts ``clusters-chain`` (13
   officers in 6 skill groups, each learning the next group) and ``pooled-13`` (13 officers, every item);
2. the same for a minimal SimPy model: one FIFO queue, ``simpy.Resource`` with 13 servers, no skills, no
   priorities, the benchmark hall's arrivals (469 a day, the same hourly profile, Poisson within each hour) and
   exponential service with the hall's mean counter time (4,339 ÷ 469 = 9.25 minutes); each layout's ratio to
   it (target ≥ 1.0: the full simulation at least as fast as the minimal SimPy model);
3. the wall time of 1,000 benchmark days (``replicate`` of ``clusters-chain``: 10 replications × 100 days, what
   ``qgt plan run benchmark-hall --layout clusters-chain --days 100`` does).

Each rate is the best of --repeat runs (the machine may be shared: the best run is the least disturbed one).
"""

import argparse
import math
import os
import platform
import random
import sys
import time
from pathlib import Path

import simpy

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from quangangtong.planning.scenario import scenario_load
from quangangtong.planning.simulation import replicate, simulate

HALL = "benchmark-hall"
ROUTED_LAYOUTS = ("clusters-chain", "pooled-13")
SERVERS = 13


def hall_rate(layout, *, days, seed, repeat):
    """Return (visitors per second, mean wait in minutes) of the planner for one layout, best of ``repeat``."""
    scenario = scenario_load(HALL, layout=layout)
    best = math.inf
    for attempt in range(repeat):
        started = time.perf_counter()
        result = simulate(scenario, days=days, seed=seed + attempt)
        best = min(best, (time.perf_counter() - started) / result.arrivals)
    return 1 / best, result.mean_wait_minutes


def simpy_day(rng, *, hourly_rates, open_s, mean_service_s, servers, waits):
    """Simulate one M/M/c day in SimPy: Poisson arrivals per hour until closing, the backlog served."""
    env = simpy.Environment(initial_time=open_s)
    counter = simpy.Resource(env, capacity=servers)

    def visitor(env):
        arrived = env.now
        with counter.request() as request:
            yield request
            waits.append(env.now - arrived)
            yield env.timeout(rng.expovariate(1 / mean_service_s))

    def arrivals(env):
        for hour, rate in enumerate(hourly_rates):
            end = open_s + 3600 * (hour + 1)
            while True:
                gap = rng.expovariate(rate)
                if env.now + gap >= end:
                    yield env.timeout(end - env.now)
                    break
                yield env.timeout(gap)
                env.process(visitor(env))

    env.process(arrivals(env))
    env.run()


def simpy_rate(*, days, seed, repeat):
    """Return (visitors per second, mean wait in minutes) of the minimal SimPy M/M/c model, best of ``repeat``."""
    scenario = scenario_load(HALL)
    volume = sum(item.daily_volume for item in scenario.items)
    mean_service_s = 60 * sum(item.daily_volume * item.mean_service_minutes for item in scenario.items) / volume
    hourly_rates = [  # per second, summed over items (each item's own profile)
        sum(item.daily_volume * item.hourly_profile[hour] for item in scenario.items) / 3600
        for hour in range(scenario.day.hours)
    ]
    best = math.inf
    for attempt in range(repeat):
        rng, waits = random.Random(seed + attempt), []
        started = time.perf_counter()
        for _ in range(days):
            simpy_day(
                rng,
                hourly_rates=hourly_rates,
                open_s=60 * scenario.day.open_minute,
                mean_service_s=mean_service_s,
                servers=SERVERS,
                waits=waits,
            )
        best = min(best, (time.perf_counter() - started) / len(waits))
    return 1 / best, math.fsum(waits) / len(waits) / 60


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=100, help="simulated days per rate measurement (default 100)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per rate measurement, the best kept (default 3)")
    parser.add_argument("--long-days", type=int, default=1000, help="days for the wall-time figure (default 1000)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)

    print(f"Python {platform.python_version()} ({platform.python_implementation()}), SimPy {simpy.__version__}")
    print(f"benchmark hall, {args.days} days per measurement, best of {args.repeat}\n")
    baseline, baseline_wait = simpy_rate(days=args.days, seed=args.seed, repeat=args.repeat)
    print(f"{'model':<52} {'visitors/s':>11} {'ratio':>6} {'mean wait':>10}")
    rows = [(f"SimPy M/M/{SERVERS} (one queue, no skills, no priorities)", baseline, baseline_wait)]
    for layout in ROUTED_LAYOUTS:
        rate, wait = hall_rate(layout, days=args.days, seed=args.seed, repeat=args.repeat)
        rows.append((f"planner {layout} (skills, live routing rule)", rate, wait))
    for label, rate, wait in rows:
        print(f"{label:<52} {rate:>11,.0f} {rate / baseline:>6.2f} {wait:>7.2f} min")

    replications = 10 if args.long_days % 10 == 0 else 1
    scenario = scenario_load(HALL, layout="clusters-chain")
    cores = os.cpu_count() or 1
    for workers, label in ((1, "one process"), (cores, f"{cores} worker processes")):
        started = time.perf_counter()
        result = replicate(
            scenario, days=args.long_days // replications, replications=replications, seed=args.seed, workers=workers
        )
        elapsed = time.perf_counter() - started
        visitors = sum(run.arrivals for run in result.runs)
        print(
            f"\n{args.long_days:,} days of clusters-chain ({replications} replications, {visitors:,} visitors): "
            f"{elapsed:.1f} s wall time, {label}; mean wait {result.mean_wait_minutes.mean:.2f} "
            f"± {result.mean_wait_minutes.half_width:.2f} min"
        )


if __name__ == "__main__":
    main()
