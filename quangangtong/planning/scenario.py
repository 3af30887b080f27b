"""Hall scenarios for the simulator: items, officers, windows and the day, loaded from YAML and validated.

A scenario file describes the demand once (items with daily volume, hourly profile, service-time mean and CV) and
one or more staffing layouts (officers with skills, window count). ``scenario_load`` returns one layout as a
``Scenario``; a bad file is refused as a whole with the file, the key and the reason (``ScenarioError``).
Pure Python and PyYAML: importing this module needs no Django settings.
"""

from __future__ import annotations

import math
import numbers
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from quangangtong.queueing.routing import OfficerSkills, Proficiency, RoutingPolicy

__all__ = [
    "BENCHMARK_HALL",
    "SCENARIO_DIR",
    "HallDay",
    "Item",
    "Officer",
    "Scenario",
    "ScenarioError",
    "scenario_from_dict",
    "scenario_load",
    "scenario_load_all",
    "scenario_path",
]

SCENARIO_DIR = Path(__file__).resolve().parent / "scenarios"
BENCHMARK_HALL = SCENARIO_DIR / "benchmark-hall.yaml"

FLUENT = "fluent"
LEARNING = "learning"
LOGNORMAL = "lognormal"
EXPONENTIAL = "exponential"
_PROFICIENCIES = {FLUENT: Proficiency.FLUENT, LEARNING: Proficiency.LEARNING}
_PROFILE_TOLERANCE = 0.01
_TIME = re.compile(r"^([01]\d|2[0-4]):([0-5]\d)$")


class ScenarioError(ValueError):
    """A scenario that cannot be simulated, naming the file, the key and the reason."""

    def __init__(self, path, key, reason):
        self.path, self.key, self.reason = str(path), key, reason
        super().__init__(f"场景文件 {self.path} 的 {key}：{reason}")


@dataclass(frozen=True)
class Item:
    """A service item with its demand and counter time."""

    code: str
    name: str
    category: str
    daily_volume: float
    hourly_profile: tuple[float, ...]
    mean_service_minutes: float
    service_cv: float = 0.8
    service_distribution: str = LOGNORMAL
    weekday_factors: Mapping[int, float] | None = None  # None: the scenario's weekday factors


@dataclass(frozen=True)
class Officer:
    """An officer and the items or categories they are certified for, fluent or still learning."""

    name: str
    skills: Mapping[str, str]
    learning_speed_factor: float = 1.5
    # On duty from shift[0] to shift[1], minutes after midnight (None: the whole opening day), except during breaks;
    # an officer serving when a break or the shift's end comes finishes that visitor first.
    shift: tuple[int, int] | None = None
    breaks: tuple[tuple[int, int], ...] = ()
    weekdays: frozenset[int] | None = None  # 0 = Monday … 6 = Sunday; None: every day the hall opens


@dataclass(frozen=True)
class HallDay:
    """Opening hours, in minutes after midnight; ticket issuing stops at close and the backlog is served."""

    open_minute: int
    close_minute: int

    @property
    def hours(self) -> int:
        return (self.close_minute - self.open_minute) // 60

    def hour_label(self, index: int) -> str:
        minute = self.open_minute + 60 * index
        return f"{minute // 60:02d}:{minute % 60:02d}"


@dataclass(frozen=True)
class Scenario:
    """One staffing layout of a hall facing the scenario's demand."""

    name: str
    layout: str
    items: tuple[Item, ...]
    officers: tuple[Officer, ...]
    windows: int
    day: HallDay
    routing: RoutingPolicy = field(default_factory=RoutingPolicy)
    priority_share: float = 0.0
    mean_patience_minutes: float | None = None
    title: str = ""
    # Days the hall opens (0 = Monday); simulated day k is weekdays[k % len(weekdays)].
    weekdays: tuple[int, ...] = (0, 1, 2, 3, 4)
    # Volume multiplier per weekday (missing: 1.0); an item's own factors, if given, replace these for that item.
    weekday_factors: Mapping[int, float] = field(default_factory=dict)
    no_show_share: float = 0.0  # share of called tickets whose holder does not come to the window
    no_show_minutes: float = 1.0  # counter time lost on each no-show (calling again, then skipping)

    @property
    def categories(self) -> frozenset[str]:
        return frozenset(item.category for item in self.items)

    def officer_skills(self, officer: Officer) -> OfficerSkills:
        """Return the officer's skills in the form the live routing rule takes."""
        categories = self.categories
        by_item = {k: _PROFICIENCIES[v] for k, v in officer.skills.items() if k not in categories}
        by_category = {k: _PROFICIENCIES[v] for k, v in officer.skills.items() if k in categories}
        return OfficerSkills(items=by_item, categories=by_category)


def scenario_path(name_or_path) -> Path:
    """Return the file of a shipped scenario name (``benchmark-hall``) or the given path unchanged."""
    shipped = SCENARIO_DIR / f"{name_or_path}.yaml"
    if isinstance(name_or_path, str) and "/" not in name_or_path and shipped.exists():
        return shipped
    return Path(name_or_path)


