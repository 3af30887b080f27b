"""The planner's results as a terminal table (Chinese) and as JSON-ready dicts; pure Python, no Django.

Every figure that comes from replications is an estimate with its 95 % confidence interval, written in JSON as
``{"mean": …, "low": …, "high": …}`` (``null`` where it is undefined: nobody served, or one replication only).
Waits are in minutes from ticket issue to call; shares are fractions in JSON and percentages in the table.
Windows are keyed "1"… in JSON (the number an officer sits at: the lowest free one), weekdays "mon"….
"""

from __future__ import annotations

import math
import unicodedata

from quangangtong.planning.scenario import WEEKDAY_LABELS, WEEKDAY_NAMES, Scenario
from quangangtong.planning.simulation import Estimate, ReplicatedResult

__all__ = [
    "comparison_table",
    "comparison_to_dict",
    "estimate_to_dict",
    "result_table",
    "result_to_dict",
    "text_table",
    "worst_item",
]


def estimate_to_dict(estimate: Estimate, *, share: bool = False) -> dict:
    """Return an estimate as ``{"mean", "low", "high"}``, with ``None`` for figures that are not finite."""
    low, high = _bounds(estimate, share=share)
    return {"mean": _finite(estimate.mean), "low": _finite(low), "high": _finite(high)}


def worst_item(scenario: Scenario, result: ReplicatedResult):
    """Return the item with the longest mean wait and its estimate, or (None, None) when nobody was served."""
    candidates = [(item, result.items[item.code]) for item in scenario.items if result.items[item.code].n]
    if not candidates:
        return None, None
    return max(candidates, key=lambda pair: pair[1].mean)


_UNDEFINED = Estimate(math.nan, math.inf, 0)


def result_to_dict(scenario: Scenario, result: ReplicatedResult, *, seed: int, service_factor: float) -> dict:
    """Return one layout's replicated results as a JSON-ready dict."""
    within = result.runs[0].within_minutes
    item, estimate = worst_item(scenario, result)
    return {
        "scenario": scenario.name,
        "layout": scenario.layout,
        "title": scenario.title,
        "officers_count": len(scenario.officers),
        "windows": scenario.windows,
        "days": result.days,
        "replications": result.replications,
        "seed": seed,
        "service_factor": service_factor,
        "within_minutes": within,
        "arrivals_per_day": sum(run.arrivals for run in result.runs) / (result.days * result.replications),
        "mean_wait_minutes": estimate_to_dict(result.mean_wait_minutes),
        "p90_wait_minutes": estimate_to_dict(result.p90_wait_minutes),
        "share_within": estimate_to_dict(result.share_within, share=True),
        "abandonment_share": estimate_to_dict(result.abandonment_share, share=True),
        "no_show_share": estimate_to_dict(result.no_show_share, share=True),
        "worst_item": None
        if item is None
        else {"code": item.code, "name": item.name, "mean_wait_minutes": estimate_to_dict(estimate)},
        "items": {
            item.code: {"name": item.name, "mean_wait_minutes": estimate_to_dict(result.items[item.code])}
            for item in scenario.items
        },
        "hours": {
            start: {
                "mean_wait_minutes": estimate_to_dict(e),
                "share_within": estimate_to_dict(result.hour_share_within.get(start, _UNDEFINED), share=True),
            }
            for start, e in result.hours.items()
        },
        "officers": {name: {"utilisation": estimate_to_dict(e, share=True)} for name, e in result.utilisation.items()},
        "window_utilisation": {
            str(window): estimate_to_dict(e, share=True) for window, e in result.window_utilisation.items()
        },
        "weekdays": {
            day: {
                "name": WEEKDAY_LABELS[WEEKDAY_NAMES.index(day)],
                "arrivals_per_day": estimate_to_dict(result.weekday_arrivals[day]),
                "mean_wait_minutes": estimate_to_dict(e),
                "share_within": estimate_to_dict(result.weekday_share_within[day], share=True),
            }
            for day, e in result.weekday_mean_wait.items()
        },
    }


