import math
import subprocess
import sys
from decimal import Decimal, localcontext
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from quangangtong.planning.formulas import (
    ErlangA,
    allen_cunneen_mean_wait,
    allen_cunneen_service_level,
    erlang_a,
    erlang_b,
    erlang_c,
    halfin_whitt_wait_probability,
    mean_wait,
    offered_load,
    servers_for_target,
    service_level,
    square_root_staffing,
    utilisation,
)

servers_st = st.integers(min_value=1, max_value=150)
load_st = st.floats(min_value=0.01, max_value=150, allow_nan=False)
stable_system_st = st.tuples(servers_st, st.floats(min_value=0.01, max_value=0.99)).map(
    lambda pair: (pair[0], pair[0] * pair[1])
)


def erlang_c_textbook(servers, load, places=60):
    """Return Erlang C by the definition (queueing.md §1.1) in high-precision decimals, which cannot overflow."""
    with localcontext() as context:
        context.prec = places
        a, term, below = Decimal(load), Decimal(1), Decimal(0)
        for k in range(servers):
            below += term
            term = term * a / (k + 1)  # term is now aᵏ⁺¹/(k+1)!
        top = term * servers / (servers - a)
        return top / (below + top)


def erlang_b_exact(servers, load):
    """Return Erlang B by the recursion in exact rational arithmetic."""
    blocking = Fraction(1)
    for k in range(1, servers + 1):
        blocking = load * blocking / (k + load * blocking)
    return blocking


def erlang_a_brute_force(servers, load, abandonment_rate, states=4000):
    """Return (P(wait), P(abandon), E[W_q]) of M/M/c+M with unit mean service from a truncated birth–death chain."""
    weights = [1.0]
    for n in range(1, states):
        deaths = min(n, servers) + max(n - servers, 0) * abandonment_rate
        weights.append(weights[-1] * load / deaths)
    total = sum(weights)
    wait = sum(weights[servers:]) / total
    queue = sum((n - servers) * w for n, w in enumerate(weights) if n > servers) / total
    return wait, abandonment_rate * queue / load, queue / load


# --- published values (queueing.md §1.1, §1.3) --------------------------------------------------------------


def test_it_matches_the_published_wait_probability():
    # 100 calls per 30 min, 180 s each, 14 agents: pyworkforce and R ErlangC agree on 0.1741319.
    assert erlang_c(servers=14, load=offered_load(arrival_rate=100 / 1800, mean_service=180)) == pytest.approx(
        0.1741319, abs=5e-8
    )


def test_it_matches_the_published_service_level():
    assert service_level(servers=14, load=10, mean_service=180, within=20) == pytest.approx(0.88835, abs=5e-6)


def test_it_matches_the_published_average_speed_of_answer():
    assert mean_wait(servers=14, load=10, mean_service=180) == pytest.approx(7.836, abs=5e-4)


def test_it_gives_four_ninths_for_three_servers_and_two_erlangs():
    assert abs(erlang_c(servers=3, load=2) - 4 / 9) < 1e-12


@pytest.mark.parametrize(
    ("load", "servers", "wait_probability"),
    [(4, 6, 0.285), (9, 12, 0.266), (16, 20, 0.256), (100, 110, 0.237), (400, 420, 0.230)],
)
def test_it_reproduces_the_square_root_staffing_table(load, servers, wait_probability):
    assert square_root_staffing(load=load, beta=1) == servers
    assert erlang_c(servers=servers, load=load) == pytest.approx(wait_probability, abs=5e-4)


def test_it_gives_the_halfin_whitt_limit_of_the_table():
    assert halfin_whitt_wait_probability(beta=1) == pytest.approx(0.223, abs=5e-4)


def test_it_shows_the_halfin_whitt_limit_as_load_grows():
    assert erlang_c(servers=10_100, load=10_000) == pytest.approx(halfin_whitt_wait_probability(beta=1), abs=3e-3)


# --- large systems ------------------------------------------------------------------------------------------


def test_it_is_finite_and_exact_at_a_thousand_servers():
    value = erlang_c(servers=1000, load=970)
    assert 0 < value < 1
    assert value == pytest.approx(float(erlang_c_textbook(1000, 970)), rel=1e-12)


