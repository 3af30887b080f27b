"""`plan_staff`: stationary requirements per hour, the rota that covers them, and the check by simulation."""

import itertools
import math
from dataclasses import replace

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from quangangtong.planning import staffing
from quangangtong.planning.formulas import servers_for_target
from quangangtong.planning.scenario import HallDay, scenario_load
from quangangtong.planning.staffing import (
    WEEKDAY_LABELS,
    hour_demand,
    plan_staff,
    rota_for_day,
    shift_types,
    stationary_requirements,
)

BENCHMARK_DAY = HallDay(9 * 60, 17 * 60)
QUICK = {"days": 1, "replications": 2, "workers": 1}

SMALL = {
    "name": "small",
    "title": "小厅",
    "day": {"open": "09:00", "close": "11:00"},
    "hourly_profile": [0.5, 0.5],
    "items": [
        {
            "code": "sb",
            "name": "社保",
            "category": "K1",
            "daily_volume": 20,
            "mean_service_minutes": 10,
            "service_distribution": "exponential",
            "service_cv": 1,
        }
    ],
    "layouts": {"one": {"windows": 6, "officers": [{"name": "甲", "skills": {"K1": "fluent"}}]}},
}


@pytest.fixture(scope="module")
def benchmark_plan():
    return plan_staff(scenario="benchmark-hall", **QUICK)


@pytest.fixture
def small(tmp_path):
    path = tmp_path / "small.yaml"
    path.write_text(yaml.safe_dump(SMALL, allow_unicode=True), encoding="utf-8")
    return path


def minutes(text):
    hours, mins = text.split(":")
    return int(hours) * 60 + int(mins)


def on_duty(entry, start, end):
    shift_start, shift_end = (minutes(t) for t in entry["shift"].split("-"))
    if start < shift_start or end > shift_end:
        return False
    for span in entry["breaks"]:
        break_start, break_end = (minutes(t) for t in span.split("-"))
        if break_start < end and break_end > start:
            return False
    return True


def test_it_offers_full_days_with_staggered_lunches_only_unless_half_days_are_asked_for():
    assert [(t.label, t.breaks) for t in shift_types(BENCHMARK_DAY)] == [
        ("全天班", ((660, 720),)),
        ("全天班", ((690, 750),)),
        ("全天班", ((720, 780),)),
        ("全天班", ((750, 810),)),
        ("全天班", ((780, 840),)),
    ]


def test_it_offers_full_days_with_staggered_lunches_and_two_half_days():
    types = shift_types(BENCHMARK_DAY, half_days=True)
    assert [(t.label, t.start, t.end, t.breaks, t.officer_days) for t in types] == [
        ("全天班", 540, 1020, ((690, 750),), 1.0),
        ("全天班", 540, 1020, ((720, 780),), 1.0),
        ("全天班", 540, 1020, ((750, 810),), 1.0),
        ("上午班", 540, 780, (), 0.5),
        ("下午班", 780, 1020, (), 0.5),
    ]


def test_it_gives_a_short_day_no_lunch_break():
    types = shift_types(HallDay(9 * 60, 11 * 60), half_days=True)
    assert [(t.label, t.breaks) for t in types] == [("全天班", ()), ("上午班", ()), ("下午班", ())]


def test_it_pools_the_benchmark_items_into_the_published_mixture():
    # queueing.md §6: the pooled service mixture has E[S] = 9.25 min and SCV = 0.85.
    hall = scenario_load("benchmark-hall")
    demand = hour_demand(hall, weekday=0, hour=1)
    assert demand.arrival_rate == pytest.approx(469 * 0.16)
    assert demand.mean_service == pytest.approx(4339 / 469)
    assert demand.service_cv**2 == pytest.approx(0.85, abs=0.005)
    assert demand.load == pytest.approx(demand.arrival_rate * demand.mean_service / 60)


def test_it_scales_the_load_by_the_weekday_factor():
    hall = replace(scenario_load("benchmark-hall"), weekday_factors={0: 1.5})
    monday = hour_demand(hall, weekday=0, hour=2)
    tuesday = hour_demand(hall, weekday=1, hour=2)
    assert monday.load == pytest.approx(1.5 * tuesday.load)
    busy = stationary_requirements(hall, weekday=0, target_share=0.8, within_minutes=15)
    calm = stationary_requirements(hall, weekday=1, target_share=0.8, within_minutes=15)
    assert all(b >= c for b, c in zip(busy, calm, strict=True))
    assert busy != calm


def test_it_sizes_each_hour_as_an_erlang_c_queue(small):
    hall = scenario_load(small)
    needed = stationary_requirements(
        hall, weekday=0, target_share=0.8, within_minutes=15, max_mean_wait_minutes=4, service_factor=0.5
    )
    # 10 visitors in the hour × 5 minutes each.
    expected = servers_for_target(
        load=10 * 5 / 60, mean_service=5, service_level=0.8, within=15, max_mean_wait=4, service_cv=1.0
    )
    assert needed == [expected, expected]