def scenario_load(path, *, layout: str | None = None) -> Scenario:
    """Load and validate a scenario file and return one layout (the file's default_layout when not named)."""
    path = scenario_path(path)
    return scenario_from_dict(_read_yaml(path), source=path, layout=layout)


def scenario_load_all(path) -> dict[str, Scenario]:
    """Load and validate a scenario file and return every layout by name, in file order."""
    path = scenario_path(path)
    return _scenarios_from_dict(_read_yaml(path), source=path)


def scenario_from_dict(data, *, source="<dict>", layout: str | None = None) -> Scenario:
    """Validate parsed scenario data and return one layout (the default_layout when not named)."""
    scenarios = _scenarios_from_dict(data, source=source)
    if layout is None:
        layout = data.get("default_layout") or next(iter(scenarios))
        if layout not in scenarios:
            raise ScenarioError(source, "default_layout", f"布局 {layout!r} 不存在，可选：{'、'.join(scenarios)}")
    elif layout not in scenarios:
        raise ScenarioError(source, "layouts", f"没有名为 {layout!r} 的布局，可选：{'、'.join(scenarios)}")
    return scenarios[layout]


# --- reading and validation ----------------------------------------------------------------------------------


def _read_yaml(path: Path):
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ScenarioError(path, "(文件)", f"无法读取：{error.strerror or error}") from error
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise ScenarioError(path, "(文件)", f"不是合法的 YAML：{error}") from error


class _Reader:
    """Read typed values out of parsed YAML, raising ScenarioError with the full key on the first bad one."""

    def __init__(self, source):
        self.source = source

    def fail(self, key, reason):
        raise ScenarioError(self.source, key, reason)

    def mapping(self, value, key):
        if not isinstance(value, Mapping):
            self.fail(key, "应为键值映射（key: value）")
        return value

    def sequence(self, value, key):
        if not isinstance(value, list) or not value:
            self.fail(key, "应为非空列表")
        return value

    def text(self, value, key):
        if not isinstance(value, str) or not value.strip():
            self.fail(key, "应为非空文字")
        return value.strip()

    def number(self, value, key, *, minimum=None, above=None, below=None):
        if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
            self.fail(key, f"应为数字，现为 {value!r}")
        if minimum is not None and value < minimum:
            self.fail(key, f"不能小于 {minimum}，现为 {value!r}；请改为不小于 {minimum} 的数")
        if above is not None and value <= above:
            self.fail(key, f"必须大于 {above}，现为 {value!r}")
        if below is not None and value >= below:
            self.fail(key, f"必须小于 {below}，现为 {value!r}")
        return float(value)

    def integer(self, value, key, *, minimum):
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            self.fail(key, f"应为不小于 {minimum} 的整数，现为 {value!r}")
        return value

    def time_of_day(self, value, key):
        match = _TIME.match(value) if isinstance(value, str) else None
        if match is None or (match[1] == "24" and match[2] != "00"):
            self.fail(key, f'应为 "HH:MM" 格式的时刻（如 "09:00"），现为 {value!r}')
        return int(match[1]) * 60 + int(match[2])

    def profile(self, value, key, hours):
        shares = self.sequence(value, key)
        if len(shares) != hours:
            self.fail(key, f"应有 {hours} 个小时份额（营业时间每小时一个），现有 {len(shares)} 个")
        shares = tuple(self.number(s, f"{key}[{i}]", minimum=0) for i, s in enumerate(shares))
        total = sum(shares)
        if abs(total - 1.0) > _PROFILE_TOLERANCE:
            self.fail(key, f"各小时份额之和应为 1（允许误差 {_PROFILE_TOLERANCE}），现为 {total:.4f}")
        return shares