def test_it_does_not_overflow_at_five_thousand_servers():
    for load in (4900, 4930, 4999.5):
        value = erlang_c(servers=5000, load=load)
        assert 0 < value < 1
        assert value == pytest.approx(float(erlang_c_textbook(5000, load)), rel=1e-11)
    assert math.isfinite(mean_wait(servers=5000, load=4900, mean_service=3))


def test_it_agrees_with_exact_rational_arithmetic():
    load = Fraction(111, 2)
    exact = erlang_b_exact(60, load)
    assert erlang_b(servers=60, load=55.5) == pytest.approx(float(exact), rel=1e-13)
    exact_c = 60 * exact / (60 - load * (1 - exact))
    assert erlang_c(servers=60, load=55.5) == pytest.approx(float(exact_c), rel=1e-13)


def test_it_underflows_quietly_when_the_load_is_tiny_beside_the_servers():
    assert erlang_c(servers=5000, load=10) == 0.0
    assert service_level(servers=5000, load=10, mean_service=1, within=0) == 1.0


# --- overload and edge cases --------------------------------------------------------------------------------


@pytest.mark.parametrize(("servers", "load"), [(10, 10), (10, 12.5), (1, 400)])
def test_it_reports_an_overloaded_system_as_everyone_waits_forever(servers, load):
    assert erlang_c(servers=servers, load=load) == 1.0
    assert mean_wait(servers=servers, load=load, mean_service=5) == math.inf
    assert service_level(servers=servers, load=load, mean_service=5, within=60) == 0.0
    assert allen_cunneen_mean_wait(servers=servers, load=load, mean_service=5, service_cv=0.8) == math.inf


def test_it_reports_no_wait_without_load():
    assert erlang_b(servers=3, load=0) == 0.0
    assert erlang_c(servers=3, load=0) == 0.0
    assert mean_wait(servers=3, load=0, mean_service=5) == 0.0
    assert service_level(servers=3, load=0, mean_service=5, within=0) == 1.0
    assert erlang_a(servers=3, load=0, mean_service=5, abandonment_rate=0.1) == ErlangA(0.0, 0.0, 0.0, 0.0)


def test_it_gives_the_offered_utilisation():
    assert utilisation(servers=13, load=offered_load(arrival_rate=75 / 60, mean_service=9.25)) == pytest.approx(
        75 * 9.25 / 60 / 13
    )


# --- argument checks ----------------------------------------------------------------------------------------

BASE = {"servers": 14, "load": 10, "mean_service": 180, "within": 20}


def call(function, **changes):
    names = {
        erlang_b: ("servers", "load"),
        erlang_c: ("servers", "load"),
        utilisation: ("servers", "load"),
        mean_wait: ("servers", "load", "mean_service"),
        service_level: ("servers", "load", "mean_service", "within"),
    }[function]
    return function(**{name: changes.get(name, BASE[name]) for name in names})


@pytest.mark.parametrize("function", [erlang_b, erlang_c, utilisation, mean_wait, service_level])
@pytest.mark.parametrize(
    ("argument", "value"),
    [
        ("load", -1),
        ("load", math.nan),
        ("load", math.inf),
        ("load", "10"),
        ("servers", 0),
        ("servers", -3),
        ("servers", 2.5),
        ("servers", True),
    ],
)
def test_it_refuses_a_bad_argument_naming_it(function, argument, value):
    with pytest.raises(ValueError, match=f"^{argument}（"):
        call(function, **{argument: value})


@pytest.mark.parametrize(("argument", "value"), [("within", -1), ("within", math.nan), ("mean_service", 0)])
def test_it_refuses_a_bad_time_naming_it(argument, value):
    with pytest.raises(ValueError, match=f"^{argument}（"):
        call(service_level, **{argument: value})


@pytest.mark.parametrize(("argument", "value"), [("service_cv", -0.1), ("arrival_cv", math.nan)])
def test_it_refuses_a_bad_coefficient_of_variation(argument, value):
    arguments = {"servers": 3, "load": 2, "mean_service": 1, "service_cv": 1, argument: value}
    with pytest.raises(ValueError, match=f"^{argument}（"):
        allen_cunneen_mean_wait(**arguments)


