"""Hall scenarios for the simulator: items, officers, windows and the day, loaded from YAML and validated.

A scenario file describes the demand once (items with daily volume, hourly profile, service-time mean and CV) and
one or more staffing layouts (officers with skills, window count, and optionally a shift, breaks and working
weekdays each). The hall opens on ``weekdays`` with a volume factor per weekday (a layout or an item may carry its
own), and a share of called visitors may not show up. ``scenario_load`` returns one layout as a ``Scenario``;
a bad file is refused as a whole with the file, the key and the reason (``ScenarioError``).
Pure Python and PyYAML: importing this module needs no Django settings.
"""

from __future__ import annotations

import itertools
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
    "WEEKDAY_LABELS",
    "WEEKDAY_NAMES",
    "HallDay",
    "Item",
    "Officer",
    "Scenario",
    "ScenarioError",
    "ScenarioText",
    "scenario_from_dict",
    "scenario_load",
    "scenario_load_all",
    "scenario_path",
    "scenario_source",
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
_PERIOD = re.compile(r"^\s*(\S+?)\s*[-–~]\s*(\S+)\s*$")
WEEKDAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")  # index = weekday, 0 = Monday
WEEKDAY_LABELS = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")


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

    def works_on(self, weekday: int) -> bool:
        return self.weekdays is None or weekday in self.weekdays

    def duty_periods(self, day: HallDay) -> tuple[tuple[int, int], ...]:
        """Return the minutes the officer is on duty on a working day: the shift (or opening hours) minus breaks."""
        start, end = self.shift or (day.open_minute, day.close_minute)
        periods = []
        for break_start, break_end in self.breaks:
            periods.append((start, break_start))
            start = break_end
        periods.append((start, end))
        return tuple(periods)


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

    def volume_factor(self, item: Item, weekday: int) -> float:
        """Return the multiplier of the item's daily volume on a weekday (its own factors replace the hall's)."""
        factors = self.weekday_factors if item.weekday_factors is None else item.weekday_factors
        return factors.get(weekday, 1.0)

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


@dataclass(frozen=True)
class ScenarioText:
    """A scenario's YAML held in memory (e.g. saved on the planner page) instead of a file; messages name it by name."""

    name: str
    text: str


def scenario_source(scenario) -> Path | str:
    """Return what messages call a scenario: its file (see scenario_path), or a ScenarioText's name."""
    return scenario.name if isinstance(scenario, ScenarioText) else scenario_path(scenario)


def scenario_load(path, *, layout: str | None = None) -> Scenario:
    """Load and validate a scenario (name, file or ScenarioText) and return one layout (default_layout if not named)."""
    source = scenario_source(path)
    return scenario_from_dict(_read_yaml(path, source), source=source, layout=layout)


def scenario_load_all(path) -> dict[str, Scenario]:
    """Load and validate a scenario (name, file or ScenarioText) and return every layout by name, in file order."""
    source = scenario_source(path)
    return _scenarios_from_dict(_read_yaml(path, source), source=source)


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


