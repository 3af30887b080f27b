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

LAYOUTS = [
    "pooled-13",
    "six-windows",
    "dedicated-34",
    "clusters-dedicated",
    "clusters-chain",
    "full-cross-training",
    "pooled-13-rota",
]

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


OFFICER = "layouts.two.officers[0]"


def officer(data, index=0):
    return data["layouts"]["two"]["officers"][index]


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
    assert list(layouts) == LAYOUTS
    sizes = {name: (len(s.officers), s.windows) for name, s in layouts.items()}
    assert sizes == {
        "pooled-13": (13, 13),
        "six-windows": (13, 6),
        "dedicated-34": (34, 34),
        "clusters-dedicated": (13, 13),
        "clusters-chain": (13, 13),
        "full-cross-training": (13, 13),
        "pooled-13-rota": (13, 13),
    }


def test_it_ships_a_rota_layout_with_staggered_lunches_and_its_own_week_pattern():
    layouts = scenario_load_all(BENCHMARK_HALL)
    rota = layouts["pooled-13-rota"]
    assert {o.shift for o in rota.officers} == {(9 * 60, 17 * 60)}
    lunches = [o.breaks for o in rota.officers]
    assert {b: lunches.count(b) for b in set(lunches)} == {
        ((11 * 60 + 30, 12 * 60 + 30),): 4,
        ((12 * 60, 13 * 60),): 5,
        ((12 * 60 + 30, 13 * 60 + 30),): 4,
    }
    assert dict(rota.weekday_factors) == {0: 1.25, 1: 1.0, 2: 1.0, 3: 0.95, 4: 0.8}
    assert all(set(o.skills) == {"K0", "K1", "K2", "K3", "K4", "K5"} for o in rota.officers)
    # The other layouts keep the reference demand: no week pattern, no rota, no no-shows.
    for name in LAYOUTS[:-1]:
        scenario = layouts[name]
        assert (scenario.weekdays, dict(scenario.weekday_factors), scenario.no_show_share) == ((0, 1, 2, 3, 4), {}, 0)
        assert all(o.shift is None and not o.breaks and o.weekdays is None for o in scenario.officers)


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


def test_it_reads_shifts_breaks_weekdays_and_no_shows():
    data = copy.deepcopy(SMALL)
    data.update(
        weekdays=["sat", "mon", "tue"],
        weekday_factors={"mon": 1.3, "sat": 0},
        no_show_share=0.05,
        no_show_minutes=2,
    )
    data["items"][2]["weekday_factors"] = {"tue": 2}
    officer = data["layouts"]["two"]["officers"][0]
    officer.update(
        shift="08:30-10:45", breaks=["10:00-10:15", "09:30 - 09:40"], weekdays=["sun", "mon", "tue", "sat"], count=2
    )
    scenario = scenario_from_dict(data)
    assert scenario.weekdays == (0, 1, 5)
    assert dict(scenario.weekday_factors) == {0: 1.3, 5: 0.0}
    assert (scenario.no_show_share, scenario.no_show_minutes) == (0.05, 2.0)
    first, second = scenario.officers[:2]
    assert first.shift == second.shift == (8 * 60 + 30, 10 * 60 + 45)
    assert first.breaks == ((9 * 60 + 30, 9 * 60 + 40), (10 * 60, 10 * 60 + 15))  # in time order
    assert first.weekdays == frozenset({0, 1, 5, 6})  # a working day the hall is closed on is harmless
    assert first.works_on(5)
    assert not first.works_on(2)
    assert first.duty_periods(scenario.day) == ((510, 570), (580, 600), (615, 645))
    last = scenario.officers[-1]
    assert (last.shift, last.breaks, last.weekdays) == (None, (), None)
    assert last.works_on(6)
    assert last.duty_periods(scenario.day) == ((540, 660),)
    sb, _, sw = scenario.items
    assert (scenario.volume_factor(sb, 0), scenario.volume_factor(sb, 1), scenario.volume_factor(sb, 5)) == (1.3, 1, 0)
    assert (scenario.volume_factor(sw, 0), scenario.volume_factor(sw, 1)) == (1, 2)  # its own factors replace


def test_it_defaults_to_a_monday_to_friday_week_without_no_shows():
    scenario = scenario_from_dict(SMALL)
    assert (scenario.weekdays, dict(scenario.weekday_factors), scenario.no_show_share) == ((0, 1, 2, 3, 4), {}, 0)


def test_it_accepts_a_shift_that_starts_before_opening_and_ends_after_closing():
    data = copy.deepcopy(SMALL)
    data["layouts"]["two"]["officers"][0]["shift"] = "08:00-18:30"
    assert scenario_from_dict(data).officers[0].shift == (8 * 60, 18 * 60 + 30)


