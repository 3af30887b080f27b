"""`qgt plan cross-train`: which k new certifications lower the hall's mean wait most, and a warning on the layout.

Greedy: at each step every candidate certification (one officer learns one more category, as ``learning``, so at
that officer's learning speed factor) is simulated on common random numbers (the same seed, so every candidate sees
the same visitors), and the one with the lowest mean wait is kept. Officers with identical skills, speed and rota
are one candidate (the first of them is certified). Candidates run in parallel worker processes.

The layout's officer-group × item-group graph is classified (``flexibility.structure``); an open chain or islands
keep much of the silo's cost whatever the individual certifications (queueing.md §2.1–2.2), so the answer warns and
names the arc that closes the chain. Pure Python; needs no Django settings.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import replace

from quangangtong.planning.flexibility import (
    CLOSED_CHAIN,
    DEDICATED,
    FULL,
    ISLANDS,
    OPEN_CHAIN,
    chain_ends,
    components,
    skill_graph,
    structure,
)
from quangangtong.planning.report import estimate_to_dict, result_to_dict, text_table
from quangangtong.planning.scenario import LEARNING, Scenario, ScenarioText, scenario_load
from quangangtong.planning.simulation import ReplicatedResult, SimulationPool, estimate, replicate

__all__ = ["island_loads", "plan_cross_train", "structure_warnings"]


def plan_cross_train(
    *,
    scenario: str | ScenarioText,
    layout: str | None = None,
    k: int = 3,
    days: int = 5,
    replications: int = 4,
    seed: int = 1,
    service_factor: float = 1.0,
    within_minutes: float = 15.0,
    workers: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[str, dict]:
    """Recommend up to k (officer, category) certifications, greedily, and return (terminal table, JSON-ready dict).

    ``reduction_minutes`` of a step is against the step before (the baseline for the first), paired over the
    replications. The search stops early when no candidate lowers the mean wait or everyone knows everything.
    Raises ScenarioError for a bad file and ValueError for a bad k.
    """
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise ValueError(f"k（推荐的新认证数）：请填写不小于 1 的整数，收到 {k!r}。")
    hall = scenario_load(scenario, layout=layout)
    graph = skill_graph(hall)
    shape = structure(graph.arcs)
    warnings = structure_warnings(hall)
    options = {
        "days": days,
        "replications": replications,
        "seed": seed,
        "service_factor": service_factor,
        "within_minutes": within_minutes,
    }
    report = {"seed": seed, "service_factor": service_factor}

    with SimulationPool(workers=workers, progress=progress) as pool:
        pool.expect(1 + k * len(_candidates(hall)))
        baseline = pool.map(_evaluate, [{"hall": hall, "options": options}])[0]
        current, current_result = hall, baseline
        steps = []
        for step in range(k):
            candidates = _candidates(current)
            if not candidates:
                warnings.append("每位人员都已掌握全部类别，没有可再推荐的新认证。")
                break
            pool.expect(pool.done + len(candidates) * (k - step))
            trials = [_certified(current, officer, skill) for officer, skill in candidates]
            results = pool.map(_evaluate, [{"hall": trial, "options": options} for trial in trials])
            best = min(range(len(trials)), key=lambda i: (results[i].mean_wait_minutes.mean, i))
            reduction = estimate(
                before.mean_wait_minutes - after.mean_wait_minutes
                for before, after in zip(current_result.runs, results[best].runs, strict=True)
            )
            if not reduction.mean > 0:
                warnings.append(f"第 {step + 1} 步起，任何一项新认证都不能降低平均等待，推荐到此为止。")
                break
            officer, skill = candidates[best]
            steps.append(
                {
                    "officer": current.officers[officer].name,
                    "skill": skill,
                    "skill_name": _category_name(hall, skill),
                    "mean_wait_minutes": estimate_to_dict(results[best].mean_wait_minutes),
                    "reduction_minutes": _signed_estimate(reduction),
                }
            )
            current, current_result = trials[best], results[best]
        pool.finish()
    uncertain = [str(n) for n, step in enumerate(steps, start=1) if not (step["reduction_minutes"]["low"] or 0) > 0]
    if uncertain:
        warnings.append(
            f"第 {'、'.join(uncertain)} 步平均等待减少量的 95% 置信区间含 0，效果在模拟误差之内；"
            "可增加模拟天数或重复次数后再看。"
        )

    data = {
        "scenario": hall.name,
        "layout": hall.layout,
        "baseline": result_to_dict(hall, baseline, **report),
        "steps": steps,
        "structure": shape,
        "warnings": warnings,
        "final": result_to_dict(current, current_result, **report),
    }
    return _cross_train_table(hall, data, days=days, replications=replications, seed=seed), data


def island_loads(hall: Scenario) -> list[dict]:
    """Return each connected island of the skill graph with its officers and its offered load per officer.

    Load per officer is the island's daily counter minutes ÷ (its officers × the opening minutes): the utilisation
    the island would have if it served only its own items.
    """
    graph = skill_graph(hall)
    minutes = hall.day.close_minute - hall.day.open_minute
    items = {item.code: item for item in hall.items}
    islands = []
    for officer_groups, item_groups in components(sorted(graph.arcs)):
        officers = sum(len(graph.officer_groups[g]) for g in officer_groups)
        work = sum(
            items[code].daily_volume * items[code].mean_service_minutes
            for group in item_groups
            for code in graph.item_groups[group]
        )
        islands.append(
            {
                "officer_groups": sorted(officer_groups),
                "item_groups": sorted(item_groups),
                "officers": officers,
                "load_per_officer": work / (officers * minutes),
            }
        )
    return islands


def structure_warnings(hall: Scenario) -> list[str]:
    """Return Chinese warnings when the layout's skill graph is an open chain, islands or dedicated groups."""
    graph = skill_graph(hall)
    shape = structure(graph.arcs)
    chaining = (
        "按 Jordan 与 Graves 的 10×10 计算（queueing.md §2.1）：成对互通的孤岛只得到完全交叉培训收益的约 43%，"
        "开放链约 71%（仍保留分设窗口约 30% 的损失），闭合长链约 96%；闭合链的最后一条弧收益最大"
        "（Simchi-Levi 与 Wei，§2.2）。"
    )
    if shape == OPEN_CHAIN:
        officer_group, item_group = _closing_arc(graph)
        return [
            "技能结构是开放链：各组首尾相接连成一串，但两端没有接上。"
            + chaining
            + f"建议：让「{officer_group}」学习「{item_group}」，把链闭合。"
        ]
    if shape in (ISLANDS, DEDICATED):
        islands = island_loads(hall)
        busiest = max(islands, key=lambda island: island["load_per_officer"])
        kind = "每组只办本组事项（完全分设）" if shape == DEDICATED else f"技能结构分成 {len(islands)} 个互不相连的孤岛"
        links = [
            f"「{_least_linked(graph, islands[i]['officer_groups'], left=True)}」学习"
            f"「{_least_linked(graph, islands[(i + 1) % len(islands)]['item_groups'], left=False)}」"
            for i in range(len(islands))
        ]
        return [
            f"{kind}：岛与岛之间不能互相支援，忙的一组排长队时闲的一组帮不上。"
            + chaining
            + f"负荷最重的是「{'、'.join(busiest['item_groups'])}」"
            f"（{busiest['officers']} 人，每人负荷约 {busiest['load_per_officer']:.0%}）。"
            + f"建议把各岛连成一条闭合长链：{'，'.join(links)}。"
        ]
    return []