def _read_yaml(scenario, source):
    if isinstance(scenario, ScenarioText):
        text = scenario.text
    else:
        try:
            text = source.read_text(encoding="utf-8")
        except OSError as error:
            raise ScenarioError(source, "(文件)", f"无法读取：{error.strerror or error}") from error
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise ScenarioError(source, "(文件)", f"不是合法的 YAML：{error}") from error


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

    def period(self, value, key):
        """Read "HH:MM-HH:MM" as (start, end) minutes after midnight, end after start."""
        match = _PERIOD.match(value) if isinstance(value, str) else None
        if match is None:
            self.fail(key, f'应为 "HH:MM-HH:MM" 格式的时段（如 "09:00-17:00"），现为 {value!r}')
        start, end = self.time_of_day(match[1], key), self.time_of_day(match[2], key)
        if end <= start:
            self.fail(key, f"结束时刻应晚于开始时刻（不支持跨午夜的时段），现为 {value!r}")
        return start, end

    def weekday(self, value, key):
        if value not in WEEKDAY_NAMES:
            names = "、".join(WEEKDAY_NAMES)
            self.fail(key, f"应为星期的英文缩写 {names} 之一（周一至周日），现为 {value!r}")
        return WEEKDAY_NAMES.index(value)

    def weekdays(self, value, key):
        days = [self.weekday(v, f"{key}[{i}]") for i, v in enumerate(self.sequence(value, key))]
        for i, weekday in enumerate(days):
            if days.index(weekday) != i:
                self.fail(f"{key}[{i}]", f"{WEEKDAY_NAMES[weekday]} 重复出现，请删去重复的一项")
        return tuple(sorted(days))

    def weekday_factors(self, value, key, opening_days):
        factors = {}
        for name, factor in self.mapping(value, key).items():
            weekday = self.weekday(name, f"{key}.{name}")
            if weekday not in opening_days:
                self.fail(
                    f"{key}.{name}",
                    f"大厅{WEEKDAY_LABELS[weekday]}不开放（weekdays 中没有 {name}），该系数不会生效；"
                    f"请删去，或在 weekdays 中加上 {name}",
                )
            factors[weekday] = self.number(factor, f"{key}.{name}", minimum=0)
        return factors

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
    no_show_share = read.number(data.get("no_show_share", 0.0), "no_show_share", minimum=0, below=1)
    no_show_minutes = read.number(data.get("no_show_minutes", 1.0), "no_show_minutes", above=0)
    opening_days = read.weekdays(data.get("weekdays", list(WEEKDAY_NAMES[:5])), "weekdays")
    weekday_factors = read.weekday_factors(data.get("weekday_factors") or {}, "weekday_factors", opening_days)

    items = tuple(
        _item(read, item_data, f"items[{i}]", day.hours, default_profile, default_cv, opening_days)
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
            read,
            layout_data.get("officers"),
            f"{key}.officers",
            codes=set(codes),
            categories=categories,
            default_speed=default_speed,
            day=day,
            opening_days=opening_days,
        )
        windows = read.integer(layout_data.get("windows"), f"{key}.windows", minimum=1)
        # A layout may carry its own week pattern (e.g. a rota tried against a busier Monday) without changing the
        # demand the other layouts of the file are compared on.
        factors = weekday_factors
        if layout_data.get("weekday_factors") is not None:
            factors = read.weekday_factors(layout_data["weekday_factors"], f"{key}.weekday_factors", opening_days)
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
            weekdays=opening_days,
            weekday_factors=factors,
            no_show_share=no_show_share,
            no_show_minutes=no_show_minutes,
        )
        for item in items:
            if item.daily_volume > 0 and not any(_can_serve(o, item) for o in officers):
                read.fail(
                    f"{key}.officers", f"没有任何人员能办理事项 {item.code}（{item.name}），请给至少一人加上该技能"
                )
            _check_cover(read, scenario, item, f"{key}.officers")
        scenarios[str(layout_name)] = scenario
    return scenarios


def _item(read, data, key, hours, default_profile, default_cv, opening_days) -> Item:
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
    factors = data.get("weekday_factors")
    if factors is not None:
        factors = read.weekday_factors(factors, f"{key}.weekday_factors", opening_days)
    return Item(
        code=read.text(data.get("code"), f"{key}.code"),
        name=read.text(data.get("name", data.get("code")), f"{key}.name"),
        category=read.text(data.get("category"), f"{key}.category"),
        daily_volume=read.number(data.get("daily_volume"), f"{key}.daily_volume", minimum=0),
        hourly_profile=profile,
        mean_service_minutes=read.number(data.get("mean_service_minutes"), f"{key}.mean_service_minutes", above=0),
        service_cv=cv,
        service_distribution=distribution,
        weekday_factors=factors,
    )


