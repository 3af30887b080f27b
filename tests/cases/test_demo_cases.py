"""The demo hall's cases: every stage and every clock colour, made through the services, once."""

import datetime

from quangangtong.cases.models import Case
from quangangtong.demo.cases import demo_cases_load


def test_it_makes_cases_at_every_stage_with_green_yellow_and_red_clocks(hall_with_accounts):
    assert demo_cases_load(today=datetime.date(2026, 11, 25)) == 7
    cases = list(Case.objects.order_by("id"))
    assert [case.warning for case in cases[:3]] == ["green", "yellow", "red"]
    states = {case.state for case in cases}
    assert {"correction", "reviewing", "delivered"} <= states
    assert all(case.events.exists() for case in cases)


def test_it_makes_them_only_once(hall_with_accounts):
    demo_cases_load(today=datetime.date(2026, 11, 25))
    assert demo_cases_load(today=datetime.date(2026, 11, 25)) == 0
    assert Case.objects.count() == 7
