"""`qgt plan run`, `compare`, `staff` and `cross-train`: simulate a scenario's layouts and print a table or JSON.

Called by ``quangangtong.cli`` with the arguments after ``plan``; needs no Django settings. A scenario that cannot
be simulated (bad file, unknown layout) is reported on stderr with the file, the key and the reason, exit code 2.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable

from quangangtong.planning.crosstraining import plan_cross_train
from quangangtong.planning.report import comparison_table, comparison_to_dict, result_table, result_to_dict
from quangangtong.planning.scenario import (
    ScenarioError,
    ScenarioText,
    scenario_load,
    scenario_load_all,
    scenario_source,
)
from quangangtong.planning.simulation import replicate
from quangangtong.planning.staffing import plan_staff

__all__ = ["main", "plan_compare", "plan_run"]

EXIT_BAD_SCENARIO = 2


def plan_run(
    *,
    scenario: str | ScenarioText,
    layout: str | None = None,
    days: int = 20,
    replications: int = 10,
    seed: int = 1,
    service_factor: float = 1.0,
    within_minutes: float = 15.0,
    workers: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[str, dict]:
    """Simulate one layout and return (terminal table, JSON-ready dict); raises ScenarioError for a bad file."""
    hall = scenario_load(scenario, layout=layout)
    result = replicate(
        hall,
        days=days,
        replications=replications,
        seed=seed,
        service_factor=service_factor,
        within_minutes=within_minutes,
        workers=workers,
        progress=progress,
    )
    options = {"seed": seed, "service_factor": service_factor}
    return result_table(hall, result, **options), result_to_dict(hall, result, **options)


def plan_compare(
    *,
    scenario: str | ScenarioText,
    layouts: list[str] | None = None,
    days: int = 20,
    replications: int = 10,
    seed: int = 1,
    service_factor: float = 1.0,
    within_minutes: float = 15.0,
    workers: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[str, dict]:
    """Simulate several layouts on common seeds and return (terminal table, JSON-ready dict).

    ``progress(done, total)`` counts replications over all layouts.
    """
    available = scenario_load_all(scenario)
    names = layouts or list(available)
    unknown = [name for name in names if name not in available]
    if unknown:
        raise ScenarioError(
            scenario_source(scenario),
            "layouts",
            f"没有名为 {'、'.join(unknown)} 的布局，可选：{'、'.join(available)}",
        )
    halls = {name: available[name] for name in names}
    # The same seed for every layout: replication k of each layout starts from the same random stream (common
    # random numbers), so differences between layouts are less noisy than independent runs would make them.
    results = {}
    for position, (name, hall) in enumerate(halls.items()):
        results[name] = replicate(
            hall,
            days=days,
            replications=replications,
            seed=seed,
            service_factor=service_factor,
            within_minutes=within_minutes,
            workers=workers,
            progress=None
            if progress is None
            else _offset_progress(progress, position * replications, len(halls) * replications),
        )
    options = {"seed": seed, "service_factor": service_factor}
    return comparison_table(halls, results, **options), comparison_to_dict(halls, results, **options)


def _offset_progress(progress, before: int, total: int):
    return lambda done, _: progress(before + done, total)


def main(argv=None) -> int:
    """Run a `qgt plan` sub-command and return the exit code (argparse exits 2 itself on bad options)."""
    args = _parser().parse_args(argv)
    options = {
        "scenario": args.scenario,
        "days": args.days,
        "replications": args.replications,
        "seed": args.seed,
        "service_factor": args.service_factor,
        "within_minutes": args.within,
        "workers": args.workers,
    }
    try:
        if args.command == "run":
            table, data = plan_run(layout=args.layout, **options)
        elif args.command == "compare":
            table, data = plan_compare(layouts=args.layouts, **options)
        elif args.command == "staff":
            options["target_share"] = args.target
            options["max_mean_wait_minutes"] = args.max_mean_wait
            options["half_days"] = args.half_days
            table, data = plan_staff(layout=args.layout, **options)
        else:
            table, data = plan_cross_train(layout=args.layout, k=args.k, **options)
    except ScenarioError as error:
        print(f"qgt plan: {error}", file=sys.stderr)
        return EXIT_BAD_SCENARIO
    if args.json:
        print(json.dumps(data, ensure_ascii=False, indent=2, allow_nan=False))
    else:
        print(table)
    return 0


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"应为不小于 1 的整数，收到 {text!r}")
    return value


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"应为大于 0 的数，收到 {text!r}")
    return value


def _share(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"应为大于 0、小于 1 的比例，如 0.8，收到 {text!r}")
    return value


def _layout_list(text: str) -> list[str]:
    names = [name.strip() for name in text.split(",") if name.strip()]
    if not names:
        raise argparse.ArgumentTypeError("请用逗号分隔列出布局名称，如 dedicated-34,pooled-13")
    return names


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="qgt plan",
        description="产能规划：模拟大厅的排队等待",
        epilog="另有 qgt plan calibrate --site 站点编码 --weeks 8 [--until 日期] [--output 文件]："
        "从本厅取号记录生成场景文件（需要数据库）。",
    )
    commands = parser.add_subparsers(dest="command", required=True)

    def common(command, *, days=20, replications=10):
        command.add_argument("scenario", metavar="SCENARIO", help="场景名称（如 benchmark-hall）或 YAML 文件路径")
        command.add_argument("--days", type=_positive_int, default=days, help=f"每次重复模拟的天数（默认 {days}）")
        command.add_argument(
            "--replications", type=_positive_int, default=replications, help=f"独立重复次数（默认 {replications}）"
        )
        command.add_argument("--seed", type=int, default=1, help="随机种子（默认 1），相同种子结果相同")
        command.add_argument(
            "--service-factor", type=_positive_float, default=1.0, help="办理时长系数，如 0.5 表示时长减半"
        )
        command.add_argument(
            "--within", type=_positive_float, default=15.0, metavar="MIN", help="服务水平的等待分钟数（默认 15）"
        )
        command.add_argument("--workers", type=_positive_int, default=None, help="并行进程数（默认每个 CPU 核一个）")
        command.add_argument("--json", action="store_true", help="输出 JSON（等待以分钟计，比例为小数）")

    run = commands.add_parser("run", help="模拟一个布局：平均/90%% 分位等待、服务水平、弃号、各时段、人员利用率")
    common(run)
    run.add_argument("--layout", help="布局名称（默认为场景文件的 default_layout）")

    compare = commands.add_parser("compare", help="同一次运行中并排比较多个布局（相同随机种子）")
    common(compare)
    compare.add_argument("--layouts", type=_layout_list, help="逗号分隔的布局名称（默认为文件中全部布局）")

    staff = commands.add_parser("staff", help="每个工作日各时段最少需要多少人在岗才达标，覆盖它的排班表，并用模拟检验")
    common(staff, days=10, replications=6)
    staff.add_argument("--layout", help="布局名称（默认为场景文件的 default_layout），取其技能与窗口数")
    staff.add_argument("--target", type=_share, default=0.8, help="服务水平目标：时限内被叫号的比例（默认 0.8）")
    staff.add_argument(
        "--max-mean-wait", type=_positive_float, default=None, metavar="M", help="另加的平均等待上限（分钟）"
    )
    staff.add_argument(
        "--half-days", action="store_true", help="排班时也用上午班、下午班（有兼职人员时；默认只排全天班）"
    )

    cross_train = commands.add_parser(
        "cross-train", help="在现有技能矩阵上，哪 k 项新认证（某人学某类事项）最能缩短等待；链式结构提醒"
    )
    common(cross_train, days=5, replications=4)
    cross_train.add_argument("--layout", help="布局名称（默认为场景文件的 default_layout）")
    cross_train.add_argument("--k", type=_positive_int, default=3, help="推荐几项新认证（默认 3）")
    return parser