def _officers(read, data, key, *, codes, categories, default_speed, day, opening_days) -> tuple[Officer, ...]:
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
        shift, breaks, weekdays = _rota(read, officer_data, okey, day=day, opening_days=opening_days)
        names = [name] if count == 1 else [f"{name}{n}" for n in range(1, count + 1)]
        officers.extend(
            Officer(
                name=n,
                skills=dict(skills),
                learning_speed_factor=speed,
                shift=shift,
                breaks=breaks,
                weekdays=weekdays,
            )
            for n in names
        )
    seen = set()
    for officer in officers:
        if officer.name in seen:
            read.fail(key, f"人员名称 {officer.name} 重复，请改用唯一的名称")
        seen.add(officer.name)
    return tuple(officers)


def _rota(read, data, key, *, day, opening_days):
    """Read an officer's shift, breaks and working weekdays, each checked against the opening hours and days."""
    opening = f"{_clock(day.open_minute)}-{_clock(day.close_minute)}"
    shift = None
    if data.get("shift") is not None:
        shift = read.period(data["shift"], f"{key}.shift")
        if shift[1] <= day.open_minute or shift[0] >= day.close_minute:
            read.fail(
                f"{key}.shift",
                f"班次 {_span(shift)} 与营业时间 {opening} 没有重叠，该人员永远接待不到办事人；"
                "请调整班次（班次可以早于开门或晚于关门，但须与营业时间有重叠）",
            )
    start, end = shift or (day.open_minute, day.close_minute)
    within = f"班次 {_span(shift)}" if shift else f"营业时间 {opening}（未设班次）"
    breaks = []
    for i, value in enumerate(read.sequence(data["breaks"], f"{key}.breaks") if data.get("breaks") else []):
        period = read.period(value, f"{key}.breaks[{i}]")
        if not start < period[0] < period[1] < end:
            read.fail(
                f"{key}.breaks[{i}]",
                f"休息时间 {_span(period)} 应在{within}之内，且不与上下班时刻重合；班前班后不上班无需写成休息",
            )
        breaks.append(period)
    breaks.sort()
    for earlier, later in itertools.pairwise(breaks):
        if later[0] <= earlier[1]:
            read.fail(
                f"{key}.breaks",
                f"休息时间 {_span(earlier)} 与 {_span(later)} 重叠或首尾相接，请合并为一段",
            )
    weekdays = None
    if data.get("weekdays") is not None:
        weekdays = frozenset(read.weekdays(data["weekdays"], f"{key}.weekdays"))
        if not weekdays & set(opening_days):
            read.fail(
                f"{key}.weekdays",
                "该人员的工作日大厅都不开放（大厅开放："
                f"{'、'.join(WEEKDAY_LABELS[d] for d in opening_days)}），该人员永远不会上岗；请调整 weekdays",
            )
    return shift, tuple(breaks), weekdays


def _check_cover(read, scenario, item, key):
    """Refuse a layout where tickets of the item are issued on a weekday or in an hour no skilled shift covers."""
    day = scenario.day
    for weekday in scenario.weekdays:
        if item.daily_volume * scenario.volume_factor(item, weekday) <= 0:
            continue
        skilled = [o for o in scenario.officers if _can_serve(o, item) and o.works_on(weekday)]
        label = WEEKDAY_LABELS[weekday]
        if not skilled:
            read.fail(
                key,
                f"{label}没有能办理事项 {item.code}（{item.name}）的人员上班，当天取号的人无人办理；"
                f"请让该事项的至少一名人员{label}上班，或给{label}上班的人员加上该技能",
            )
        for hour, share in enumerate(item.hourly_profile):
            start = day.open_minute + 60 * hour
            if share <= 0 or any(_overlaps(o.shift, start, start + 60) for o in skilled):
                continue
            read.fail(
                key,
                f"{label} {_span((start, start + 60))} 有事项 {item.code}（{item.name}）取号，"
                "但能办理它的人员班次都不覆盖这一小时；请调整班次，或给这一小时在班的人员加上该技能",
            )


def _overlaps(shift, start, end) -> bool:
    return shift is None or (shift[0] < end and shift[1] > start)


def _clock(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def _span(period) -> str:
    return f"{_clock(period[0])}-{_clock(period[1])}"


def _can_serve(officer: Officer, item: Item) -> bool:
    return item.code in officer.skills or item.category in officer.skills
