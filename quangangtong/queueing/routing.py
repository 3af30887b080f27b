"""Choose which waiting ticket an officer gets when they press "call next" (叫号) at a comprehensive window.

The same pure function serves the live hall and the capacity-planning simulator, so it uses no Django, database,
clock, randomness or global state: the caller passes the waiting tickets and ``now``. It runs in one pass over the
waiting tickets, and the answer does not depend on their order.

The rule, in order (§ numbers refer to the project's queueing reference, queueing.md):

1. **Eligible tickets** are those whose category is one of the window's categories and that the officer can serve:
   certified for the ticket's item or for its whole category (a category-only ticket needs the category
   certification). Nobody is ever handed a ticket they are not certified for, and with no eligible ticket the answer
   is None.
2. **Starvation override.** If any eligible ticket has waited at least ``starvation_s`` (30 minutes by default), the
   oldest of those is served, whatever its priority class or the officer's proficiency. Preferring one kind of work
   (a primary skill, the longest queue, a priority class) starves low-volume categories: in the reference's stress
   run the worst item's mean wait was 115–128 minutes under those policies against 53.5 under plain FCFS (§3,
   "Starvation under LQF / primary-first"), and under static priority the lowest class's wait grows without bound
   as load nears capacity (§1.6, §3). A maximum-wait override is the mitigation §3 names. Because starving tickets
   are themselves served oldest first, a ticket that has started to starve is served after at most the tickets that
   were already starving then, so no eligible ticket waits forever.
3. **Priority classes, non-preemptive.** Otherwise only the best class present is considered: 预约 check-ins, then
   绿色通道 (elderly 70+, disabled, pregnant, military), then everyone else. A ticket already being served is never
   interrupted (§1.6, §3). The override in step 2 is what keeps the classes from starving the normal queue; §1.6
   also advises keeping priority arrivals at or below about 20 %.
4. **FCFS across the eligible queues** within that class: the oldest ticket, ties by lowest id. Oldest-ticket-first
   is fair to residents and staff and is the recommended default (§3, "Policies").
5. **Proficiency preference.** If the oldest ticket is one the officer is still LEARNING, they take the oldest ticket
   they are FLUENT at instead, unless the oldest ticket was issued more than ``fluency_threshold_s`` (10 minutes by
   default) before it. Officers who are slow at secondary items can make a pooled hall slower than separate windows
   under plain FCFS (§1.9, "Slower non-experts"; secondary-skill handling can take twice as long), so the router
   leans on fluency, but only within a bounded head start, so that it does not turn into primary-skill-first.

Times are seconds on any clock shared by ``queued_at`` and ``now`` (epoch seconds live, simulated seconds in the
planner). ``queued_at`` is the original issue time, kept across transfers, so a transferred resident keeps their
place. Ticket ids are unique among the waiting tickets; they break ties between tickets issued at the same time.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from enum import IntEnum

__all__ = [
    "DEFAULT_POLICY",
    "OfficerSkills",
    "Priority",
    "Proficiency",
    "RoutingPolicy",
    "WaitingTicket",
    "choose_ticket",
    "eligible_tickets",
    "queue_heads",
]


class Priority(IntEnum):
    """Priority class of a waiting ticket; lower values are served first."""

    APPOINTMENT = 0  # 预约 check-in
    GREEN = 1  # 绿色通道: elderly 70+, disabled, pregnant, military
    NORMAL = 2


class Proficiency(IntEnum):
    """How well an officer handles an item or category; lower is better."""

    FLUENT = 0  # certified and fluent
    LEARNING = 1  # certified but still learning, slower


@dataclass(frozen=True, slots=True)
class WaitingTicket:
    """A ticket waiting to be called."""

    id: int
    category: str
    item: str | None
    priority: Priority
    queued_at: float


@dataclass(frozen=True, slots=True)
class OfficerSkills:
    """The items and whole categories an officer is certified for."""

    items: Mapping[str, Proficiency] = field(default_factory=dict)
    categories: Mapping[str, Proficiency] = field(default_factory=dict)
    # Categories the officer may take general (item-less) tickets of without being certified for the
    # whole category, e.g. because they know some of its items; never used for a ticket naming an item.
    general_categories: Mapping[str, Proficiency] = field(default_factory=dict)

    def proficiency(self, ticket: WaitingTicket) -> Proficiency | None:
        """Return the officer's proficiency for the ticket, or None if they cannot serve it."""
        by_category = self.categories.get(ticket.category)
        if ticket.item is None:
            general = self.general_categories.get(ticket.category)
            if by_category is None or general is None:
                return by_category if general is None else general
            return min(by_category, general)
        by_item = self.items.get(ticket.item)
        if by_item is None:
            return by_category
        if by_category is None:
            return by_item
        return min(by_item, by_category)


