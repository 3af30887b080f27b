"""The "call next" routing rule: eligibility, priority classes, FCFS, fluency preference and the starvation override."""

import ast
import itertools
import math
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from quangangtong.queueing import routing
from quangangtong.queueing.routing import (
    DEFAULT_POLICY,
    OfficerSkills,
    Priority,
    Proficiency,
    RoutingPolicy,
    WaitingTicket,
    choose_ticket,
    eligible_tickets,
)

APPOINTMENT, GREEN, NORMAL = Priority.APPOINTMENT, Priority.GREEN, Priority.NORMAL
FLUENT, LEARNING = Proficiency.FLUENT, Proficiency.LEARNING
MINUTE = 60.0
NOW = 10_000.0


def ticket(id, *, category="A", item=None, priority=NORMAL, queued_at=NOW - 5 * MINUTE):
    return WaitingTicket(id=id, category=category, item=item, priority=priority, queued_at=queued_at)


def choose(waiting, *, skills=None, window=("A",), now=NOW, policy=DEFAULT_POLICY):
    skills = OfficerSkills(categories={"A": FLUENT}) if skills is None else skills
    return choose_ticket(window_categories=window, skills=skills, waiting=waiting, now=now, policy=policy)


# --- unit tests, one rule at a time ---------------------------------------------------------------------------------


def test_it_returns_none_when_nothing_waits():
    assert choose([]) is None


def test_it_returns_none_when_the_officer_can_serve_none_of_the_waiting_tickets():
    waiting = [ticket(1, category="A", item="A01"), ticket(2, category="B", item="B01")]
    skills = OfficerSkills(items={"B01": FLUENT})
    assert choose(waiting, skills=skills, window=("A",)) is None


def test_it_serves_the_oldest_ticket_of_a_class_ties_by_lowest_id():
    waiting = [ticket(7, queued_at=NOW - 60), ticket(5, queued_at=NOW - 120), ticket(3, queued_at=NOW - 120)]
    assert choose(waiting).id == 3


def test_it_serves_appointments_then_green_then_normal_whatever_their_age():
    normal = ticket(1, priority=NORMAL, queued_at=NOW - 25 * MINUTE)
    green = ticket(2, priority=GREEN, queued_at=NOW - 10 * MINUTE)
    appointment = ticket(3, priority=APPOINTMENT, queued_at=NOW - 1 * MINUTE)
    assert choose([normal, green, appointment]) == appointment
    assert choose([normal, green]) == green
    assert choose([normal]) == normal


def test_it_prefers_a_fluent_ticket_to_a_slightly_older_learning_one():
    skills = OfficerSkills(items={"A01": LEARNING, "A02": FLUENT})
    learning = ticket(1, item="A01", queued_at=NOW - 12 * MINUTE)
    fluent = ticket(2, item="A02", queued_at=NOW - 5 * MINUTE)
    assert choose([learning, fluent], skills=skills) == fluent


def test_it_prefers_the_fluent_ticket_when_the_head_start_equals_the_threshold_exactly():
    skills = OfficerSkills(items={"A01": LEARNING, "A02": FLUENT})
    learning = ticket(1, item="A01", queued_at=NOW - 20 * MINUTE)
    fluent = ticket(2, item="A02", queued_at=NOW - 10 * MINUTE)
    assert choose([learning, fluent], skills=skills) == fluent


def test_it_serves_a_much_older_learning_ticket_before_a_fluent_one():
    skills = OfficerSkills(items={"A01": LEARNING, "A02": FLUENT})
    learning = ticket(1, item="A01", queued_at=NOW - (20 * MINUTE + 1))
    fluent = ticket(2, item="A02", queued_at=NOW - 10 * MINUTE)
    assert choose([learning, fluent], skills=skills) == learning


def test_it_serves_the_oldest_ticket_when_the_officer_is_fluent_at_none_of_them():
    skills = OfficerSkills(categories={"A": LEARNING})
    waiting = [ticket(1, queued_at=NOW - 60), ticket(2, queued_at=NOW - 120)]
    assert choose(waiting, skills=skills).id == 2


def test_the_fluency_preference_never_crosses_priority_classes():
    skills = OfficerSkills(items={"A01": LEARNING, "A02": FLUENT})
    green_learning = ticket(1, item="A01", priority=GREEN, queued_at=NOW - 60)
    normal_fluent = ticket(2, item="A02", priority=NORMAL, queued_at=NOW - 120)
    assert choose([green_learning, normal_fluent], skills=skills) == green_learning


