"""Process flexibility: what limited cross-training is worth, and which shape a skill graph has.

Jordan & Graves (1995, queueing.md §2.1) measure a plants × products configuration by its expected sales under
random demand: each demand scenario is a max-flow from plants (capacity) through the configuration's arcs to
products (demand). Their 10 × 10 example: dedicated 856, five pairs 899, open chain 927, closed (long) chain 952,
full flexibility 956 — a long chain captures nearly all of full flexibility's gain, pairs and open chains do not, and
closing the chain is the single most valuable arc (Simchi-Levi & Wei 2012, §2.2).

The hall's version of the same graph joins officer groups (officers with the same skills) to item groups (items
served by the same officers); ``skill_graph`` builds it from a scenario and ``structure`` names its shape, which the
cross-training planner turns into a warning. Standard library only.
"""

from __future__ import annotations

import math
import random
from collections import deque
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass

__all__ = [
    "CLOSED_CHAIN",
    "DEDICATED",
    "FULL",
    "ISLANDS",
    "OPEN_CHAIN",
    "OTHER",
    "SalesEstimate",
    "SkillGraph",
    "chain_ends",
    "closed_chain",
    "components",
    "dedicated",
    "expected_sales",
    "full",
    "max_flow",
    "open_chain",
    "pairs",
    "sales",
    "skill_graph",
    "structure",
    "truncated_normal_demands",
]

DEDICATED = "dedicated"
ISLANDS = "islands"
OPEN_CHAIN = "open-chain"
CLOSED_CHAIN = "closed-chain"
FULL = "full"
OTHER = "other"


# --- max-flow and expected sales ---------------------------------------------------------------------------------


def max_flow(capacities: Mapping[tuple[Hashable, Hashable], float], *, source: Hashable, sink: Hashable) -> float:
    """Return the value of a maximum flow from source to sink; ``capacities`` maps (tail, head) to a capacity ≥ 0.

    Dinic's algorithm: breadth-first levels, then blocking flows by depth-first search along the levels.
    """
    index: dict[Hashable, int] = {}
    for tail, head in capacities:
        index.setdefault(tail, len(index))
        index.setdefault(head, len(index))
    if source not in index or sink not in index or source == sink:
        return 0.0
    n = len(index)
    adjacency: list[list[int]] = [[] for _ in range(n)]
    heads: list[int] = []
    residual: list[float] = []
    for (tail, head), capacity in capacities.items():
        if capacity < 0 or math.isnan(capacity):
            raise ValueError(f"capacity（容量）：弧 {tail!r} → {head!r} 的容量应为不小于 0 的数，收到 {capacity!r}。")
        t, h = index[tail], index[head]
        adjacency[t].append(len(heads))
        heads.append(h)
        residual.append(float(capacity))
        adjacency[h].append(len(heads))  # the reverse arc of arc e is e ^ 1
        heads.append(t)
        residual.append(0.0)
    s, t = index[source], index[sink]
    total = 0.0
    while True:
        level = [-1] * n
        level[s] = 0
        queue = deque([s])
        while queue:
            node = queue.popleft()
            for arc in adjacency[node]:
                if residual[arc] > 0 and level[heads[arc]] < 0:
                    level[heads[arc]] = level[node] + 1
                    queue.append(heads[arc])
        if level[t] < 0:
            return total
        cursor = [0] * n
        while True:
            pushed = _push(s, t, math.inf, adjacency, heads, residual, level, cursor)
            if pushed <= 0:
                break
            if pushed == math.inf:  # a path of unbounded arcs joins source and sink
                return math.inf
            total += pushed


def _push(node, sink, limit, adjacency, heads, residual, level, cursor) -> float:
    """Send up to ``limit`` from node to sink along arcs that go one level deeper; return the amount sent."""
    if node == sink:
        return limit
    arcs = adjacency[node]
    while cursor[node] < len(arcs):
        arc = arcs[cursor[node]]
        head = heads[arc]
        if residual[arc] > 0 and level[head] == level[node] + 1:
            pushed = _push(head, sink, min(limit, residual[arc]), adjacency, heads, residual, level, cursor)
            if pushed > 0:
                residual[arc] -= pushed
                residual[arc ^ 1] += pushed
                return pushed
        cursor[node] += 1
    return 0.0