def test_it_takes_a_layout_s_own_weekday_factors_over_the_file_s():
    data = copy.deepcopy(SMALL)
    data["weekday_factors"] = {"fri": 0.5}
    data["layouts"]["busy-monday"] = {**copy.deepcopy(data["layouts"]["two"]), "weekday_factors": {"mon": 1.5}}
    layouts = scenario_from_dict(data, layout="two"), scenario_from_dict(data, layout="busy-monday")
    assert [dict(s.weekday_factors) for s in layouts] == [{4: 0.5}, {0: 1.5}]


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
        pytest.param(
            lambda d: officer(d).update(shift="9:00 to 17:00"), f"{OFFICER}.shift", "HH:MM-HH:MM", id="shift-format"
        ),
        pytest.param(
            lambda d: officer(d).update(shift="10:00-09:00"), f"{OFFICER}.shift", "应晚于开始时刻", id="shift-backwards"
        ),
        pytest.param(
            lambda d: officer(d).update(shift="11:00-13:00"),
            f"{OFFICER}.shift",
            "与营业时间 09:00-11:00 没有重叠",
            id="shift-outside-opening-hours",
        ),
        pytest.param(
            lambda d: officer(d).update(shift="09:00-10:30", breaks=["10:00-11:00"]),
            f"{OFFICER}.breaks[0]",
            "应在班次 09:00-10:30之内",
            id="break-past-shift-end",
        ),
        pytest.param(
            lambda d: officer(d).update(breaks=["08:30-09:15"]),
            f"{OFFICER}.breaks[0]",
            "应在营业时间 09:00-11:00（未设班次）之内",
            id="break-before-opening",
        ),
        pytest.param(
            lambda d: officer(d).update(breaks=["09:30-10:00", "09:50-10:10"]),
            f"{OFFICER}.breaks",
            "重叠或首尾相接",
            id="overlapping-breaks",
        ),
        pytest.param(
            lambda d: officer(d).update(breaks="09:30-10:00"), f"{OFFICER}.breaks", "应为非空列表", id="break-not-list"
        ),
        pytest.param(
            lambda d: officer(d).update(breaks=["noon"]), f"{OFFICER}.breaks[0]", "HH:MM-HH:MM", id="break-format"
        ),
        pytest.param(
            lambda d: officer(d).update(weekdays=["mon", "Tuesday"]),
            f"{OFFICER}.weekdays[1]",
            "mon、tue、wed、thu、fri、sat、sun",
            id="officer-weekday-name",
        ),
        pytest.param(
            lambda d: officer(d).update(weekdays=["sat", "sun"]),
            f"{OFFICER}.weekdays",
            "该人员的工作日大厅都不开放",
            id="officer-never-works",
        ),
        pytest.param(lambda d: d.update(weekdays=[]), "weekdays", "应为非空列表", id="no-opening-day"),
        pytest.param(lambda d: d.update(weekdays=["mon", "mon"]), "weekdays[1]", "重复", id="opening-day-twice"),
        pytest.param(
            lambda d: d.update(weekday_factors={"mon": -0.5}), "weekday_factors.mon", "不能小于 0", id="negative-factor"
        ),
        pytest.param(
            lambda d: d.update(weekday_factors={"sun": 1.2}),
            "weekday_factors.sun",
            "大厅周日不开放",
            id="factor-for-closed-day",
        ),
        pytest.param(
            lambda d: d.update(weekday_factors={"monday": 1.2}),
            "weekday_factors.monday",
            "星期的英文缩写",
            id="factor-weekday-name",
        ),
        pytest.param(
            lambda d: d["items"][1].update(weekday_factors={"fri": "high"}),
            "items[1].weekday_factors.fri",
            "应为数字",
            id="item-factor-not-a-number",
        ),
        pytest.param(
            lambda d: d["layouts"]["two"].update(weekday_factors=[1.2]),
            "layouts.two.weekday_factors",
            "应为键值映射",
            id="layout-factors-not-a-mapping",
        ),
        pytest.param(lambda d: d.update(no_show_share=1), "no_show_share", "必须小于 1", id="no-show-share-one"),
        pytest.param(lambda d: d.update(no_show_share=-0.1), "no_show_share", "不能小于 0", id="no-show-negative"),
        pytest.param(lambda d: d.update(no_show_minutes=0), "no_show_minutes", "必须大于 0", id="no-show-minutes"),
        pytest.param(
            lambda d: officer(d, 1).update(weekdays=["mon", "tue", "wed", "thu"]),
            "layouts.two.officers",
            "周五没有能办理事项 sw（税务）的人员上班",
            id="item-nobody-serves-on-a-weekday",
        ),
        pytest.param(
            lambda d: officer(d, 1).update(shift="09:00-10:00"),
            "layouts.two.officers",
            "周一 10:00-11:00 有事项 sw（税务）取号，但能办理它的人员班次都不覆盖这一小时",
            id="item-nobody-serves-in-an-hour",
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


def test_it_accepts_an_item_uncovered_on_a_day_or_in_an_hour_without_tickets_then():
    data = copy.deepcopy(SMALL)
    officer(data, 1).update(weekdays=["mon", "tue", "wed", "thu"], shift="09:00-10:00")
    data["items"][2].update(weekday_factors={"fri": 0}, hourly_profile=[1.0, 0.0])
    assert scenario_from_dict(data).officers[1].shift == (540, 600)


def test_it_ignores_breaks_when_checking_that_every_hour_is_covered():
    data = copy.deepcopy(SMALL)
    officer(data, 1).update(breaks=["10:00-10:59"])  # the only 税务 officer is away for most of an hour
    assert scenario_from_dict(data).officers[1].breaks == ((600, 659),)


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