def test_the_starvation_override_beats_the_priority_class_and_the_fluency_preference():
    skills = OfficerSkills(items={"A01": LEARNING, "A02": FLUENT})
    starving = ticket(1, item="A01", priority=NORMAL, queued_at=NOW - 30 * MINUTE)
    appointment = ticket(2, item="A02", priority=APPOINTMENT, queued_at=NOW - 29 * MINUTE)
    assert choose([appointment, starving], skills=skills) == starving


def test_the_starvation_override_serves_the_oldest_starving_ticket_ties_by_id():
    waiting = [
        ticket(4, priority=APPOINTMENT, queued_at=NOW - 31 * MINUTE),
        ticket(9, priority=NORMAL, queued_at=NOW - 40 * MINUTE),
        ticket(8, priority=NORMAL, queued_at=NOW - 40 * MINUTE),
        ticket(1, priority=APPOINTMENT, queued_at=NOW - 5 * MINUTE),
    ]
    assert choose(waiting).id == 8


def test_a_starving_ticket_the_officer_cannot_serve_does_not_take_over():
    skills = OfficerSkills(items={"A01": FLUENT})
    unservable = ticket(1, item="A02", queued_at=NOW - 60 * MINUTE)
    servable = ticket(2, item="A01", queued_at=NOW - 1 * MINUTE)
    assert choose([unservable, servable], skills=skills) == servable


def test_the_thresholds_follow_the_policy():
    skills = OfficerSkills(items={"A01": LEARNING, "A02": FLUENT})
    normal = ticket(1, item="A01", queued_at=NOW - 6 * MINUTE)
    green = ticket(2, item="A02", priority=GREEN, queued_at=NOW - 1 * MINUTE)
    assert choose([normal, green], skills=skills) == green
    assert choose([normal, green], skills=skills, policy=RoutingPolicy(starvation_s=5 * MINUTE)) == normal
    same_class = ticket(3, item="A02", queued_at=NOW - 1 * MINUTE)
    assert choose([normal, same_class], skills=skills) == same_class
    assert choose([normal, same_class], skills=skills, policy=RoutingPolicy(fluency_threshold_s=0)) == normal


def test_it_only_serves_the_window_s_categories():
    skills = OfficerSkills(categories={"A": FLUENT, "B": FLUENT})
    other_window = ticket(1, category="B", priority=APPOINTMENT, queued_at=NOW - 50 * MINUTE)
    own = ticket(2, category="A")
    assert choose([other_window, own], skills=skills, window=("A",)) == own
    assert choose([other_window], skills=skills, window=("A",)) is None
    assert choose([other_window, own], skills=skills, window=("A", "B")) == other_window


def test_category_only_tickets_need_the_category_certification():
    category_only = ticket(1, item=None)
    assert choose([category_only], skills=OfficerSkills(items={"A01": FLUENT})) is None
    assert choose([category_only], skills=OfficerSkills(categories={"A": LEARNING})) == category_only


def test_a_category_certification_covers_the_category_s_item_tickets():
    assert choose([ticket(1, item="A07")], skills=OfficerSkills(categories={"A": LEARNING})).id == 1


@pytest.mark.parametrize(
    ("by_item", "by_category", "expected"),
    [
        (FLUENT, None, FLUENT),
        (None, LEARNING, LEARNING),
        (LEARNING, FLUENT, FLUENT),
        (FLUENT, LEARNING, FLUENT),
        (LEARNING, LEARNING, LEARNING),
        (None, None, None),
    ],
)
def test_the_proficiency_for_an_item_ticket_is_the_better_of_item_and_category(by_item, by_category, expected):
    skills = OfficerSkills(
        items={} if by_item is None else {"A01": by_item},
        categories={} if by_category is None else {"A": by_category},
    )
    assert skills.proficiency(ticket(1, item="A01")) == expected


def test_a_ticket_without_any_matching_skill_is_never_chosen():
    skills = OfficerSkills(items={"A01": FLUENT}, categories={"B": FLUENT})
    unservable = ticket(1, item="A02", priority=APPOINTMENT, queued_at=NOW - 90 * MINUTE)
    servable = ticket(2, item="A01")
    assert choose([unservable, servable], skills=skills, window=("A", "B")) == servable
    assert choose([unservable], skills=skills, window=("A", "B")) is None


