"""Scenario files: the shipped benchmark hall, and refusal of bad files with the file, the key and the reason."""

import copy

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from quangangtong.planning.scenario import (
    BENCHMARK_HALL,
    ScenarioError,
    scenario_from_dict,
    scenario_load,
    scenario_load_all,
    scenario_path,
)
from quangangtong.queueing.routing import Proficiency

LAYOUTS = ["pooled-13", "six-windows", "dedicated-34", "clusters-dedicated", "clusters-chain", "full-cross-training"]

SMALL = {
    "name": "small",
    "day": {"open": "09:00", "close": "11:00"},
    "hourly_profile": [0.4, 0.6],
    "items": [
        {"code": "sb", "name": "社保", "category": "K1", "daily_volume": 20, "mean_service_minutes": 8},
        {"code": "yb", "name": "医保", "category": "K1", "daily_volume": 10, "mean_service_minutes": 6},
        {"code": "sw", "name": "税务", "category": "K2", "daily_volume": 5, "mean_service_minutes": 10},
    ],
    "default_layout": "two",
    "layouts": {
        "two": {
            "windows": 2,
            "officers": [
                {"name": "甲", "skills": {"K1": "fluent"}},
                {"name": "乙", "skills": {"sw": "fluent", "sb": "learning"}},
            ],
        }
    },
}


def write(tmp_path, data):
    path = tmp_path / "hall.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def refusal(tmp_path, mutate):
    data = copy.deepcopy(SMALL)
    mutate(data)
    path = write(tmp_path, data)
    with pytest.raises(ScenarioError) as caught:
        scenario_load(path)
    return path, caught.value


def test_it_ships_the_benchmark_hall_with_the_reference_demand():
    scenario = scenario_load("benchmark-hall")
    assert scenario.layout == "pooled-13"
    assert len(scenario.items) == 17
    assert sum(item.daily_volume for item in scenario.items) == 469
    staff_minutes = sum(item.daily_volume * item.mean_service_minutes for item in scenario.items)
    assert staff_minutes == 4339
    assert {item.service_cv for item in scenario.items} == {0.8}
    assert scenario.items[0].hourly_profile == (0.11, 0.16, 0.15, 0.10, 0.08, 0.13, 0.15, 0.12)
    assert (scenario.day.open_minute, scenario.day.close_minute) == (9 * 60, 17 * 60)


def test_it_ships_the_reform_layouts_as_named_variants():
    layouts = scenario_load_all(BENCHMARK_HALL)
    assert list(layouts) == ["pooled-13", "six-windows", "dedicated-34", *LAYOUTS[3:]]
    sizes = {name: (len(s.officers), s.windows) for name, s in layouts.items()}
    assert sizes == {
        "pooled-13": (13, 13),
        "six-windows": (13, 6),
        "dedicated-34": (34, 34),
        "clusters-dedicated": (13, 13),
        "clusters-chain": (13, 13),
        "full-cross-training": (13, 13),
    }


def test_it_loads_a_named_layout():
    assert scenario_load("benchmark-hall", layout="clusters-chain").layout == "clusters-chain"


def test_it_resolves_a_shipped_name_and_leaves_a_path_alone(tmp_path):
    assert scenario_path("benchmark-hall") == BENCHMARK_HALL
    assert scenario_path(tmp_path / "x.yaml") == tmp_path / "x.yaml"


def test_it_translates_skills_into_the_routing_rule_s_form():
    scenario = scenario_from_dict(SMALL)
    second = scenario.officer_skills(scenario.officers[1])
    assert dict(second.items) == {"sw": Proficiency.FLUENT, "sb": Proficiency.LEARNING}
    assert dict(scenario.officer_skills(scenario.officers[0]).categories) == {"K1": Proficiency.FLUENT}


def test_it_expands_an_officer_count_into_named_officers():
    scenario = scenario_load("benchmark-hall")
    assert [o.name for o in scenario.officers][:2] == ["综窗1", "综窗2"]