def _covers_and_cost(needed, types):
    slots = [(start, start + 30) for start in range(540, 1020, 30)]
    slot_need = [needed[(start - 540) // 60] for start, _ in slots]
    cover = [[t.covers(*slot) for slot in slots] for t in types]

    def covers(counts):
        return all(
            sum(n for n, row in zip(counts, cover, strict=True) if row[s]) >= need for s, need in enumerate(slot_need)
        )

    def cost(counts):
        return sum(t.officer_days * n for t, n in zip(types, counts, strict=True))

    return covers, cost


def _splits(total, parts):
    """Every way to split total officers among parts groups."""
    if parts == 1:
        yield (total,)
        return
    for first in range(total + 1):
        for rest in _splits(total - first, parts - 1):
            yield (first, *rest)


@settings(max_examples=30, deadline=None)
@given(st.lists(st.integers(min_value=1, max_value=3), min_size=8, max_size=8))
def test_it_covers_every_half_hour_with_the_fewest_officer_days(needed):
    types = shift_types(BENCHMARK_DAY, half_days=True)
    chosen = rota_for_day(needed, day=BENCHMARK_DAY, types=types)
    covers, cost = _covers_and_cost(needed, types)
    counts = [chosen[t.key] for t in types]
    assert covers(counts)
    best = min(cost(c) for c in itertools.product(range(4), repeat=len(types)) if covers(c))
    assert cost(counts) == best


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(min_value=1, max_value=14), min_size=8, max_size=8))
def test_it_covers_every_half_hour_with_the_fewest_full_time_officers(needed):
    types = shift_types(BENCHMARK_DAY)
    chosen = rota_for_day(needed, day=BENCHMARK_DAY, types=types)
    covers, _ = _covers_and_cost(needed, types)
    counts = [chosen[t.key] for t in types]
    assert covers(counts)
    # One officer fewer, however split among the lunch groups, leaves some half hour short.
    assert not any(covers(split) for split in _splits(sum(counts) - 1, len(types)))


def test_it_returns_the_contracted_keys(benchmark_plan):
    _, data = benchmark_plan
    assert list(data) == [
        "scenario",
        "layout",
        "target",
        "half_days",
        "requirements",
        "rota",
        "officers_on_roll",
        "officer_days_per_week",
        "check",
        "met",
        "notes",
    ]
    assert (data["scenario"], data["layout"]) == ("benchmark-hall", "pooled-13")
    assert data["target"] == {"share": 0.8, "within_minutes": 15.0, "max_mean_wait_minutes": None}
    assert [day["weekday"] for day in data["requirements"]] == list(WEEKDAY_LABELS[:5])
    assert [day["weekday_index"] for day in data["requirements"]] == [0, 1, 2, 3, 4]
    for day in data["requirements"]:
        assert [hour["start"] for hour in day["hours"]] == [f"{h:02d}:00" for h in range(9, 17)]
        assert all(set(hour) == {"start", "officers", "offered_load"} for hour in day["hours"])
    assert all(set(entry) == {"name", "shift", "breaks", "weekdays"} for entry in data["rota"])
    assert isinstance(data["met"], bool)
    assert data["check"]["layout"] == "pooled-13"
    assert data["check"]["officers_count"] == data["officers_on_roll"] == len(data["rota"])


def test_it_needs_more_officers_at_the_peak_than_at_lunchtime(benchmark_plan):
    _, data = benchmark_plan
    hours = {hour["start"]: hour for hour in data["requirements"][0]["hours"]}
    assert hours["10:00"]["officers"] > hours["13:00"]["officers"]
    for hour in hours.values():
        assert hour["officers"] >= hour["offered_load"]  # fewer and the queue only grows


def test_it_puts_enough_officers_on_duty_in_every_half_hour(benchmark_plan):
    _, data = benchmark_plan
    for day in data["requirements"]:
        working = [entry for entry in data["rota"] if day["weekday"] in entry["weekdays"]]
        for hour in day["hours"]:
            for start in (minutes(hour["start"]), minutes(hour["start"]) + 30):
                present = sum(on_duty(entry, start, start + 30) for entry in working)
                assert present >= hour["officers"], (day["weekday"], start)


def test_it_staggers_the_lunch_breaks_and_counts_half_days_as_half(benchmark_plan):
    _, data = benchmark_plan
    lunches = {entry["breaks"][0] for entry in data["rota"] if entry["breaks"]}
    assert len(lunches) >= 2
    assert lunches <= {"11:00-12:00", "11:30-12:30", "12:00-13:00", "12:30-13:30", "13:00-14:00"}
    expected = sum((1.0 if entry["shift"] == "09:00-17:00" else 0.5) * len(entry["weekdays"]) for entry in data["rota"])
    assert data["officer_days_per_week"] == expected


