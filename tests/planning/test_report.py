"""The planner's report: new figures (windows, weekdays, no-shows, per-hour service level) in the table and JSON."""

import json

import pytest

from quangangtong.planning.report import comparison_table, comparison_to_dict, result_table, result_to_dict
from quangangtong.planning.scenario import scenario_from_dict
from quangangtong.planning.simulation import replicate

HALL = {
    "name": "report-hall",
    "day": {"open": "09:00", "close": "11:00"},
    "hourly_profile": [0.5, 0.5],
    "weekdays": ["mon", "tue", "wed"],
    "weekday_factors": {"mon": 1.2},
    "items": [{"code": "sb", "name": "社保", "category": "K", "daily_volume": 40, "mean_service_minutes": 5}],
    "layouts": {
        "plain": {"windows": 3, "officers": [{"name": "综窗", "count": 3, "skills": {"K": "fluent"}}]},
        "lunch": {
            "windows": 3,
            "officers": [{"name": "轮休", "count": 3, "breaks": ["10:00-10:20"], "skills": {"K": "fluent"}}],
        },
    },
}
OPTIONS = {"seed": 3, "service_factor": 1.0}


def run(layout, *, days=3, **changes):
    scenario = scenario_from_dict({**HALL, **changes}, layout=layout)
    return scenario, replicate(scenario, days=days, replications=3, seed=3, workers=1)


def assert_estimate(value):
    assert set(value) == {"mean", "low", "high"}
    assert value["low"] <= value["mean"] <= value["high"]


def test_it_adds_windows_weekdays_no_shows_and_hourly_service_levels_to_the_json():
    scenario, result = run("plain", no_show_share=0.1)
    data = json.loads(json.dumps(result_to_dict(scenario, result, **OPTIONS), allow_nan=False))
    for key in ["mean_wait_minutes", "p90_wait_minutes", "share_within", "abandonment_share", "no_show_share"]:
        assert_estimate(data[key])
    assert 0 < data["no_show_share"]["mean"] < 0.3
    assert list(data["window_utilisation"]) == ["1", "2", "3"]
    for window in data["window_utilisation"].values():
        assert_estimate(window)
    assert list(data["weekdays"]) == ["mon", "tue", "wed"]
    assert [day["name"] for day in data["weekdays"].values()] == ["周一", "周二", "周三"]
    for day in data["weekdays"].values():
        assert_estimate(day["arrivals_per_day"])
        assert_estimate(day["mean_wait_minutes"])
        assert_estimate(day["share_within"])
    assert data["weekdays"]["mon"]["arrivals_per_day"]["mean"] > data["weekdays"]["tue"]["arrivals_per_day"]["mean"]
    assert list(data["hours"]) == ["09:00", "10:00"]
    for hour in data["hours"].values():
        assert set(hour) == {"mean_wait_minutes", "share_within"}
        assert_estimate(hour["share_within"])


def test_it_keeps_the_existing_json_keys():
    scenario, result = run("plain")
    data = result_to_dict(scenario, result, **OPTIONS)
    assert {
        "scenario",
        "layout",
        "title",
        "officers_count",
        "windows",
        "days",
        "replications",
        "seed",
        "service_factor",
        "within_minutes",
        "arrivals_per_day",
        "mean_wait_minutes",
        "p90_wait_minutes",
        "share_within",
        "abandonment_share",
        "worst_item",
        "items",
        "hours",
        "officers",
    } <= set(data)
    assert data["windows"] == 3
    assert set(data["officers"]["综窗1"]) == {"utilisation"}


def test_it_writes_null_for_a_weekday_that_was_not_simulated():
    scenario, result = run("plain", days=1)
    data = json.loads(json.dumps(result_to_dict(scenario, result, **OPTIONS), allow_nan=False))
    assert data["weekdays"]["mon"]["mean_wait_minutes"]["mean"] is not None
    assert data["weekdays"]["wed"]["mean_wait_minutes"] == {"mean": None, "low": None, "high": None}


def test_it_prints_the_new_figures_in_the_run_table():
    scenario, result = run("lunch", no_show_share=0.1)
    table = result_table(scenario, result, **OPTIONS)
    for label in [
        "叫号未到比例",
        "15 分钟内叫号",
        "各星期",
        "周一",
        "周三",
        "窗口利用率",
        "1 号",
        "3 号",
        "本人在岗时间",
    ]:
        assert label in table


@pytest.mark.parametrize(("no_show_share", "shown"), [(0.0, False), (0.1, True)])
def test_it_adds_a_no_show_column_to_the_comparison_only_when_there_are_no_shows(no_show_share, shown):
    pairs = {name: run(name, no_show_share=no_show_share) for name in ("plain", "lunch")}
    scenarios = {name: pair[0] for name, pair in pairs.items()}
    results = {name: pair[1] for name, pair in pairs.items()}
    table = comparison_table(scenarios, results, **OPTIONS)
    assert ("叫号未到" in table) is shown
    data = comparison_to_dict(scenarios, results, **OPTIONS)
    assert list(data["layouts"]) == ["plain", "lunch"]
    assert all("window_utilisation" in layout and "weekdays" in layout for layout in data["layouts"].values())