# --- candidates --------------------------------------------------------------------------------------------------


def _candidates(hall: Scenario) -> list[tuple[int, str]]:
    """Return (officer index, category) for every category a distinct officer is not yet certified for."""
    categories = sorted(hall.categories)
    seen = set()
    candidates = []
    for index, officer in enumerate(hall.officers):
        key = (
            tuple(sorted(officer.skills.items())),
            officer.learning_speed_factor,
            officer.shift,
            officer.breaks,
            officer.weekdays,
        )
        if key in seen:
            continue
        seen.add(key)
        candidates.extend((index, category) for category in categories if category not in officer.skills)
    return candidates


def _certified(hall: Scenario, officer: int, category: str) -> Scenario:
    officers = list(hall.officers)
    officers[officer] = replace(officers[officer], skills={**officers[officer].skills, category: LEARNING})
    return replace(hall, officers=tuple(officers))


def _category_name(hall: Scenario, category: str) -> str:
    return "、".join(item.name for item in hall.items if item.category == category)


def _closing_arc(graph) -> tuple[str, str]:
    """Return the (officer group, item group) arc that closes an open chain, or comes closest to it."""
    ends = chain_ends(graph.arcs)
    officers = [node for side, node in ends if side == "L"]
    items = [node for side, node in ends if side == "R"]
    if officers and items:
        return officers[0], items[0]
    if len(officers) == 2:  # both ends are officer groups: one of them learns the other's neighbour
        return officers[0], next(i for o, i in sorted(graph.arcs) if o == officers[1])
    return next(o for o, i in sorted(graph.arcs) if i == items[0]), items[1]