@pytest.mark.parametrize(
    ("mutate", "key", "reason_part"),
    [
        pytest.param(
            lambda d: d["layouts"]["two"]["officers"][0]["skills"].update({"gjj": "fluent"}),
            "layouts.two.officers[0].skills.gjj",
            "未知的事项或类别",
            id="unknown-item-in-skill",
        ),
        pytest.param(
            lambda d: d["items"][1].update(daily_volume=-3), "items[1].daily_volume", "不能小于 0", id="negative-volume"
        ),
        pytest.param(
            lambda d: d["layouts"]["two"]["officers"][1]["skills"].pop("sw"),
            "layouts.two.officers",
            "没有任何人员能办理事项 sw",
            id="item-nobody-can-serve",
        ),
        pytest.param(lambda d: d["items"][0].update(service_cv=0), "items[0].service_cv", "必须大于 0", id="zero-cv"),
        pytest.param(
            lambda d: d["items"][2].update(service_cv=-0.5), "items[2].service_cv", "必须大于 0", id="negative-cv"
        ),
        pytest.param(lambda d: d.update(hourly_profile=[0.4, 0.5]), "hourly_profile", "之和应为 1", id="profile-sum"),
        pytest.param(
            lambda d: d.update(hourly_profile=[1.0]), "hourly_profile", "应有 2 个小时份额", id="profile-length"
        ),
        pytest.param(
            lambda d: d["items"][0].update(hourly_profile=[1.2, -0.2]),
            "items[0].hourly_profile[1]",
            "不能小于 0",
            id="negative-share",
        ),
        pytest.param(
            lambda d: d["items"][0].update(mean_service_minutes=0),
            "items[0].mean_service_minutes",
            "必须大于 0",
            id="zero-service-time",
        ),
        pytest.param(
            lambda d: d["layouts"]["two"]["officers"][0]["skills"].update({"K1": "expert"}),
            "layouts.two.officers[0].skills.K1",
            "熟练程度应为 fluent 或 learning",
            id="unknown-proficiency",
        ),
        pytest.param(lambda d: d["items"][2].update(code="sb"), "items[2].code", "重复", id="duplicate-item"),
        pytest.param(lambda d: d["day"].update(open="9点"), "day.open", "HH:MM", id="bad-time"),
        pytest.param(lambda d: d["day"].update(close="08:00"), "day.close", "应晚于开门时间", id="close-before-open"),
        pytest.param(
            lambda d: d["layouts"]["two"].update(windows=0), "layouts.two.windows", "不小于 1", id="no-window"
        ),
        pytest.param(
            lambda d: d.update(default_layout="nine"), "default_layout", "不存在", id="unknown-default-layout"
        ),
        pytest.param(
            lambda d: d["items"][0].update(service_distribution="exponential", service_cv=0.8),
            "items[0].service_cv",
            "指数分布的变异系数恒为 1",
            id="exponential-with-cv",
        ),
    ],
)
def test_it_refuses_a_bad_file_naming_the_file_the_key_and_the_reason(tmp_path, mutate, key, reason_part):
    path, error = refusal(tmp_path, mutate)
    assert error.path == str(path)
    assert error.key == key
    assert reason_part in error.reason
    assert str(path) in str(error)
    assert key in str(error)


def test_it_refuses_a_file_that_is_not_yaml(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("items: [\n", encoding="utf-8")
    with pytest.raises(ScenarioError, match="不是合法的 YAML"):
        scenario_load(path)


def test_it_refuses_an_unknown_layout_name(tmp_path):
    with pytest.raises(ScenarioError) as caught:
        scenario_load(write(tmp_path, SMALL), layout="pooled-13")
    assert caught.value.key == "layouts"


@settings(max_examples=60, deadline=None)
@given(shares=st.lists(st.floats(min_value=0.0, max_value=10.0, allow_nan=False), min_size=2, max_size=2))
def test_it_accepts_exactly_the_profiles_that_sum_to_one(shares):
    data = copy.deepcopy(SMALL)
    data["hourly_profile"] = shares
    if abs(sum(shares) - 1.0) <= 0.01:
        assert scenario_from_dict(data).items[0].hourly_profile == tuple(shares)
    else:
        with pytest.raises(ScenarioError) as caught:
            scenario_from_dict(data)
        assert caught.value.key == "hourly_profile"


@settings(max_examples=40, deadline=None)
@given(volume=st.floats(min_value=-1e6, max_value=1e6, allow_nan=False))
def test_it_refuses_exactly_the_negative_volumes(volume):
    data = copy.deepcopy(SMALL)
    data["items"][0]["daily_volume"] = volume
    if volume >= 0:
        assert scenario_from_dict(data).items[0].daily_volume == volume
    else:
        with pytest.raises(ScenarioError) as caught:
            scenario_from_dict(data)
        assert caught.value.key == "items[0].daily_volume"