def test_it_says_every_officer_is_checked_with_every_skill(benchmark_plan):
    table, data = benchmark_plan
    assert any("全部技能" in note and "K0" in note for note in data["notes"])
    for label in ["各时段需在岗人数", "排班表", "周一", "全天班1", "在册", "说明："]:
        assert label in table


def test_it_adds_an_officer_where_the_simulated_hour_misses_the_target(small, monkeypatch):
    monkeypatch.setattr(staffing, "stationary_requirements", lambda hall, **_: [1] * hall.day.hours)
    _, data = plan_staff(scenario=str(small), days=5, replications=3, seed=2, workers=1)
    assert data["met"] is True
    assert all(hour["officers"] >= 2 for hour in data["requirements"][0]["hours"])
    assert any("共加了" in note for note in data["notes"])
    assert data["check"]["share_within"]["mean"] >= 0.8


def test_it_removes_officers_the_simulation_shows_are_not_needed_but_never_below_the_load(small, monkeypatch):
    monkeypatch.setattr(staffing, "stationary_requirements", lambda hall, **_: [6] * hall.day.hours)
    _, data = plan_staff(scenario=str(small), days=3, replications=3, workers=1)
    assert data["met"] is True
    for hour in data["requirements"][0]["hours"]:
        assert math.ceil(hour["offered_load"]) <= hour["officers"] < 6
    assert any("共减了" in note for note in data["notes"])


def test_it_reports_the_hours_that_still_miss_after_the_last_round(small, monkeypatch):
    monkeypatch.setattr(staffing, "stationary_requirements", lambda hall, **_: [1] * hall.day.hours)
    monkeypatch.setattr(staffing, "REFINEMENTS", 0)
    _, data = plan_staff(scenario=str(small), days=3, replications=2, workers=1)
    assert data["met"] is False
    assert any("仍未达标" in note and "09:00" in note for note in data["notes"])


def test_it_staffs_a_busier_weekday_with_officers_who_work_only_that_day(small):
    busy_monday = {**SMALL, "weekday_factors": {"mon": 3}}
    small.write_text(yaml.safe_dump(busy_monday, allow_unicode=True), encoding="utf-8")
    _, data = plan_staff(scenario=str(small), days=2, replications=2, workers=1)
    monday, tuesday = data["requirements"][0], data["requirements"][1]
    assert monday["hours"][0]["offered_load"] == pytest.approx(3 * tuesday["hours"][0]["offered_load"])
    assert monday["hours"][0]["officers"] > tuesday["hours"][0]["officers"]
    assert any(entry["weekdays"] == ["周一"] for entry in data["rota"])
    assert data["check"]["days"] == 5  # the final check covers a whole week


def test_it_reports_progress_up_to_the_total(small):
    calls = []
    plan_staff(
        scenario=str(small), days=1, replications=2, workers=1, progress=lambda done, total: calls.append((done, total))
    )
    assert calls[-1][0] == calls[-1][1]
    assert [done for done, _ in calls] == sorted(done for done, _ in calls)


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"target_share": 1.0}, "target_share"),
        ({"target_share": 0}, "target_share"),
        ({"within_minutes": 0}, "within_minutes"),
        ({"max_mean_wait_minutes": -1}, "max_mean_wait_minutes"),
        ({"days": 0}, "days"),
        ({"replications": 0}, "replications"),
        ({"service_factor": math.nan}, "service_factor"),
    ],
)
def test_it_refuses_a_bad_option_naming_the_field(options, field):
    with pytest.raises(ValueError, match=field):
        plan_staff(scenario="benchmark-hall", **{**QUICK, **options})


def test_it_gives_full_time_officers_full_days_unless_half_days_are_asked_for(benchmark_plan):
    _, data = benchmark_plan
    assert data["half_days"] is False
    assert {entry["shift"] for entry in data["rota"]} == {"09:00-17:00"}
    assert data["officer_days_per_week"] == sum(len(entry["weekdays"]) for entry in data["rota"])


def test_it_counts_half_days_as_half_when_they_are_allowed():
    _, data = plan_staff(scenario="benchmark-hall", half_days=True, **QUICK)
    shifts = {entry["shift"] for entry in data["rota"]}
    assert shifts & {"09:00-13:00", "13:00-17:00"}
    expected = sum((1.0 if entry["shift"] == "09:00-17:00" else 0.5) * len(entry["weekdays"]) for entry in data["rota"])
    assert data["officer_days_per_week"] == expected


def test_it_staggers_lunch_so_a_full_time_team_is_hardly_larger_than_the_busiest_hour(benchmark_plan):
    # Five lunch groups from 11:00: at most two are away at once, so noon does not force extra officers on the roll
    # (three groups from 11:30 would need 19 for the benchmark's 8 at noon: two of three away in 12:00–13:00).
    _, data = benchmark_plan
    busiest = max(hour["officers"] for day in data["requirements"] for hour in day["hours"])
    assert data["officers_on_roll"] <= busiest + 1
