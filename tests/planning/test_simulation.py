"""The hall simulator: agreement with Erlang C, routing through the live rule, windows, abandonment, seeds."""

import math
from dataclasses import replace

import pytest

from quangangtong.planning import formulas, simulation
from quangangtong.planning.scenario import scenario_from_dict, scenario_load, scenario_load_all
from quangangtong.planning.simulation import _estimate, replicate, simulate


def mmc_hall(*, servers, load, mean_service=0.5, hours=24):
    """Return an M/M/c hall: one item, exponential service, constant arrival rate, everyone fluent."""
    return scenario_from_dict(
        {
            "day": {"open": "00:00", "close": f"{hours:02d}:00"},
            "items": [
                {
                    "code": "x",
                    "category": "K",
                    "daily_volume": load / mean_service * 60 * hours,
                    "mean_service_minutes": mean_service,
                    "service_distribution": "exponential",
                    "service_cv": 1,
                    "hourly_profile": [1 / hours] * hours,
                }
            ],
            "layouts": {
                "mmc": {"windows": servers, "officers": [{"name": "o", "count": servers, "skills": {"K": "fluent"}}]}
            },
        }
    )


def starvation_hall(*, starvation_minutes):
    """Return a loaded hall where a rare item is everyone's learning skill and fluent work is always preferred."""
    return scenario_from_dict(
        {
            "day": {"open": "09:00", "close": "17:00"},
            "hourly_profile": [0.125] * 8,
            "routing": {"fluency_threshold_minutes": 600, "starvation_minutes": starvation_minutes},
            "items": [
                {"code": "main", "category": "A", "daily_volume": 158.4, "mean_service_minutes": 10},
                {"code": "rare", "category": "B", "daily_volume": 8, "mean_service_minutes": 10},
            ],
            "layouts": {
                "four": {
                    "windows": 4,
                    "officers": [{"name": "o", "count": 4, "skills": {"A": "fluent", "B": "learning"}}],
                }
            },
        }
    )


# A day of 24 h is 2,880 mean service times, so starting empty biases the mean by about 1 % (well inside the
# interval); independent days make the replications independent, so the t interval is sound.
@pytest.mark.parametrize(("servers", "load"), [(5, 3.5), (10, 9.0)])
def test_it_agrees_with_erlang_c_on_an_mmc_hall(servers, load):
    exact = formulas.mean_wait(servers=servers, load=load, mean_service=0.5)
    result = replicate(mmc_hall(servers=servers, load=load), days=1, replications=10, seed=2024)
    assert result.mean_wait_minutes.covers(exact)
    assert result.mean_wait_minutes.half_width < 0.2 * exact  # tight enough to mean something


def test_it_routes_every_call_through_the_live_rule(monkeypatch):
    live_rule, calls = simulation.choose_ticket, []

    def spy(**kwargs):
        calls.append(kwargs)
        return live_rule(**kwargs)

    monkeypatch.setattr(simulation, "choose_ticket", spy)
    result = simulate(scenario_load("benchmark-hall"), days=1, seed=5)
    assert result.served > 0
    assert len(calls) >= result.served


@pytest.mark.parametrize("layout", ["clusters-chain", "dedicated-34", "clusters-dedicated"])
def test_it_never_has_an_officer_serve_an_item_they_are_not_certified_for(layout):
    scenario = scenario_load("benchmark-hall", layout=layout)
    result = simulate(scenario, days=3, seed=11)
    category_of = {item.code: item.category for item in scenario.items}
    for officer in scenario.officers:
        for code in result.served_by[officer.name]:
            assert code in officer.skills or category_of[code] in officer.skills


def test_it_serves_every_ticket_of_every_item_by_the_end_of_the_day():
    result = simulate(scenario_load("benchmark-hall", layout="clusters-chain"), days=3, seed=12)
    assert result.served == result.arrivals
    assert all(item.served == item.arrivals for item in result.items.values())


def test_it_keeps_a_rare_learning_item_from_starving_through_the_live_override():
    protected = simulate(starvation_hall(starvation_minutes=30), days=20, seed=3).items["rare"]
    unprotected = simulate(starvation_hall(starvation_minutes=10**6), days=20, seed=3).items["rare"]
    assert protected.served == protected.arrivals > 0
    # Once past 30 minutes the rare ticket queues only behind tickets starving longer than it (at ρ ≈ 0.87 some
    # main tickets starve too), so its worst wait stays within a few service times of the threshold.
    assert protected.max_wait_minutes < 90
    assert unprotected.max_wait_minutes > 3 * protected.max_wait_minutes


def test_it_never_serves_more_at_once_than_there_are_windows():
    scenario = scenario_load("benchmark-hall", layout="six-windows")
    result = simulate(scenario, days=1, seed=4)
    assert sum(result.utilisation.values()) <= scenario.windows + 1e-9
    assert sum(result.utilisation.values()) > 5  # overloaded: the six windows are nearly always busy