def test_it_refuses_a_negative_abandonment_rate():
    with pytest.raises(ValueError, match=r"^abandonment_rate（"):
        erlang_a(servers=3, load=2, mean_service=1, abandonment_rate=-0.5)


# --- Erlang B and C properties ------------------------------------------------------------------------------


@given(servers_st, load_st)
def test_it_keeps_erlang_b_and_c_probabilities_with_c_at_least_b(servers, load):
    blocking, waiting = erlang_b(servers=servers, load=load), erlang_c(servers=servers, load=load)
    assert 0 <= blocking <= 1
    assert 0 <= waiting <= 1
    assert waiting >= blocking


@given(servers_st, load_st)
def test_it_lowers_erlang_b_and_c_with_each_server_added(servers, load):
    assert erlang_b(servers=servers + 1, load=load) <= erlang_b(servers=servers, load=load) * (1 + 1e-12)
    assert erlang_c(servers=servers + 1, load=load) <= erlang_c(servers=servers, load=load) * (1 + 1e-12)


@given(servers_st, load_st, st.floats(min_value=1e-3, max_value=10))
def test_it_raises_erlang_b_and_c_with_the_load(servers, load, extra):
    assert erlang_b(servers=servers, load=load + extra) >= erlang_b(servers=servers, load=load) * (1 - 1e-12)
    assert erlang_c(servers=servers, load=load + extra) >= erlang_c(servers=servers, load=load) * (1 - 1e-12)


@given(st.integers(min_value=1, max_value=40), st.fractions(min_value=Fraction(1, 100), max_value=60))
@settings(max_examples=50)
def test_it_follows_the_exact_recursion(servers, load):
    assert erlang_b(servers=servers, load=float(load)) == pytest.approx(float(erlang_b_exact(servers, load)), rel=1e-12)


@given(stable_system_st, st.floats(min_value=0.1, max_value=30), st.floats(min_value=0, max_value=100))
def test_it_keeps_service_level_between_one_minus_c_and_one_rising_with_time(system, mean_service, within):
    servers, load = system
    waiting = erlang_c(servers=servers, load=load)
    level = service_level(servers=servers, load=load, mean_service=mean_service, within=within)
    assert 1 - waiting - 1e-12 <= level <= 1
    assert service_level(servers=servers, load=load, mean_service=mean_service, within=0) == pytest.approx(1 - waiting)
    later = service_level(servers=servers, load=load, mean_service=mean_service, within=within + 1)
    assert later >= level


@given(stable_system_st, st.floats(min_value=0.1, max_value=30))
def test_it_obeys_the_mean_wait_formula(system, mean_service):
    servers, load = system
    expected = erlang_c(servers=servers, load=load) * mean_service / (servers - load)
    assert mean_wait(servers=servers, load=load, mean_service=mean_service) == pytest.approx(expected)


# --- Allen–Cunneen ------------------------------------------------------------------------------------------


@given(stable_system_st, st.floats(min_value=0.1, max_value=30), st.floats(min_value=0, max_value=60))
def test_it_reduces_allen_cunneen_to_erlang_c_for_poisson_exponential(system, mean_service, within):
    servers, load = system
    arguments = {"servers": servers, "load": load, "mean_service": mean_service}
    assert allen_cunneen_mean_wait(**arguments, service_cv=1, arrival_cv=1) == mean_wait(**arguments)
    assert allen_cunneen_service_level(**arguments, within=within, service_cv=1) == service_level(
        **arguments, within=within
    )


def test_it_scales_the_wait_by_the_mean_squared_variation():
    # The benchmark's pooled service SCV 0.85 with Poisson arrivals: factor (1 + 0.85)/2 (queueing.md §1.4).
    plain = mean_wait(servers=13, load=75 * 9.25 / 60, mean_service=9.25)
    corrected = allen_cunneen_mean_wait(servers=13, load=75 * 9.25 / 60, mean_service=9.25, service_cv=0.85**0.5)
    assert plain == pytest.approx(3.82, abs=5e-3)
    assert corrected == pytest.approx(plain * 0.925)


def test_it_gives_no_wait_when_arrivals_and_service_are_regular():
    arguments = {"servers": 3, "load": 2.5, "mean_service": 4, "service_cv": 0, "arrival_cv": 0}
    assert allen_cunneen_mean_wait(**arguments) == 0.0
    assert allen_cunneen_service_level(**arguments, within=0) == 1.0