def test_the_order_of_the_waiting_tickets_does_not_matter():
    skills = OfficerSkills(items={"A01": LEARNING, "A02": FLUENT})
    waiting = [
        ticket(1, item="A01", queued_at=NOW - 8 * MINUTE),
        ticket(2, item="A02", queued_at=NOW - 3 * MINUTE),
        ticket(3, item="A02", queued_at=NOW - 3 * MINUTE),
        ticket(4, item="A01", priority=GREEN, queued_at=NOW - 1 * MINUTE),
        ticket(5, item="A02", priority=GREEN, queued_at=NOW - 1 * MINUTE),
    ]
    assert {choose(order, skills=skills).id for order in itertools.permutations(waiting)} == {5}


def test_eligible_tickets_keeps_the_servable_tickets_in_their_given_order():
    skills = OfficerSkills(items={"A01": FLUENT}, categories={"B": LEARNING})
    waiting = [ticket(3, category="B"), ticket(1, item="A02"), ticket(2, item="A01"), ticket(4, category="C")]
    found = eligible_tickets(window_categories={"A", "B"}, skills=skills, waiting=iter(waiting))
    assert [t.id for t in found] == [3, 2]


def test_it_accepts_any_iterable_of_waiting_tickets():
    assert choose(iter([ticket(1)])).id == 1


def test_it_refuses_a_bare_string_as_the_window_s_categories():
    with pytest.raises(TypeError):
        choose([ticket(1, category="B")], window="AB")


@pytest.mark.parametrize("field", ["fluency_threshold_s", "starvation_s"])
@pytest.mark.parametrize("value", [-1.0, math.nan])
def test_the_policy_refuses_negative_or_nan_thresholds(field, value):
    with pytest.raises(ValueError, match=field):
        RoutingPolicy(**{field: value})


def test_an_infinite_threshold_switches_the_rule_off():
    policy = RoutingPolicy(fluency_threshold_s=math.inf, starvation_s=math.inf)
    skills = OfficerSkills(items={"A01": LEARNING, "A02": FLUENT})
    ancient = ticket(1, item="A01", queued_at=NOW - 10**6)
    fluent = ticket(2, item="A02", queued_at=NOW)
    assert choose([ancient, fluent], skills=skills, policy=policy) == fluent