def _least_linked(graph, groups: list[str], *, left: bool) -> str:
    degree = {group: sum(1 for arc in graph.arcs if arc[0 if left else 1] == group) for group in groups}
    return min(groups, key=lambda group: (degree[group], groups.index(group)))


def _signed_estimate(reduction) -> dict:
    """Return an estimate as {mean, low, high} without clipping at zero (a reduction may be negative)."""

    def finite(value):
        return value if math.isfinite(value) else None

    if not math.isfinite(reduction.half_width):
        return {"mean": finite(reduction.mean), "low": None, "high": None}
    return {"mean": finite(reduction.mean), "low": finite(reduction.low), "high": finite(reduction.high)}


# --- evaluation --------------------------------------------------------------------------------------------------


def _evaluate(*, hall: Scenario, options: dict) -> ReplicatedResult:
    return replicate(hall, workers=1, **options)


# --- table -------------------------------------------------------------------------------------------------------

_STRUCTURE_NAMES = {
    DEDICATED: "完全分设（每组只办本组事项）",
    ISLANDS: "孤岛（几组互不相连）",
    OPEN_CHAIN: "开放链",
    CLOSED_CHAIN: "闭合长链",
    FULL: "完全交叉（每组都能办全部事项）",
}


def _wait(value: dict) -> str:
    if value["mean"] is None:
        return "—"
    if value["low"] is None:
        return f"{value['mean']:.1f}"
    return f"{value['mean']:.1f}（{value['low']:.1f}–{value['high']:.1f}）"


def _cross_train_table(hall: Scenario, data: dict, *, days: int, replications: int, seed: int) -> str:
    lines = [
        f"{hall.title or hall.name}：交叉培训建议（布局 {hall.layout}，{len(hall.officers)} 名人员）",
        f"每个候选模拟 {days} 天 × {replications} 次重复，随机种子 {seed}，各候选使用相同的随机数；"
        "新学技能按“在学”计，办理时长乘以该人员的在学系数；括号内为 95% 置信区间",
        f"技能结构：{_STRUCTURE_NAMES.get(data['structure'], '其他（相连，但既非链也非完全交叉）')}",
        f"现状平均等待：{_wait(data['baseline']['mean_wait_minutes'])} 分钟",
        "",
    ]
    rows = [
        [
            str(n),
            step["officer"],
            f"{step['skill']}（{step['skill_name']}）",
            _wait(step["mean_wait_minutes"]),
            _wait(step["reduction_minutes"]),
        ]
        for n, step in enumerate(data["steps"], start=1)
    ]
    if rows:
        lines += text_table(["步骤", "人员", "新学类别", "平均等待（分钟）", "比上一步减少（分钟）"], rows)
    else:
        lines.append("没有能降低平均等待的新认证。")
    lines += ["", f"全部培训后平均等待：{_wait(data['final']['mean_wait_minutes'])} 分钟"]
    for warning in data["warnings"]:
        lines += ["", f"注意：{warning}"]
    return "\n".join(lines)
