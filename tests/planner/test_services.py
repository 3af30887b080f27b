"""The planner's services: the scenarios offered, and checks before a run is recorded."""

import pytest
from django.core.exceptions import ValidationError

from quangangtong.planner import forms as planner_forms
from quangangtong.planner.forms import CompareForm, RunForm
from quangangtong.planner.models import PlanRun
from quangangtong.planner.services import ScenarioChoice, plan_run_create, scenario_choices

pytestmark = pytest.mark.django_db

SMALL = {"days": "2", "replications": "2", "seed": "1", "service_factor": "1", "within_minutes": "15"}


def test_it_offers_the_shipped_scenarios_with_their_layouts():
    hall = scenario_choices()["benchmark-hall"]
    assert hall.title == "基准大厅（queueing.md §6）"
    assert hall.default_layout == "pooled-13"
    assert list(hall.layouts)[:3] == ["pooled-13", "six-windows", "dedicated-34"]
    assert hall.layouts["dedicated-34"].startswith("改革前")


@pytest.mark.parametrize(
    ("parameters", "message"),
    [
        ({"scenario": "nowhere", "layout": "pooled-13"}, "场景：没有名为 'nowhere' 的场景。"),
        (
            {"scenario": "benchmark-hall", "layout": "pooled-99"},
            "布局：场景 benchmark-hall 没有名为 pooled-99 的布局。",
        ),
        ({"scenario": "benchmark-hall", "layouts": ["pooled-13", "x"]}, "没有名为 x 的布局"),
    ],
)
def test_it_records_no_run_for_an_unknown_scenario_or_layout(make_staff, parameters, message):
    with pytest.raises(ValidationError, match=message):
        plan_run_create(kind="run", parameters=parameters, user=make_staff())
    assert not PlanRun.objects.exists()


def test_it_records_no_run_of_an_unknown_kind(make_staff):
    with pytest.raises(ValidationError, match="类型："):
        plan_run_create(kind="guess", parameters={"scenario": "benchmark-hall"}, user=make_staff())
    assert not PlanRun.objects.exists()


def test_a_form_refuses_a_layout_of_another_scenario(monkeypatch):
    other = ScenarioChoice(name="small-hall", title="小厅", layouts={"two": "两人"}, default_layout="two")
    monkeypatch.setattr(planner_forms, "scenario_choices", lambda: scenario_choices() | {"small-hall": other})
    form = RunForm({"scenario": "benchmark-hall", "layout": "two", **SMALL})
    assert not form.is_valid()
    assert form.errors["layout"] == ["布局：场景 benchmark-hall 没有 two，请选择该场景的布局。"]
    form = CompareForm({"scenario": "small-hall", "layouts": ["two", "pooled-13"], **SMALL})
    assert not form.is_valid()
    assert "布局：场景 small-hall 没有 pooled-13" in form.errors["layouts"][0]


def test_a_form_starts_with_the_scenarios_default_layout_and_every_layout_to_compare():
    assert RunForm(scenario="benchmark-hall")["layout"].value() == "pooled-13"
    assert CompareForm(scenario="benchmark-hall")["layouts"].value() == list(
        scenario_choices()["benchmark-hall"].layouts
    )