# --- Erlang A -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("servers", "load", "abandonment_rate"),
    [(1, 0.5, 1.0), (3, 2, 0.5), (14, 10, 0.3), (6, 9, 0.2), (13, 15.4, 0.05), (20, 30, 2.0)],
)
def test_it_matches_the_birth_death_chain(servers, load, abandonment_rate):
    result = erlang_a(servers=servers, load=load, mean_service=1, abandonment_rate=abandonment_rate)
    wait, abandon, mean = erlang_a_brute_force(servers, load, abandonment_rate)
    assert result.wait_probability == pytest.approx(wait, rel=1e-10)
    assert result.abandon_probability == pytest.approx(abandon, rel=1e-10)
    assert result.mean_wait == pytest.approx(mean, rel=1e-10)
    assert result.utilisation == pytest.approx(load * (1 - abandon) / servers, rel=1e-10)


def test_it_measures_erlang_a_waits_in_the_unit_of_mean_service():
    in_units = erlang_a(servers=6, load=5, mean_service=1, abandonment_rate=0.25)
    in_minutes = erlang_a(servers=6, load=5, mean_service=9.25, abandonment_rate=0.25 / 9.25)
    assert in_minutes.wait_probability == pytest.approx(in_units.wait_probability)
    assert in_minutes.abandon_probability == pytest.approx(in_units.abandon_probability)
    assert in_minutes.mean_wait == pytest.approx(in_units.mean_wait * 9.25)


@given(stable_system_st, st.floats(min_value=0.1, max_value=30))
@settings(max_examples=50)
def test_it_approaches_erlang_c_as_patience_becomes_endless(system, mean_service):
    servers, load = system
    assume(load / servers < 0.95)
    result = erlang_a(servers=servers, load=load, mean_service=mean_service, abandonment_rate=1e-9 / mean_service)
    assert result.wait_probability == pytest.approx(erlang_c(servers=servers, load=load), rel=1e-5, abs=1e-12)
    assert result.mean_wait == pytest.approx(
        mean_wait(servers=servers, load=load, mean_service=mean_service), rel=1e-5, abs=1e-12
    )
    assert result.abandon_probability < 1e-6


def test_it_sheds_exactly_the_excess_load_when_overloaded_and_patient():
    # With a > c and θ → 0 the servers are always busy, so the abandoners are the load beyond c.
    result = erlang_a(servers=100, load=120, mean_service=1, abandonment_rate=1e-7)
    assert result.wait_probability == pytest.approx(1)
    assert result.abandon_probability == pytest.approx(20 / 120, rel=1e-6)
    assert result.utilisation == pytest.approx(1, rel=1e-6)


def test_it_is_erlang_c_with_no_abandonment():
    result = erlang_a(servers=14, load=10, mean_service=180, abandonment_rate=0)
    assert result.wait_probability == erlang_c(servers=14, load=10)
    assert result.mean_wait == mean_wait(servers=14, load=10, mean_service=180)
    assert result.abandon_probability == 0


def test_it_handles_erlang_a_at_five_thousand_servers():
    result = erlang_a(servers=5000, load=4900, mean_service=1, abandonment_rate=0.01)
    assert 0 < result.abandon_probability < result.wait_probability < erlang_c(servers=5000, load=4900)


@given(
    servers_st,
    st.floats(min_value=0.1, max_value=200),
    st.floats(min_value=0.01, max_value=5),
    st.floats(min_value=1.05, max_value=10),
)
def test_it_makes_more_people_give_up_and_fewer_wait_when_patience_is_shorter(servers, load, theta, factor):
    patient = erlang_a(servers=servers, load=load, mean_service=1, abandonment_rate=theta)
    impatient = erlang_a(servers=servers, load=load, mean_service=1, abandonment_rate=theta * factor)
    assert impatient.abandon_probability >= patient.abandon_probability * (1 - 1e-9)
    assert impatient.wait_probability <= patient.wait_probability * (1 + 1e-9)
    assert impatient.mean_wait <= patient.mean_wait * (1 + 1e-9)