def test_the_module_imports_nothing_that_could_make_it_impure():
    tree = ast.parse(Path(routing.__file__).read_text(encoding="utf-8"))
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    imported |= {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    # The planner's simulator calls it thousands of times a day: no Django, I/O, clock or randomness.
    assert {name.partition(".")[0] for name in imported} <= {"__future__", "collections", "dataclasses", "enum", "math"}


# --- properties -----------------------------------------------------------------------------------------------------

CATEGORIES = ("A", "B", "C", "D")
ITEMS = {"A": ("A01", "A02"), "B": ("B01", "B02"), "C": ("C01",), "D": ("D01",)}
ALL_ITEMS = tuple(itertools.chain.from_iterable(ITEMS.values()))
maybe_proficiency = st.sampled_from([FLUENT, LEARNING, None])


@st.composite
def officer_skills(draw):
    items = {code: p for code in ALL_ITEMS if (p := draw(maybe_proficiency)) is not None}
    categories = {code: p for code in CATEGORIES if (p := draw(maybe_proficiency)) is not None}
    return OfficerSkills(items=items, categories=categories)


@st.composite
def waiting_lists(draw):
    count = draw(st.integers(0, 25))
    # Half-minute steps over two hours make same-time ties and threshold crossings common.
    tickets = []
    for ticket_id in draw(st.lists(st.integers(1, 10_000), min_size=count, max_size=count, unique=True)):
        category = draw(st.sampled_from(CATEGORIES))
        tickets.append(
            WaitingTicket(
                id=ticket_id,
                category=category,
                item=draw(st.sampled_from((None, *ITEMS[category]))),
                priority=draw(st.sampled_from(Priority)),
                queued_at=NOW - 30.0 * draw(st.integers(0, 240)),
            )
        )
    return tickets


windows = st.frozensets(st.sampled_from(CATEGORIES), max_size=len(CATEGORIES))
policies = st.builds(
    RoutingPolicy,
    fluency_threshold_s=st.sampled_from([0.0, 300.0, 600.0, 1200.0, math.inf]),
    starvation_s=st.sampled_from([0.0, 900.0, 1800.0, 3600.0, math.inf]),
)


def is_eligible(t, window, skills):
    return t.category in window and skills.proficiency(t) is not None


def rule_as_written(window, skills, waiting, now, policy):
    """Restate the documented rule step by step, by sorting; the O(n) implementation must agree with it."""
    eligible = sorted((t for t in waiting if is_eligible(t, window, skills)), key=lambda t: (t.queued_at, t.id))
    if not eligible:
        return None
    starving = [t for t in eligible if now - t.queued_at >= policy.starvation_s]
    if starving:
        return starving[0]
    best = min(t.priority for t in eligible)
    in_class = [t for t in eligible if t.priority == best]
    oldest = in_class[0]
    fluent = [t for t in in_class if skills.proficiency(t) == FLUENT]
    if not fluent or fluent[0].queued_at - oldest.queued_at > policy.fluency_threshold_s:
        return oldest
    return fluent[0]


@settings(max_examples=300, deadline=None)
@given(window=windows, skills=officer_skills(), waiting=waiting_lists(), policy=policies)
def test_the_chosen_ticket_is_always_eligible_and_one_is_chosen_whenever_possible(window, skills, waiting, policy):
    chosen = choose(waiting, skills=skills, window=window, policy=policy)
    eligible = eligible_tickets(window_categories=window, skills=skills, waiting=waiting)
    assert eligible == [t for t in waiting if is_eligible(t, window, skills)]
    if eligible:
        assert chosen in eligible
        assert chosen.category in window
        assert skills.proficiency(chosen) is not None
    else:
        assert chosen is None


@settings(max_examples=300, deadline=None)
@given(window=windows, skills=officer_skills(), waiting=waiting_lists(), policy=policies, data=st.data())
def test_the_choice_does_not_depend_on_the_order_of_the_waiting_tickets(window, skills, waiting, policy, data):
    shuffled = data.draw(st.permutations(waiting))
    assert choose(shuffled, skills=skills, window=window, policy=policy) == choose(
        waiting, skills=skills, window=window, policy=policy
    )


@settings(max_examples=300, deadline=None)
@given(window=windows, skills=officer_skills(), waiting=waiting_lists(), policy=policies)
def test_the_heads_of_the_queues_give_the_same_choice_as_the_whole_queue(window, skills, waiting, policy):
    from quangangtong.queueing.routing import queue_heads

    heads = queue_heads(waiting)
    kwargs = dict(window_categories=window, skills=skills, now=NOW, policy=policy)
    assert choose_ticket(waiting=heads, **kwargs) == choose_ticket(waiting=waiting, **kwargs)
    assert len({(t.category, t.item, t.priority) for t in heads}) == len(heads)


@given(window=windows, skills=officer_skills(), waiting=waiting_lists(), policy=policies)
def test_the_choice_follows_the_documented_rule(window, skills, waiting, policy):
    expected = rule_as_written(window, skills, waiting, NOW, policy)
    assert choose(waiting, skills=skills, window=window, policy=policy) == expected


# --- no ticket waits forever ----------------------------------------------------------------------------------------

SERVICE_S = 60.0  # the simulated officer serves one ticket per step of this length
STEPS = 300
SIM_WINDOW = ("A", "B", "C")
# Two of every three priority draws are 预约 or 绿色通道, far above the ~20 % of §1.6, to stress the override.
PRIORITY_MIX = (GREEN, APPOINTMENT, GREEN, APPOINTMENT, GREEN, NORMAL)
ARRIVAL_KINDS = [
    (category, item, priority)
    for category in SIM_WINDOW
    for item in (None, *ITEMS[category])
    for priority in PRIORITY_MIX
]
arrival_kinds = st.sampled_from(ARRIVAL_KINDS)


@st.composite
def sim_skills(draw):
    """Draw an officer for the simulation window who can serve at least one kind of ticket."""
    items = {code: p for c in SIM_WINDOW for code in ITEMS[c] if (p := draw(maybe_proficiency)) is not None}
    categories = {c: p for c in SIM_WINDOW if (p := draw(maybe_proficiency)) is not None}
    if not items and not categories:
        categories = {draw(st.sampled_from(SIM_WINDOW)): draw(st.sampled_from(Proficiency))}
    return OfficerSkills(items=items, categories=categories)


def simulate(*, skills, arrivals, policy):
    """Run one officer serving one ticket per step; return the eligible tickets, service times and starvation data.

    ``arrivals[t]`` lists the (category, item, priority) of the tickets issued at step t. Returns
    ``(eligible, served_at, starving_ahead)``: the eligible tickets, when each served ticket was called, and for each
    ticket that started to starve, how many other tickets were already starving at that step.
    """
    waiting = {}  # id -> ticket, in issue order
    eligible, served_at, starving_ahead = [], {}, {}
    next_id = itertools.count(1)
    for step, kinds in enumerate(arrivals):
        now = step * SERVICE_S
        for category, item, priority in kinds:
            new = WaitingTicket(id=next(next_id), category=category, item=item, priority=priority, queued_at=now)
            waiting[new.id] = new
            if skills.proficiency(new) is not None:
                eligible.append(new)
        starving = [
            t
            for t in waiting.values()
            if skills.proficiency(t) is not None and now - t.queued_at >= policy.starvation_s
        ]
        for t in starving:
            starving_ahead.setdefault(t.id, len(starving) - 1)
        chosen = choose_ticket(
            window_categories=SIM_WINDOW, skills=skills, waiting=waiting.values(), now=now, policy=policy
        )
        if chosen is not None:
            del waiting[chosen.id]
            served_at[chosen.id] = now
    return eligible, served_at, starving_ahead


@st.composite
def arrival_patterns(draw):
    """Draw 0-3 tickets per step, topped up so that at least one ticket per step has arrived on average."""
    pattern, issued = [], 0
    for step in range(STEPS):
        kinds = draw(st.lists(arrival_kinds, max_size=3))
        if issued + len(kinds) < step + 1:
            kinds.append(draw(arrival_kinds))
        issued += len(kinds)
        pattern.append(kinds)
    return pattern


@settings(max_examples=300, deadline=None)
@given(
    skills=sim_skills(),
    arrivals=arrival_patterns(),
    starvation_steps=st.integers(1, 40),
    fluency_threshold_s=st.sampled_from([0.0, 300.0, 600.0, math.inf]),
)
def test_no_eligible_ticket_waits_forever_under_continuous_arrivals(
    skills, arrivals, starvation_steps, fluency_threshold_s
):
    policy = RoutingPolicy(fluency_threshold_s=fluency_threshold_s, starvation_s=starvation_steps * SERVICE_S)
    eligible, served_at, starving_ahead = simulate(skills=skills, arrivals=arrivals, policy=policy)
    end = (STEPS - 1) * SERVICE_S
    eligible_ids = {t.id for t in eligible}
    assert set(served_at) <= eligible_ids
    for t in eligible:
        # Once a ticket starts to starve, only older starving tickets can go before it, one per step.
        bound = policy.starvation_s + starving_ahead.get(t.id, 0) * SERVICE_S
        if t.id in served_at:
            assert served_at[t.id] - t.queued_at <= bound
        else:
            assert end - t.queued_at < bound


def serve_green_stream(*, skills, first, stream_item, policy):
    """Issue one GREEN ticket per step behind ``first``; return when ``first`` is called, or None within STEPS."""
    waiting = [first]
    for step in range(STEPS):
        now = first.queued_at + step * SERVICE_S
        waiting.append(ticket(step + 2, item=stream_item, priority=GREEN, queued_at=now))
        chosen = choose(waiting, skills=skills, now=now, policy=policy)
        waiting.remove(chosen)
        if chosen == first:
            return now - first.queued_at
    return None


def test_without_the_override_a_stream_of_green_tickets_starves_a_normal_one():
    normal = ticket(1, priority=NORMAL, queued_at=0.0)
    skills = OfficerSkills(categories={"A": FLUENT})
    no_override = RoutingPolicy(starvation_s=math.inf)
    assert serve_green_stream(skills=skills, first=normal, stream_item=None, policy=no_override) is None
    assert serve_green_stream(skills=skills, first=normal, stream_item=None, policy=DEFAULT_POLICY) == 1800.0


def test_the_fluency_preference_bounds_itself_within_a_class():
    skills = OfficerSkills(items={"A01": LEARNING, "A02": FLUENT})
    learning = ticket(1, item="A01", priority=GREEN, queued_at=0.0)
    no_override = RoutingPolicy(starvation_s=math.inf)
    waited = serve_green_stream(skills=skills, first=learning, stream_item="A02", policy=no_override)
    assert waited == 600.0 + SERVICE_S


def test_general_categories_cover_only_tickets_without_an_item():
    skills = OfficerSkills(items={"x": Proficiency.FLUENT}, general_categories={"B": Proficiency.LEARNING})
    general = WaitingTicket(id=1, category="B", item=None, priority=Priority.NORMAL, queued_at=0.0)
    other_item = WaitingTicket(id=2, category="B", item="y", priority=Priority.NORMAL, queued_at=0.0)
    assert skills.proficiency(general) == Proficiency.LEARNING
    assert skills.proficiency(other_item) is None