def comparison_to_dict(
    scenarios: dict[str, Scenario], results: dict[str, ReplicatedResult], *, seed: int, service_factor: float
) -> dict:
    """Return several layouts' results, run on common seeds, as one JSON-ready dict keyed by layout."""
    first = next(iter(results.values()))
    return {
        "scenario": next(iter(scenarios.values())).name,
        "days": first.days,
        "replications": first.replications,
        "seed": seed,
        "service_factor": service_factor,
        "within_minutes": first.runs[0].within_minutes,
        "layouts": {
            name: result_to_dict(scenarios[name], result, seed=seed, service_factor=service_factor)
            for name, result in results.items()
        },
    }


def result_table(scenario: Scenario, result: ReplicatedResult, *, seed: int, service_factor: float) -> str:
    """Return one layout's results as a Chinese terminal report."""
    within = result.runs[0].within_minutes
    lines = [
        f"{scenario.title or scenario.name}",
        f"布局 {scenario.layout}：{len(scenario.officers)} 名人员，{scenario.windows} 个窗口（同时办理上限）",
        _conditions(result, seed=seed, service_factor=service_factor),
        "",
    ]
    lines += text_table(
        ["指标", "均值", "95% 置信区间"],
        [
            ["平均等待（分钟）", *_minutes(result.mean_wait_minutes)],
            ["90% 分位等待（分钟）", *_minutes(result.p90_wait_minutes)],
            [f"{_number(within)} 分钟内叫号比例", *_percent(result.share_within)],
            ["弃号比例", *_percent(result.abandonment_share)],
            ["叫号未到比例", *_percent(result.no_show_share)],
        ],
    )
    item, estimate = worst_item(scenario, result)
    lines.append("")
    if item is None:
        lines.append("等待最长的事项：无（没有人被叫号）")
    else:
        mean, interval = _minutes(estimate)
        lines.append(f"等待最长的事项：{item.name}（{item.code}），平均等待 {mean} 分钟（{interval}）")
    lines += ["", "各时段平均等待（按取号时间）"]
    lines += text_table(
        ["时段", "平均等待（分钟）", "95% 置信区间", f"{_number(within)} 分钟内叫号", "95% 置信区间"],
        [[h, *_minutes(e), *_percent(result.hour_share_within.get(h, _UNDEFINED))] for h, e in result.hours.items()],
    )
    if result.weekday_mean_wait:
        lines += ["", "各星期（第 k 个模拟日按开放日轮排）"]
        lines += text_table(
            ["星期", "日均取号", "平均等待（分钟）", "95% 置信区间", f"{_number(within)} 分钟内叫号"],
            [
                [
                    WEEKDAY_LABELS[WEEKDAY_NAMES.index(day)],
                    _with_interval(_interval(result.weekday_arrivals[day], share=False)),
                    *_minutes(e),
                    _with_interval(_percent(result.weekday_share_within[day])),
                ]
                for day, e in result.weekday_mean_wait.items()
            ],
        )
    lines += ["", "人员利用率（办理时间 ÷ 本人在岗时间：班次扣除休息，未设班次为开门至最后一人办完）"]
    lines += text_table(["人员", "利用率", "95% 置信区间"], [[n, *_percent(e)] for n, e in result.utilisation.items()])
    if result.window_utilisation:
        lines += ["", "窗口利用率（办理时间 ÷ 开门至最后一人办完；人员总是坐编号最小的空窗口）"]
        lines += text_table(
            ["窗口", "利用率", "95% 置信区间"],
            [[f"{w} 号", *_percent(e)] for w, e in result.window_utilisation.items()],
        )
    return "\n".join(lines)


