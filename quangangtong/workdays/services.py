"""Working days and deadlines.

Time limits count working days without statutory holidays (行政许可法 §82), and the day the
clock starts is not counted (民法典 §201). A working day is Monday to Friday, except the
SpecialDay rows of a year whose State Council schedule is confirmed (has a ScheduleYear row):
a "holiday" row takes a weekday off, a "workday" row makes a weekend day a 调休上班 day. A year
with no ScheduleYear counts weekends only; its SpecialDay rows are ignored until it is confirmed,
so a half-entered schedule never moves a deadline.

Cost: every function reads the table through a WorkdayCalendar, which fetches the confirmed
years once (a tiny table) and the SpecialDay rows of every year it needs with one range query,
then counts in memory. A page showing many deadlines makes one WorkdayCalendar and passes it as
``calendar=`` to each call: two or three queries for the whole page, not one per case or per day.
Without ``calendar=`` each call makes its own, so it always sees the current table.
"""

import datetime
from dataclasses import dataclass

import chinese_calendar
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from quangangtong.workdays.models import WEEKDAY_NAMES, ScheduleYear, Source, SpecialDay

ONE_DAY = datetime.timedelta(days=1)
YEAR_MIN, YEAR_MAX = 2000, 2100


def _as_date(value):
    if isinstance(value, datetime.datetime) or not isinstance(value, datetime.date):
        raise TypeError(f"expected a local date (use timezone.localdate()), got {value!r}")
    return value


def _year_of(value):
    return value if isinstance(value, int) else _as_date(value).year