@given(servers_st, st.floats(min_value=0.1, max_value=200), st.floats(min_value=0.01, max_value=5))
def test_it_keeps_erlang_a_figures_consistent(servers, load, theta):
    result = erlang_a(servers=servers, load=load, mean_service=1, abandonment_rate=theta)
    assert 0 <= result.abandon_probability <= result.wait_probability <= 1
    assert 0 <= result.utilisation <= 1 + 1e-12
    if load < servers:
        assert result.wait_probability <= erlang_c(servers=servers, load=load) * (1 + 1e-9)


# --- staffing -----------------------------------------------------------------------------------------------


def test_it_staffs_the_published_example():
    # 14 agents give SL(20 s) = 0.888 and 13 give less than 0.8.
    assert servers_for_target(load=10, mean_service=180, service_level=0.8, within=20) == 14


def test_it_staffs_for_both_targets_at_once():
    by_level = servers_for_target(load=10, mean_service=180, service_level=0.8, within=20)
    by_wait = servers_for_target(load=10, mean_service=180, max_mean_wait=1)
    both = servers_for_target(load=10, mean_service=180, service_level=0.8, within=20, max_mean_wait=1)
    assert by_wait > by_level
    assert both == max(by_level, by_wait)


def test_it_staffs_an_empty_hall_with_one_server():
    assert servers_for_target(load=0, mean_service=10, service_level=0.99, within=0) == 1


@given(
    st.floats(min_value=0.05, max_value=300),
    st.floats(min_value=0.5, max_value=30),
    st.floats(min_value=0.05, max_value=0.999),
    st.floats(min_value=0, max_value=60),
    st.floats(min_value=0, max_value=2),
)
def test_it_finds_the_fewest_servers_meeting_a_service_level(load, mean_service, target, within, service_cv):
    arguments = {"load": load, "mean_service": mean_service, "service_cv": service_cv}
    servers = servers_for_target(**arguments, service_level=target, within=within)
    assert allen_cunneen_service_level(servers=servers, **arguments, within=within) >= target
    if servers > 1:
        assert allen_cunneen_service_level(servers=servers - 1, **arguments, within=within) < target


@given(
    st.floats(min_value=0.05, max_value=300),
    st.floats(min_value=0.5, max_value=30),
    st.floats(min_value=1e-3, max_value=30),
)
def test_it_finds_the_fewest_servers_meeting_a_mean_wait(load, mean_service, max_mean_wait):
    arguments = {"load": load, "mean_service": mean_service}
    servers = servers_for_target(**arguments, max_mean_wait=max_mean_wait)
    assert mean_wait(servers=servers, **arguments) <= max_mean_wait
    if servers > 1:
        assert mean_wait(servers=servers - 1, **arguments) > max_mean_wait


@pytest.mark.parametrize(
    ("targets", "argument"),
    [
        ({"service_level": 1, "within": 15}, "service_level"),
        ({"service_level": 1.2, "within": 15}, "service_level"),
        ({"service_level": 0, "within": 15}, "service_level"),
        ({"service_level": 0.8}, "within"),
        ({"service_level": 0.8, "within": -1}, "within"),
        ({"within": 15}, "service_level"),
        ({"max_mean_wait": 0}, "max_mean_wait"),
        ({}, "service_level / max_mean_wait"),
    ],
)
def test_it_refuses_an_impossible_or_incomplete_target(targets, argument):
    with pytest.raises(ValueError, match=f"^{argument}（"):
        servers_for_target(load=10, mean_service=180, **targets)


@given(st.floats(min_value=0, max_value=1000), st.floats(min_value=-3, max_value=3))
def test_it_staffs_by_the_square_root_rule(load, beta):
    servers = square_root_staffing(load=load, beta=beta)
    assert servers >= 1
    assert servers >= load + beta * math.sqrt(load) - 1e-9
    assert servers - 1 < max(load + beta * math.sqrt(load), 1)


def test_it_tends_to_one_without_a_safety_margin():
    assert halfin_whitt_wait_probability(beta=0) == 1.0


# --- packaging ----------------------------------------------------------------------------------------------


def test_it_imports_without_django():
    code = (
        "import sys, quangangtong.planning.formulas; "
        "assert not any(m.split('.')[0] in {'django', 'numpy', 'scipy'} for m in sys.modules)"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).resolve().parents[2])