def sales(*, capacities: Sequence[float], demands: Sequence[float], arcs: Iterable[tuple[int, int]]) -> float:
    """Return the most demand the plants can meet: plant i sends to product j only along an arc (i, j)."""
    network: dict[tuple, float] = {}
    for plant, capacity in enumerate(capacities):
        network[("source", plant)] = capacity
    for product, demand in enumerate(demands):
        network[(("product", product), "sink")] = demand
    for plant, product in arcs:
        network[(plant, ("product", product))] = math.inf
    return max_flow(network, source="source", sink="sink")


@dataclass(frozen=True)
class SalesEstimate:
    """Mean sales over demand scenarios, with the standard error of that mean."""

    mean: float
    standard_error: float
    n: int


def expected_sales(
    *, capacities: Sequence[float], demand_scenarios: Sequence[Sequence[float]], arcs: Iterable[tuple[int, int]]
) -> SalesEstimate:
    """Return the mean sales of a configuration over demand scenarios (Jordan & Graves' measure)."""
    arcs = list(arcs)
    values = [sales(capacities=capacities, demands=demands, arcs=arcs) for demands in demand_scenarios]
    n = len(values)
    if n == 0:
        raise ValueError("demand_scenarios（需求情景）：至少需要一个需求情景。")
    mean = math.fsum(values) / n
    spread = math.sqrt(math.fsum((v - mean) ** 2 for v in values) / (n - 1)) if n > 1 else math.inf
    return SalesEstimate(mean=mean, standard_error=spread / math.sqrt(n), n=n)


def truncated_normal_demands(
    *, products: int, scenarios: int, seed: int, mean: float = 100.0, sd: float = 40.0, low=20.0, high=180.0
) -> list[list[float]]:
    """Draw i.i.d. Normal(mean, sd) demands conditioned on [low, high] (rejection), as Jordan & Graves do."""
    rng = random.Random(seed)
    drawn = []
    for _ in range(scenarios):
        row = []
        while len(row) < products:
            value = rng.gauss(mean, sd)
            if low <= value <= high:
                row.append(value)
        drawn.append(row)
    return drawn


# Jordan & Graves' configurations of n plants and n products; plant i always builds product i.


def dedicated(n: int) -> list[tuple[int, int]]:
    """Return the arcs of n dedicated plants."""
    return [(i, i) for i in range(n)]


def pairs(n: int) -> list[tuple[int, int]]:
    """Return the arcs of n/2 pairs of plants that both build the pair's two products (not chained)."""
    return [(i, j) for i in range(n) for j in (i - i % 2, i - i % 2 + 1) if j < n]


def open_chain(n: int) -> list[tuple[int, int]]:
    """Return the arcs of a chain in which plant i also builds product i + 1, left open at the end."""
    return dedicated(n) + [(i, i + 1) for i in range(n - 1)]


def closed_chain(n: int) -> list[tuple[int, int]]:
    """Return the arcs of the long chain: plant i also builds product i + 1, and the last plant product 0."""
    return dedicated(n) + [(i, (i + 1) % n) for i in range(n) if (i + 1) % n != i]


def full(n: int) -> list[tuple[int, int]]:
    """Return the arcs of full flexibility: every plant builds every product."""
    return [(i, j) for i in range(n) for j in range(n)]


# --- the hall's skill graph and its structure ------------------------------------------------------------------


@dataclass(frozen=True)
class SkillGraph:
    """Officer groups joined to the item groups they can serve.

    ``officer_groups`` maps a group label to its officers' names; ``item_groups`` maps a label to its item codes;
    ``arcs`` holds (officer group, item group) labels.
    """

    officer_groups: dict[str, tuple[str, ...]]
    item_groups: dict[str, tuple[str, ...]]
    arcs: frozenset[tuple[str, str]]