class WorkdayCalendar:
    """Answer working-day questions from the calendar table, reading each year at most once.

    ``WorkdayCalendar(first, last)`` preloads the years of that range (one query for the confirmed
    years, one for their SpecialDay rows); any year asked about later is loaded on first use.
    """

    def __init__(self, first=None, last=None):
        self._confirmed = None
        self._loaded = set()
        self._exceptions = {}  # date -> is a working day; only dates in confirmed years
        if first is not None:
            self.load(first, first if last is None else last)

    def load(self, first, last):
        """Read the SpecialDay rows of the years from first to last that are not loaded yet."""
        first_year, last_year = sorted((_year_of(first), _year_of(last)))
        if self._confirmed is None:
            self._confirmed = frozenset(ScheduleYear.objects.values_list("year", flat=True))
        wanted = [y for y in range(first_year, last_year + 1) if y not in self._loaded and y in self._confirmed]
        if wanted:
            rows = SpecialDay.objects.filter(
                date__gte=datetime.date(min(wanted), 1, 1), date__lte=datetime.date(max(wanted), 12, 31)
            ).values_list("date", "kind")
            for day, kind in rows:
                if day.year in wanted:
                    self._exceptions[day] = kind == SpecialDay.Kind.WORKDAY
        self._loaded.update(range(first_year, last_year + 1))

    def is_confirmed(self, year):
        if self._confirmed is None:
            self.load(year, year)
        return year in self._confirmed

    def is_working_day(self, day):
        day = _as_date(day)
        if day.year not in self._loaded:
            self.load(day, day)
        working = self._exceptions.get(day)
        return day.weekday() < 5 if working is None else working

    def add_working_days(self, start, n):
        """Return the day the n-th working day after start falls on (before start when n < 0)."""
        start = _as_date(start)
        step = ONE_DAY if n >= 0 else -ONE_DAY
        # Five working days a week plus at most a 9-day Spring Festival: preload the likely span in one query.
        self.load(start, start + step * (abs(n) * 7 // 5 + 14))
        day, left = start, abs(n)
        while left:
            day += step
            if self.is_working_day(day):
                left -= 1
        return day

    def working_days_between(self, a, b):
        """Return the number of working days in (a, b]; negative (mirrored) when b < a."""
        a, b = _as_date(a), _as_date(b)
        if b < a:
            return -self.working_days_between(b, a)
        self.load(a, b)
        count, day = 0, a
        while day < b:
            day += ONE_DAY
            count += self.is_working_day(day)
        return count

    def unconfirmed_years(self, a, b):
        """Return the years from a to b (dates or years) that have no confirmed schedule."""
        first, last = sorted((_year_of(a), _year_of(b)))
        return [y for y in range(first, last + 1) if not self.is_confirmed(y)]

    def deadline(self, *, start, working_days):
        """Return the Deadline working_days working days after start."""
        due = self.add_working_days(start, working_days)
        unconfirmed = self.unconfirmed_years(start + ONE_DAY, due) if due > start else []
        return Deadline(start=start, working_days=working_days, due=due, unconfirmed_years=tuple(unconfirmed))


@dataclass(frozen=True)
class Deadline:
    start: datetime.date
    working_days: int
    due: datetime.date
    unconfirmed_years: tuple[int, ...] = ()

    @property
    def is_confirmed(self):
        return not self.unconfirmed_years

    @property
    def warning(self):
        if self.is_confirmed:
            return ""
        years = "、".join(str(y) for y in self.unconfirmed_years)
        return f"{years}年的节假日安排尚未录入，截止日期按周末推算，请在国务院公布安排后复核。"


def is_working_day(d, *, calendar=None):
    """Return whether d is a working day."""
    return (calendar or WorkdayCalendar()).is_working_day(d)


def add_working_days(start, n, *, calendar=None):
    """Return the day the n-th working day after start falls on; start itself is not counted."""
    return (calendar or WorkdayCalendar()).add_working_days(start, n)


def working_days_between(a, b, *, calendar=None):
    """Return the number of working days in (a, b], negative when b < a."""
    return (calendar or WorkdayCalendar()).working_days_between(a, b)


def unconfirmed_years(a, b, *, calendar=None):
    """Return the years in [a, b] whose holiday schedule has not been entered and confirmed."""
    return (calendar or WorkdayCalendar()).unconfirmed_years(a, b)


def deadline_compute(*, start, working_days, calendar=None):
    """Return the Deadline of a time limit of working_days counted from start."""
    return (calendar or WorkdayCalendar()).deadline(start=start, working_days=working_days)


def calendar_warnings(today=None):
    """Return what the hall manager must do about missing holiday schedules, in Chinese."""
    today = today or timezone.localdate()
    this_year, next_year = today.year, today.year + 1
    confirmed = set(ScheduleYear.objects.filter(year__in=[this_year, next_year]).values_list("year", flat=True))
    warnings = []
    if this_year not in confirmed:
        warnings.append(
            f"今年（{this_year}年）的节假日安排尚未录入，办理时限暂时只按周末推算。"
            f"请按国务院办公厅的通知录入放假和调休上班日期，然后确认{this_year}年。"
        )
    if next_year not in confirmed and (today >= datetime.date(this_year, 10, 1) or this_year not in confirmed):
        warnings.append(
            f"{next_year}年的节假日安排尚未录入。国务院办公厅通常在每年年底前公布下一年的安排，"
            f"公布后请录入并确认{next_year}年，否则跨年的截止日期只按周末推算。"
        )
    return warnings


def special_day_errors(*, date, kind, name):
    """Return {field: Chinese message} for a special day that cannot be stored, empty when it can."""
    errors = {}
    if not isinstance(date, datetime.date) or isinstance(date, datetime.datetime):
        errors["date"] = "日期：请填写日期，格式为 YYYY-MM-DD，例如 2027-01-01。"
    elif not YEAR_MIN <= date.year <= YEAR_MAX:
        errors["date"] = f"日期：只能录入 {YEAR_MIN}—{YEAR_MAX} 年的日期。"
    if kind not in SpecialDay.Kind.values:
        errors["kind"] = "类型：请选择“法定节假日/调休休息”或“调休上班”。"
    name = (name or "").strip() if isinstance(name, str) else ""
    if not name:
        errors["name"] = "名称：请填写名称，例如“国庆节”或“春节调休上班”。"
    elif len(name) > SpecialDay._meta.get_field("name").max_length:
        errors["name"] = "名称：最多 60 个字。"
    if not errors.keys() & {"date", "kind"}:
        weekday = WEEKDAY_NAMES[date.weekday()]
        if kind == SpecialDay.Kind.HOLIDAY and date.weekday() >= 5:
            errors["date"] = (
                f"日期：{date:%Y-%m-%d}是{weekday}，本来就不上班，不必登记为节假日（周末只登记调休上班日）。"
            )
        elif kind == SpecialDay.Kind.WORKDAY and date.weekday() < 5:
            errors["date"] = (
                f"日期：{date:%Y-%m-%d}是{weekday}，本来就上班，不必登记为调休上班（工作日只登记放假的日期）。"
            )
    return errors


@transaction.atomic
def special_day_set(*, date, kind, name, user):
    """Enter or change the special day on date, by hand."""
    errors = special_day_errors(date=date, kind=kind, name=name)
    if errors:
        raise ValidationError(errors)
    day, _ = SpecialDay.objects.update_or_create(
        date=date,
        defaults={"kind": kind, "name": name.strip(), "source": Source.MANUAL, "created_by": user},
    )
    return day


def schedule_year_errors(*, year, note):
    """Return {field: Chinese message} for a year that cannot be confirmed, empty when it can."""
    errors = {}
    if not isinstance(year, int) or isinstance(year, bool) or not YEAR_MIN <= year <= YEAR_MAX:
        errors["year"] = f"年份：请填写 {YEAR_MIN}—{YEAR_MAX} 之间的四位年份。"
    elif not SpecialDay.objects.filter(date__year=year, kind=SpecialDay.Kind.HOLIDAY).exists():
        errors["year"] = (
            f"年份：{year}年还没有录入任何放假日期。请先按国务院办公厅的通知逐日录入放假和调休上班日期，再确认。"
        )
    if not isinstance(note, str):
        errors["note"] = "依据：请填写文字。"
    elif len(note.strip()) > ScheduleYear._meta.get_field("note").max_length:
        errors["note"] = "依据：最多 200 个字。"
    return errors


@transaction.atomic
def schedule_year_confirm(*, year, user, note=""):
    """Confirm that year's schedule is fully entered, so deadlines use its special days."""
    errors = schedule_year_errors(year=year, note=note)
    if errors:
        raise ValidationError(errors)
    schedule, _ = ScheduleYear.objects.update_or_create(
        year=year,
        defaults={
            "source": Source.MANUAL,
            "confirmed_by": user,
            "confirmed_at": timezone.now(),
            "note": note.strip(),
        },
    )
    return schedule


def package_special_days():
    """Return {date: (kind, name)} of the exceptions chinese_calendar knows (weekday holidays, weekend workdays)."""
    chinese = {holiday.value: holiday.chinese for holiday in chinese_calendar.Holiday}
    days = {}
    for day, english in chinese_calendar.holidays.items():
        if day.weekday() < 5:
            name = chinese.get(getattr(english, "value", english), str(english))
            if day in chinese_calendar.in_lieu_days:
                name += "（调休）"
            days[day] = (SpecialDay.Kind.HOLIDAY.value, name)
    for day, english in chinese_calendar.workdays.items():
        if day.weekday() >= 5:
            name = chinese.get(getattr(english, "value", english), str(english))
            days[day] = (SpecialDay.Kind.WORKDAY.value, f"{name}调休上班")
    return days


@dataclass(frozen=True)
class SeedResult:
    years_added: tuple[int, ...]
    days_added: int
    days_changed: int
    days_removed: int
    conflicts: tuple[str, ...]  # hand-entered days that disagree with the package, left as they are


@transaction.atomic
def calendar_seed_from_package():
    """Bring the table up to the installed chinese_calendar; hand-entered days are kept and reported."""
    wanted = package_special_days()
    years = sorted({day.year for day in chinese_calendar.holidays})
    version = getattr(chinese_calendar, "__version__", "")
    existing = {
        day.date: day
        for day in SpecialDay.objects.filter(
            date__gte=datetime.date(years[0], 1, 1), date__lte=datetime.date(years[-1], 12, 31)
        )
    }
    added, changed, removed, conflicts = [], 0, 0, []
    for date, (kind, name) in sorted(wanted.items()):
        row = existing.get(date)
        if row is None:
            added.append(SpecialDay(date=date, kind=kind, name=name, source=Source.CHINESE_CALENDAR))
        elif row.source == Source.MANUAL:
            if row.kind != kind:
                conflicts.append(f"{date:%Y-%m-%d}：手工录入为“{row.get_kind_display()}”，软件包为“{name}”")
        elif (row.kind, row.name) != (kind, name):
            row.kind, row.name = kind, name
            row.save(update_fields=["kind", "name", "updated_at"])
            changed += 1
    for date, row in sorted(existing.items()):
        if date in wanted:
            continue
        if row.source == Source.MANUAL:
            conflicts.append(f"{date:%Y-%m-%d}：手工录入为“{row.get_kind_display()}”，软件包中是普通日子")
        else:
            row.delete()
            removed += 1
    SpecialDay.objects.bulk_create(added)
    known = set(ScheduleYear.objects.filter(year__in=years).values_list("year", flat=True))
    new_years = [year for year in years if year not in known]
    ScheduleYear.objects.bulk_create(
        ScheduleYear(
            year=year, source=Source.CHINESE_CALENDAR, confirmed_at=timezone.now(), note=f"chinesecalendar {version}"
        )
        for year in new_years
    )
    return SeedResult(tuple(new_years), len(added), changed, removed, tuple(conflicts))