@dataclass(frozen=True, slots=True)
class RoutingPolicy:
    """Tunable thresholds of the routing rule, in seconds."""

    fluency_threshold_s: float = 600.0
    starvation_s: float = 1800.0

    def __post_init__(self) -> None:
        for name in ("fluency_threshold_s", "starvation_s"):
            value = getattr(self, name)
            if math.isnan(value) or value < 0:
                raise ValueError(f"{name} must be a non-negative number of seconds, got {value!r}")


DEFAULT_POLICY = RoutingPolicy()


def eligible_tickets(
    *, window_categories: Collection[str], skills: OfficerSkills, waiting: Iterable[WaitingTicket]
) -> list[WaitingTicket]:
    """Return the waiting tickets this officer can serve at this window, in their given order."""
    categories = _category_set(window_categories)
    return [t for t in waiting if t.category in categories and skills.proficiency(t) is not None]


def choose_ticket(
    *,
    window_categories: Collection[str],
    skills: OfficerSkills,
    waiting: Iterable[WaitingTicket],
    now: float,
    policy: RoutingPolicy = DEFAULT_POLICY,
) -> WaitingTicket | None:
    """Return the ticket the officer should call next, or None if they can serve none of the waiting tickets."""
    categories = _category_set(window_categories)
    starving: WaitingTicket | None = None
    best_class: int | None = None
    oldest: WaitingTicket | None = None
    oldest_fluent: WaitingTicket | None = None
    for ticket in waiting:
        if ticket.category not in categories:
            continue
        proficiency = skills.proficiency(ticket)
        if proficiency is None:
            continue
        if now - ticket.queued_at >= policy.starvation_s:
            if starving is None or _before(ticket, starving):
                starving = ticket
            continue
        if starving is not None:
            continue  # the override decides; class bookkeeping no longer matters
        if best_class is None or ticket.priority < best_class:
            best_class, oldest, oldest_fluent = ticket.priority, None, None
        elif ticket.priority > best_class:
            continue
        if oldest is None or _before(ticket, oldest):
            oldest = ticket
        if proficiency == Proficiency.FLUENT and (oldest_fluent is None or _before(ticket, oldest_fluent)):
            oldest_fluent = ticket
    if starving is not None:
        return starving
    if oldest_fluent is None or oldest_fluent.queued_at - oldest.queued_at > policy.fluency_threshold_s:
        return oldest
    return oldest_fluent


def queue_heads(waiting: Iterable[WaitingTicket]) -> list[WaitingTicket]:
    """Return the oldest ticket of each (category, item, priority) group: the only ones choose_ticket can pick.

    Tickets of one group are alike to every rule above except their age, so only a group's oldest can win;
    choose_ticket gives the same answer for the heads as for the whole queue, and a caller with a long queue
    (the live hall reads it from the database) may pass just the heads.
    """
    heads: dict[tuple, WaitingTicket] = {}
    for ticket in waiting:
        key = (ticket.category, ticket.item, ticket.priority)
        head = heads.get(key)
        if head is None or _before(ticket, head):
            heads[key] = ticket
    return list(heads.values())


def _before(a: WaitingTicket, b: WaitingTicket) -> bool:
    """Tell whether ``a`` was issued before ``b``, ties broken by the lower id."""
    return a.queued_at < b.queued_at or (a.queued_at == b.queued_at and a.id < b.id)


def _category_set(window_categories: Collection[str]) -> Collection[str]:
    """Return the window's categories as a set, refusing a bare string (whose ``in`` would match substrings)."""
    if isinstance(window_categories, str):
        raise TypeError("window_categories must be a collection of category prefixes, not a string")
    return window_categories if isinstance(window_categories, (set, frozenset)) else frozenset(window_categories)