def comparison_table(
    scenarios: dict[str, Scenario], results: dict[str, ReplicatedResult], *, seed: int, service_factor: float
) -> str:
    """Return several layouts side by side, one row each, as a Chinese terminal report."""
    first_scenario, first = next(iter(scenarios.values())), next(iter(results.values()))
    within = first.runs[0].within_minutes
    no_shows = any(scenarios[name].no_show_share > 0 for name in results)
    rows = []
    for name, result in results.items():
        scenario = scenarios[name]
        item, estimate = worst_item(scenario, result)
        utilisation = [e.mean for e in result.utilisation.values() if e.n]
        rows.append(
            [
                name,
                str(len(scenario.officers)),
                str(scenario.windows),
                _with_interval(_minutes(result.mean_wait_minutes)),
                _with_interval(_minutes(result.p90_wait_minutes)),
                _with_interval(_percent(result.share_within)),
                _with_interval(_percent(result.abandonment_share)),
                *([_with_interval(_percent(result.no_show_share))] if no_shows else []),
                f"{100 * math.fsum(utilisation) / len(utilisation):.1f}%" if utilisation else "—",
                "—" if item is None else f"{item.name} {estimate.mean:.1f}",
            ]
        )
    lines = [
        f"{first_scenario.name}：{len(results)} 个布局对比（各布局使用相同的随机种子）",
        _conditions(first, seed=seed, service_factor=service_factor) + "；等待以分钟计",
        "",
    ]
    lines += text_table(
        [
            "布局",
            "人员",
            "窗口",
            "平均等待",
            "P90 等待",
            f"{_number(within)} 分钟内叫号",
            "弃号",
            *(["叫号未到"] if no_shows else []),
            "平均利用率",
            "等待最长事项",
        ],
        rows,
    )
    lines += ["", "布局说明："]
    lines += [f"  {name}：{scenarios[name].title}" for name in results]
    return "\n".join(lines)


# --- formatting ------------------------------------------------------------------------------------------------


def _conditions(result: ReplicatedResult, *, seed: int, service_factor: float) -> str:
    return (
        f"模拟 {result.days} 天 × {result.replications} 次重复，随机种子 {seed}，"
        f"办理时长系数 {_number(service_factor)}；括号内为 95% 置信区间"
    )


def _bounds(estimate: Estimate, *, share: bool) -> tuple[float, float]:
    """Return the interval clipped to the possible values: waits are never negative, shares stay within 0–1."""
    if not math.isfinite(estimate.half_width):
        return math.nan, math.nan
    return max(estimate.low, 0.0), min(estimate.high, 1.0) if share else estimate.high


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) else None


def _number(value: float) -> str:
    if not math.isfinite(value):
        return "—"
    return f"{value:.2f}".rstrip("0").rstrip(".") if value == round(value, 2) else f"{value:.2f}"


def _interval(estimate: Estimate, *, share: bool) -> tuple[str, str]:
    if not estimate.n:
        return "—", "—"
    scale, unit = (100.0, "%") if share else (1.0, "")
    mean = f"{estimate.mean * scale:.1f}{unit}"
    if not math.isfinite(estimate.half_width):
        return mean, "—"
    low, high = _bounds(estimate, share=share)
    return mean, f"{low * scale:.1f}{unit} – {high * scale:.1f}{unit}"


def _minutes(estimate: Estimate) -> tuple[str, str]:
    return _interval(estimate, share=False)


def _percent(estimate: Estimate) -> tuple[str, str]:
    return _interval(estimate, share=True)


def _with_interval(pair: tuple[str, str]) -> str:
    mean, interval = pair
    return mean if interval == "—" else f"{mean}（{interval.replace(' ', '').replace('%', '')}）"


def _width(text: str) -> int:
    """Return the text's width in terminal columns (CJK characters take two)."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def text_table(header: list[str], rows: list[list[str]]) -> list[str]:
    widths = [max(_width(row[i]) for row in [header, *rows]) for i in range(len(header))]

    def line(cells):
        padded = (cell + " " * (width - _width(cell)) for cell, width in zip(cells, widths, strict=True))
        return "  ".join(padded).rstrip()

    return [line(header), "  ".join("-" * width for width in widths), *(line(row) for row in rows)]