def skill_graph(scenario) -> SkillGraph:
    """Return the scenario's officer-group × item-group graph (proficiency ignored: who can serve what).

    Officers with the same skill keys form one group, labelled by the first one's name with its trailing digits
    dropped (``K0组1`` → ``K0组``); items served by the same officer groups form one item group, labelled by
    their category when they are the whole category and by their codes otherwise.
    """
    by_skills: dict[frozenset[str], list[str]] = {}
    for officer in scenario.officers:
        by_skills.setdefault(frozenset(officer.skills), []).append(officer.name)
    officer_groups: dict[str, tuple[str, ...]] = {}
    group_of_skills: dict[frozenset[str], str] = {}
    for skills, names in by_skills.items():
        label = _unique_label(names[0].rstrip("0123456789") or names[0], officer_groups)
        officer_groups[label] = tuple(names)
        group_of_skills[skills] = label

    by_servers: dict[frozenset[str], list] = {}
    for item in scenario.items:
        servers = frozenset(
            label for skills, label in group_of_skills.items() if item.code in skills or item.category in skills
        )
        by_servers.setdefault(servers, []).append(item)
    item_groups: dict[str, tuple[str, ...]] = {}
    arcs = set()
    for servers, items in by_servers.items():
        categories = {item.category for item in items}
        whole = [item.code for item in scenario.items if item.category in categories]
        if len(categories) == 1 and whole == [item.code for item in items]:
            label = next(iter(categories))
        else:
            label = "+".join(item.code for item in items)
        label = _unique_label(label, item_groups)
        item_groups[label] = tuple(item.code for item in items)
        arcs.update((group, label) for group in servers)
    return SkillGraph(officer_groups=officer_groups, item_groups=item_groups, arcs=frozenset(arcs))


def _unique_label(label: str, taken: Mapping[str, object]) -> str:
    candidate, n = label, 2
    while candidate in taken:
        candidate, n = f"{label}#{n}", n + 1
    return candidate


def components(arcs: Iterable[tuple[Hashable, Hashable]]) -> list[tuple[set, set]]:
    """Return the connected components of a bipartite graph as (left nodes, right nodes), in order of first arc."""
    arcs = list(arcs)
    parent: dict = {}

    def find(node):
        while parent[node] != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    for left, right in arcs:
        for node in (("L", left), ("R", right)):
            parent.setdefault(node, node)
        parent[find(("L", left))] = find(("R", right))
    grouped: dict = {}
    for left, right in arcs:
        lefts, rights = grouped.setdefault(find(("L", left)), (set(), set()))
        lefts.add(left)
        rights.add(right)
    return list(grouped.values())


def structure(arcs: Iterable[tuple[Hashable, Hashable]]) -> str:
    """Name the shape of a bipartite skill graph given as (officer group, item group) arcs.

    ``dedicated``: every group has exactly one partner; ``islands``: more than one connected component otherwise;
    ``full``: connected and every officer group serves every item group; ``closed-chain``: one cycle through every
    group (each has two partners), the long chain; ``open-chain``: a single path through every group; ``other``:
    connected, but neither a chain nor full.
    """
    arcs = set(arcs)
    if not arcs:
        raise ValueError("arcs（技能弧）：技能图至少需要一条弧。")
    degree: dict = {}
    for left, right in arcs:
        degree[("L", left)] = degree.get(("L", left), 0) + 1
        degree[("R", right)] = degree.get(("R", right), 0) + 1
    parts = components(arcs)
    lefts = {left for left, _ in arcs}
    rights = {right for _, right in arcs}
    if len(parts) > 1:
        return DEDICATED if all(d == 1 for d in degree.values()) else ISLANDS
    if len(arcs) == len(lefts) * len(rights):
        return FULL
    if all(d <= 2 for d in degree.values()):
        return CLOSED_CHAIN if len(arcs) == len(degree) else OPEN_CHAIN
    return OTHER


def chain_ends(arcs: Iterable[tuple[Hashable, Hashable]]) -> list[tuple[str, Hashable]]:
    """Return the two ends of an open chain as ("L" or "R", node): the groups with a single partner."""
    degree: dict = {}
    for left, right in arcs:
        degree[("L", left)] = degree.get(("L", left), 0) + 1
        degree[("R", right)] = degree.get(("R", right), 0) + 1
    return [node for node, d in degree.items() if d == 1]
