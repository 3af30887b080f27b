"""`plan_cross_train`: the greedy certifications, their intervals, the layout's structure and its warning."""

from dataclasses import replace

import pytest

from quangangtong.planning import crosstraining
from quangangtong.planning.crosstraining import island_loads, plan_cross_train, structure_warnings
from quangangtong.planning.flexibility import skill_graph
from quangangtong.planning.scenario import scenario_load, scenario_load_all

HALLS = scenario_load_all("benchmark-hall")


@pytest.fixture(scope="module")
def two_quick_steps():
    return plan_cross_train(
        scenario="benchmark-hall", layout="clusters-dedicated", k=2, days=1, replications=2, workers=1
    )


def regrouped(layout, skills_by_group):
    """Return a benchmark layout with some officer groups' skills replaced."""
    hall = HALLS[layout]
    officers = tuple(
        replace(o, skills=skills_by_group.get(o.name.rstrip("0123456789"), o.skills)) for o in hall.officers
    )
    return replace(hall, officers=officers)


def test_it_first_recommends_a_certification_that_surely_lowers_the_wait_on_the_busiest_island():
    _, data = plan_cross_train(
        scenario="benchmark-hall", layout="clusters-dedicated", k=1, days=3, replications=8, workers=1
    )
    baseline, (step,) = data["baseline"]["mean_wait_minutes"], data["steps"]
    assert step["mean_wait_minutes"]["high"] < baseline["low"]
    assert step["reduction_minutes"]["low"] > 0
    busiest = max(island_loads(HALLS["clusters-dedicated"]), key=lambda island: island["load_per_officer"])
    assert busiest["item_groups"] == ["K3"]  # one officer carrying 83 % of an island's load
    officer_group = step["officer"].rstrip("0123456789")
    assert step["skill"] in busiest["item_groups"] or officer_group in busiest["officer_groups"]
    assert step["skill_name"] == "户籍(公安)、交通"
    assert data["final"]["mean_wait_minutes"] == step["mean_wait_minutes"]
    assert not any("置信区间含 0" in warning for warning in data["warnings"])


def test_it_warns_when_a_step_is_within_the_simulation_error(two_quick_steps):
    _, data = two_quick_steps
    uncertain = [n for n, step in enumerate(data["steps"], start=1) if step["reduction_minutes"]["low"] <= 0]
    assert uncertain  # two replications of one day cannot tell the second step from noise
    assert any(f"第 {uncertain[0]}" in w and "置信区间含 0" in w for w in data["warnings"])


def test_it_returns_the_contracted_keys_and_warns_about_the_dedicated_groups(two_quick_steps):
    _, data = two_quick_steps
    assert list(data) == ["scenario", "layout", "baseline", "steps", "structure", "warnings", "final"]
    assert (data["scenario"], data["layout"], data["structure"]) == (
        "benchmark-hall",
        "clusters-dedicated",
        "dedicated",
    )
    for step in data["steps"]:
        assert list(step) == ["officer", "skill", "skill_name", "mean_wait_minutes", "reduction_minutes"]
        assert set(step["reduction_minutes"]) == {"mean", "low", "high"}
    assert any("闭合长链" in warning and "「K5组」学习「K0」" in warning for warning in data["warnings"])


def test_it_simulates_identical_officers_once():
    calls = []
    plan_cross_train(
        scenario="benchmark-hall",
        layout="clusters-dedicated",
        k=1,
        days=1,
        replications=1,
        workers=1,
        progress=lambda done, total: calls.append((done, total)),
    )
    # The baseline, then 6 distinct groups × 5 categories each lacks (not 13 officers × 5).
    assert calls[-1] == (31, 31)


def test_it_certifies_the_new_skill_as_learning():
    hall = crosstraining._certified(HALLS["clusters-dedicated"], 0, "K3")
    assert hall.officers[0].skills == {"K0": "fluent", "K3": "learning"}
    assert hall.officers[1].skills == {"K0": "fluent"}


def test_it_gives_the_same_answer_with_parallel_workers():
    options = {"scenario": "benchmark-hall", "layout": "clusters-dedicated", "k": 1, "days": 1, "replications": 2}
    assert plan_cross_train(**options, workers=2) == plan_cross_train(**options, workers=1)


def test_it_stops_when_everyone_knows_every_category():
    table, data = plan_cross_train(scenario="benchmark-hall", layout="pooled-13", k=2, days=1, replications=2)
    assert (data["structure"], data["steps"]) == ("full", [])
    assert data["final"] == data["baseline"]
    assert any("全部类别" in warning for warning in data["warnings"])
    assert "技能结构：完全交叉" in table


def test_it_warns_on_an_open_chain_and_names_the_arc_that_closes_it():
    hall = regrouped("clusters-chain", {"K5组": {"K5": "fluent"}})
    (warning,) = structure_warnings(hall)
    assert "开放链" in warning
    assert "30%" in warning
    assert "§2.1" in warning
    assert "让「K5组」学习「K0」" in warning


def test_it_warns_on_islands_naming_the_busiest():
    hall = regrouped(
        "clusters-dedicated", {"K0组": {"K0": "fluent", "K1": "learning"}, "K1组": {"K1": "fluent", "K0": "learning"}}
    )
    (warning,) = structure_warnings(hall)
    assert "孤岛" in warning
    assert "负荷最重的是「K3」" in warning


@pytest.mark.parametrize("layout", ["clusters-chain", "full-cross-training", "pooled-13", "six-windows"])
def test_it_does_not_warn_on_a_closed_chain_or_full_flexibility(layout):
    assert structure_warnings(HALLS[layout]) == []


def test_it_reports_the_structure_of_each_benchmark_layout_in_its_answer(monkeypatch):
    monkeypatch.setattr(crosstraining, "_candidates", lambda hall: [])  # no simulation of candidates needed here
    expected = {
        "pooled-13": "full",
        "six-windows": "full",
        "dedicated-34": "dedicated",
        "clusters-dedicated": "dedicated",
        "clusters-chain": "closed-chain",
        "full-cross-training": "full",
    }
    for layout, shape in expected.items():
        _, data = plan_cross_train(scenario="benchmark-hall", layout=layout, k=1, days=1, replications=1, workers=1)
        assert data["structure"] == shape, layout
        assert data["structure"] == crosstraining.structure(
            skill_graph(scenario_load("benchmark-hall", layout=layout)).arcs
        )


@pytest.mark.parametrize("k", [0, -1, 1.5, True, "3"])
def test_it_refuses_a_bad_k(k):
    with pytest.raises(ValueError, match="k（推荐的新认证数）"):
        plan_cross_train(scenario="benchmark-hall", k=k, days=1, replications=1, workers=1)