def test_it_scales_every_service_time_by_the_service_factor():
    scenario = scenario_load("benchmark-hall", layout="six-windows")
    assert simulate(scenario, days=1, seed=4).mean_wait_minutes > 60
    assert simulate(scenario, days=1, seed=4, service_factor=0.5).mean_wait_minutes < 15


def test_it_makes_an_officer_slower_by_their_factor_on_an_item_they_are_learning():
    fluent = mmc_hall(servers=1, load=0.3, hours=8)
    officer = replace(fluent.officers[0], skills={"K": "learning"}, learning_speed_factor=2.0)
    learning = replace(fluent, officers=(officer,))
    slow = simulate(learning, days=3, seed=8)
    assert slow.mean_wait_minutes == pytest.approx(
        simulate(fluent, days=3, seed=8, service_factor=2.0).mean_wait_minutes
    )
    assert slow.mean_wait_minutes > 1.5 * simulate(fluent, days=3, seed=8).mean_wait_minutes


def test_it_counts_abandoners_as_service_level_failures():
    scenario = scenario_load("benchmark-hall", layout="six-windows")
    result = simulate(replace(scenario, mean_patience_minutes=20.0), days=1, seed=6)
    assert result.abandoned > 0
    assert result.served + result.abandoned == result.arrivals
    assert result.share_within <= result.served / result.arrivals < 1
    assert result.abandonment_share == pytest.approx(result.abandoned / result.arrivals)


def test_it_reproduces_a_run_from_its_seed():
    scenario = scenario_load("benchmark-hall", layout="clusters-chain")
    first, again = simulate(scenario, days=2, seed=99), simulate(scenario, days=2, seed=99)
    assert repr(first) == repr(again)
    assert repr(simulate(scenario, days=2, seed=100)) != repr(first)


def test_it_reproduces_replications_from_their_seed():
    scenario = scenario_load("benchmark-hall")
    first = replicate(scenario, days=1, replications=3, seed=7)
    assert repr(first) == repr(replicate(scenario, days=1, replications=3, seed=7))
    assert first.mean_wait_minutes.n == 3
    assert len({run.arrivals for run in first.runs}) > 1  # replications are independent draws


def test_it_gives_plausible_figures_for_one_benchmark_day():
    scenario = scenario_load("benchmark-hall")
    result = simulate(scenario, days=1, seed=1)
    assert abs(result.arrivals - 469) < 4 * math.sqrt(469)
    assert 0 < result.mean_wait_minutes < 5  # pooled 13 at ρ ≈ 0.7: about a minute (queueing.md §1.4)
    assert result.mean_wait_minutes <= result.p90_wait_minutes <= result.max_wait_minutes
    assert result.share_within > 0.9
    assert [hour.start for hour in result.hours] == [f"{h:02d}:00" for h in range(9, 17)]
    assert sum(hour.arrivals for hour in result.hours) == result.arrivals
    assert all(0.4 < u < 0.9 for u in result.utilisation.values())
    assert result.abandoned == 0


def test_it_shows_the_reform_s_pooling_gain_on_the_benchmark():
    layouts = scenario_load_all("benchmark-hall")
    waits = {name: simulate(layouts[name], days=5, seed=21).mean_wait_minutes for name in layouts}
    assert waits["pooled-13"] < waits["full-cross-training"] < waits["clusters-chain"] < waits["clusters-dedicated"]


def test_it_computes_a_t_interval_for_few_replications():
    estimate = _estimate([1.0, 2.0, 3.0])
    assert estimate.mean == 2.0
    assert estimate.half_width == pytest.approx(4.303 / math.sqrt(3))
    assert math.isinf(_estimate([1.0]).half_width)
    assert _estimate([math.nan, 2.0, 4.0]).n == 2


def test_it_refuses_zero_days_and_a_non_positive_service_factor():
    scenario = scenario_load("benchmark-hall")
    with pytest.raises(ValueError, match="days"):
        simulate(scenario, days=0, seed=1)
    with pytest.raises(ValueError, match="service_factor"):
        simulate(scenario, days=1, seed=1, service_factor=0)


def test_layouts_compared_with_one_seed_see_the_same_visitors_every_day():
    from quangangtong.planning.scenario import scenario_load

    pooled = simulate(scenario_load("benchmark-hall", layout="pooled-13"), days=3, seed=7)
    chained = simulate(scenario_load("benchmark-hall", layout="clusters-chain"), days=3, seed=7)
    assert pooled.arrivals == chained.arrivals
    assert [item.arrivals for item in pooled.items.values()] == [item.arrivals for item in chained.items.values()]