def _scenarios_from_dict(data, *, source) -> dict[str, Scenario]:
    read = _Reader(source)
    data = read.mapping(data, "(根)")
    name = read.text(data.get("name", Path(str(source)).stem), "name")
    title = str(data.get("title") or "")

    day_data = read.mapping(data.get("day"), "day")
    open_minute = read.time_of_day(day_data.get("open"), "day.open")
    close_minute = read.time_of_day(day_data.get("close"), "day.close")
    if close_minute <= open_minute or (close_minute - open_minute) % 60:
        read.fail("day.close", "应晚于开门时间，且营业时长为整数小时（小时份额按整点小时给出）")
    day = HallDay(open_minute, close_minute)

    default_profile = None
    if data.get("hourly_profile") is not None:
        default_profile = read.profile(data["hourly_profile"], "hourly_profile", day.hours)
    default_cv = data.get("service_cv", 0.8)

    routing_data = read.mapping(data.get("routing", {}), "routing")
    routing = RoutingPolicy(
        fluency_threshold_s=60
        * read.number(
            routing_data.get("fluency_threshold_minutes", 10), "routing.fluency_threshold_minutes", minimum=0
        ),
        starvation_s=60
        * read.number(routing_data.get("starvation_minutes", 30), "routing.starvation_minutes", minimum=0),
    )
    priority_share = read.number(data.get("priority_share", 0.0), "priority_share", minimum=0, below=1)
    patience = data.get("mean_patience_minutes")
    if patience is not None:
        patience = read.number(patience, "mean_patience_minutes", above=0)

    items = tuple(
        _item(read, item_data, f"items[{i}]", day.hours, default_profile, default_cv)
        for i, item_data in enumerate(read.sequence(data.get("items"), "items"))
    )
    codes = [item.code for item in items]
    categories = {item.category for item in items}
    for i, item in enumerate(items):
        if codes.index(item.code) != i:
            read.fail(f"items[{i}].code", f"事项代码 {item.code} 重复，请改用唯一的代码")
        if item.code in categories:
            read.fail(f"items[{i}].code", f"事项代码 {item.code} 与某个类别同名，技能里会分不清，请改名")

    default_speed = data.get("learning_speed_factor", 1.5)
    layouts = read.mapping(data.get("layouts"), "layouts")
    if not layouts:
        read.fail("layouts", "至少需要一个布局")
    scenarios = {}
    for layout_name, layout_data in layouts.items():
        key = f"layouts.{layout_name}"
        layout_data = read.mapping(layout_data, key)
        officers = _officers(
            read, layout_data.get("officers"), f"{key}.officers", set(codes), categories, default_speed
        )
        windows = read.integer(layout_data.get("windows"), f"{key}.windows", minimum=1)
        scenario = Scenario(
            name=name,
            layout=str(layout_name),
            items=items,
            officers=officers,
            windows=windows,
            day=day,
            routing=routing,
            priority_share=priority_share,
            mean_patience_minutes=patience,
            title=str(layout_data.get("title") or title),
        )
        for item in items:
            if item.daily_volume > 0 and not any(_can_serve(o, item) for o in officers):
                read.fail(
                    f"{key}.officers", f"没有任何人员能办理事项 {item.code}（{item.name}），请给至少一人加上该技能"
                )
        scenarios[str(layout_name)] = scenario
    return scenarios


def _item(read, data, key, hours, default_profile, default_cv) -> Item:
    data = read.mapping(data, key)
    profile = data.get("hourly_profile")
    if profile is None:
        if default_profile is None:
            read.fail(f"{key}.hourly_profile", "未给出小时分布，文件顶层也没有默认的 hourly_profile")
        profile = default_profile
    else:
        profile = read.profile(profile, f"{key}.hourly_profile", hours)
    distribution = data.get("service_distribution", LOGNORMAL)
    if distribution not in (LOGNORMAL, EXPONENTIAL):
        read.fail(f"{key}.service_distribution", f"应为 {LOGNORMAL} 或 {EXPONENTIAL}，现为 {distribution!r}")
    cv = read.number(data.get("service_cv", default_cv), f"{key}.service_cv", above=0)
    if distribution == EXPONENTIAL and cv != 1:
        read.fail(f"{key}.service_cv", f"指数分布的变异系数恒为 1，现为 {cv}；请删去或改为 1")
    return Item(
        code=read.text(data.get("code"), f"{key}.code"),
        name=read.text(data.get("name", data.get("code")), f"{key}.name"),
        category=read.text(data.get("category"), f"{key}.category"),
        daily_volume=read.number(data.get("daily_volume"), f"{key}.daily_volume", minimum=0),
        hourly_profile=profile,
        mean_service_minutes=read.number(data.get("mean_service_minutes"), f"{key}.mean_service_minutes", above=0),
        service_cv=cv,
        service_distribution=distribution,
    )


def _officers(read, data, key, codes, categories, default_speed) -> tuple[Officer, ...]:
    officers = []
    for i, officer_data in enumerate(read.sequence(data, key)):
        okey = f"{key}[{i}]"
        officer_data = read.mapping(officer_data, okey)
        name = read.text(officer_data.get("name"), f"{okey}.name")
        count = read.integer(officer_data.get("count", 1), f"{okey}.count", minimum=1)
        speed = read.number(
            officer_data.get("learning_speed_factor", default_speed), f"{okey}.learning_speed_factor", above=0
        )
        skills = read.mapping(officer_data.get("skills"), f"{okey}.skills")
        if not skills:
            read.fail(f"{okey}.skills", "至少需要一项技能")
        for skill, level in skills.items():
            if skill not in codes and skill not in categories:
                read.fail(f"{okey}.skills.{skill}", f"未知的事项或类别 {skill!r}，请使用 items 中的事项代码或类别")
            if level not in _PROFICIENCIES:
                read.fail(f"{okey}.skills.{skill}", f"熟练程度应为 {FLUENT} 或 {LEARNING}，现为 {level!r}")
        names = [name] if count == 1 else [f"{name}{n}" for n in range(1, count + 1)]
        officers.extend(Officer(name=n, skills=dict(skills), learning_speed_factor=speed) for n in names)
    seen = set()
    for officer in officers:
        if officer.name in seen:
            read.fail(key, f"人员名称 {officer.name} 重复，请改用唯一的名称")
        seen.add(officer.name)
    return tuple(officers)


def _can_serve(officer: Officer, item: Item) -> bool:
    return item.code in officer.skills or item.category in officer.skills
