"""Process flexibility: max-flow sales, Jordan & Graves' 10 × 10 example, and the shape of skill graphs."""

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from quangangtong.planning import flexibility
from quangangtong.planning.flexibility import (
    CLOSED_CHAIN,
    DEDICATED,
    FULL,
    ISLANDS,
    OPEN_CHAIN,
    OTHER,
    expected_sales,
    max_flow,
    sales,
    skill_graph,
    structure,
    truncated_normal_demands,
)
from quangangtong.planning.scenario import scenario_load_all

# queueing.md §2.1, from 20,000 scenarios: dedicated, pairs, open chain, closed chain, full.
PUBLISHED = {"dedicated": 856.0, "pairs": 899.2, "open_chain": 927.0, "closed_chain": 952.2, "full": 956.0}
PUBLISHED_SCENARIOS = 20_000


@pytest.fixture(scope="module")
def jordan_graves():
    demands = truncated_normal_demands(products=10, scenarios=2_000, seed=1995)
    return {
        name: expected_sales(capacities=[100.0] * 10, demand_scenarios=demands, arcs=getattr(flexibility, name)(10))
        for name in PUBLISHED
    }


def test_it_finds_the_max_flow_of_a_textbook_network():
    # CLRS figure 26.1: the maximum flow is 23.
    network = {
        ("s", "v1"): 16, ("s", "v2"): 13, ("v1", "v3"): 12, ("v2", "v1"): 4, ("v2", "v4"): 14,
        ("v3", "v2"): 9, ("v3", "t"): 20, ("v4", "v3"): 7, ("v4", "t"): 4,
    }  # fmt: skip
    assert max_flow(network, source="s", sink="t") == 23


def test_it_refuses_a_negative_capacity():
    with pytest.raises(ValueError, match="容量"):
        max_flow({("s", "t"): -1}, source="s", sink="t")


def test_it_reproduces_jordan_and_graves_within_sampling_error(jordan_graves):
    # Both figures are sample means: ours has standard error se (about 1.5 at 2,000 scenarios), the published one
    # about se·√(2000/20000). Four combined standard errors keep a false failure below 1 in 10,000 per figure.
    for name, published in PUBLISHED.items():
        estimate = jordan_graves[name]
        published_se = estimate.standard_error * math.sqrt(estimate.n / PUBLISHED_SCENARIOS)
        tolerance = 4 * math.hypot(estimate.standard_error, published_se)
        assert abs(estimate.mean - published) <= tolerance, (name, estimate.mean, published, tolerance)


def test_it_shows_the_long_chain_capturing_nearly_all_of_full_flexibility_and_pairs_not(jordan_graves):
    base, top = jordan_graves["dedicated"].mean, jordan_graves["full"].mean

    def share(name):
        return (jordan_graves[name].mean - base) / (top - base)

    assert share("closed_chain") >= 0.90
    assert share("pairs") <= 0.60
    assert share("pairs") < share("open_chain") < share("closed_chain")


def test_it_gives_the_dedicated_expectation_computable_in_closed_form(jordan_graves):
    # E[min(D, 100)] = 100 − E|D − 100|/2 for the symmetric truncated normal: 85.54 per product.
    sd, z = 40.0, 2.0
    mass = math.erf(z / math.sqrt(2))
    mean_abs = sd * math.sqrt(2 / math.pi) * (1 - math.exp(-z * z / 2)) / mass
    exact = 10 * (100 - mean_abs / 2)
    assert abs(jordan_graves["dedicated"].mean - exact) <= 4 * jordan_graves["dedicated"].standard_error


def test_it_draws_demands_only_within_the_truncation_bounds():
    demands = truncated_normal_demands(products=10, scenarios=200, seed=3)
    assert all(20 <= d <= 180 for row in demands for d in row)
    assert demands == truncated_normal_demands(products=10, scenarios=200, seed=3)


amounts = st.lists(st.floats(min_value=0, max_value=200, allow_nan=False), min_size=1, max_size=6)


@st.composite
def instances(draw):
    capacities = draw(amounts)
    demands = draw(st.lists(st.floats(min_value=0, max_value=200), min_size=1, max_size=6))
    every = [(i, j) for i in range(len(capacities)) for j in range(len(demands))]
    arcs = draw(st.lists(st.sampled_from(every), unique=True))
    extra = draw(st.sampled_from(every))
    return capacities, demands, arcs, extra


@settings(max_examples=150, deadline=None)
@given(instances())
def test_it_never_sells_more_than_the_demand_or_the_capacity(instance):
    capacities, demands, arcs, _ = instance
    sold = sales(capacities=capacities, demands=demands, arcs=arcs)
    assert 0 <= sold <= math.fsum(demands) + 1e-9
    assert sold <= math.fsum(capacities) + 1e-9


@settings(max_examples=150, deadline=None)
@given(instances())
def test_it_sells_the_lesser_of_total_demand_and_capacity_under_full_flexibility(instance):
    capacities, demands, _, _ = instance
    arcs = [(i, j) for i in range(len(capacities)) for j in range(len(demands))]
    sold = sales(capacities=capacities, demands=demands, arcs=arcs)
    assert sold == pytest.approx(min(math.fsum(demands), math.fsum(capacities)), abs=1e-9)


@settings(max_examples=150, deadline=None)
@given(instances())
def test_it_never_sells_less_after_an_arc_is_added(instance):
    capacities, demands, arcs, extra = instance
    before = sales(capacities=capacities, demands=demands, arcs=arcs)
    after = sales(capacities=capacities, demands=demands, arcs=[*arcs, extra])
    assert after >= before - 1e-9


@pytest.mark.parametrize(
    ("configuration", "expected"),
    [
        ("dedicated", DEDICATED),
        ("pairs", ISLANDS),
        ("open_chain", OPEN_CHAIN),
        ("closed_chain", CLOSED_CHAIN),
        ("full", FULL),
    ],
)
def test_it_names_the_shape_of_jordan_and_graves_configurations(configuration, expected):
    assert structure(getattr(flexibility, configuration)(10)) == expected


def test_it_calls_a_connected_graph_with_a_three_skill_group_other():
    assert structure([(0, 0), (0, 1), (0, 2), (1, 2), (2, 2)]) == OTHER


@pytest.mark.parametrize(
    ("layout", "expected", "officer_groups", "item_groups"),
    [
        ("pooled-13", FULL, 1, 1),
        ("six-windows", FULL, 1, 1),
        ("dedicated-34", DEDICATED, 17, 17),
        ("clusters-dedicated", DEDICATED, 6, 6),
        ("clusters-chain", CLOSED_CHAIN, 6, 6),
        ("full-cross-training", FULL, 1, 1),  # proficiency aside, everyone serves everything
    ],
)
def test_it_classifies_every_benchmark_layout(layout, expected, officer_groups, item_groups):
    graph = skill_graph(scenario_load_all("benchmark-hall")[layout])
    assert structure(graph.arcs) == expected
    assert (len(graph.officer_groups), len(graph.item_groups)) == (officer_groups, item_groups)


def test_it_labels_whole_categories_by_name_and_groups_officers_by_skills():
    graph = skill_graph(scenario_load_all("benchmark-hall")["clusters-chain"])
    assert set(graph.item_groups) == {"K0", "K1", "K2", "K3", "K4", "K5"}
    assert graph.officer_groups["K1组"] == ("K1组1", "K1组2", "K1组3", "K1组4")
    assert ("K5组", "K0") in graph.arcs
