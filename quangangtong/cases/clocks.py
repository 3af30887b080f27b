"""The clocks of a case: its legal and promised limits, stopped by special procedures, and its warning colour.

- A limit in working days is counted from the day after acceptance (民法典 §201) without weekends and
  statutory holidays, 调休上班日 included (行政许可法 §82), by ``workdays``.
- A limit in natural days (自然日) ends on its last day, or on the next working day when that falls on a
  holiday (民法典 §203).
- The time taken by 听证、检验、检测、鉴定、专家评审 … is not counted (行政许可法 §45): each suspension moves both
  due dates by the working days (or, for a natural-day limit, the days) it covered. Like any period, a
  suspension counts from the day after it started up to the day it ended, (started, ended]; one still
  running counts up to today, so a suspended case's remaining days stay where they were.

Everything here is pure given a calendar (``workdays.services.WorkdayCalendar`` or anything with the same
three methods), so a page or the nightly run makes one calendar and passes it to every case.
"""

import datetime
import math
from dataclasses import dataclass

from django.db import models

from quangangtong.catalog.models import LimitUnit

ONE_DAY = datetime.timedelta(days=1)
WORKING_HOURS_PER_DAY = 8
# 行政许可法 §32 (四): materials incomplete → tell the applicant everything to correct "当场或者在五日内";
# "逾期不告知的，自收到申请材料之日起即为受理". §82 counts the Act's periods "以工作日计算，不含法定节假日", so
# the 五日 are five working days, counted from the day after receipt like every other period here.
INTAKE_WINDOW_WORKING_DAYS = 5


class WarningLevel(models.TextChoices):
    GREEN = "green", "绿灯（正常）"
    YELLOW = "yellow", "黄灯（临近时限）"
    RED = "red", "红灯（已超期）"


WARNING_RANK = {WarningLevel.GREEN: 0, WarningLevel.YELLOW: 1, WarningLevel.RED: 2}


def limit_working_days(limit, unit):
    """Return a limit as a number of working days (for shares and percentages); hours round up to whole days."""
    if unit == LimitUnit.IMMEDIATE:
        return 0
    if unit == LimitUnit.HOUR:
        return math.ceil(limit / WORKING_HOURS_PER_DAY)
    return limit


def due_date(*, start, limit, unit, calendar, suspended_working_days=0, suspended_calendar_days=0):
    """Return the last day of a limit that starts on start (not counted), extended by suspensions."""
    if unit == LimitUnit.NATURAL_DAY:
        day = start + datetime.timedelta(days=limit + suspended_calendar_days)
        while not calendar.is_working_day(day):
            day += ONE_DAY
        return day
    return calendar.add_working_days(start, limit_working_days(limit, unit) + suspended_working_days)


def suspended_days(periods, *, today, calendar):
    """Return (working days, calendar days) the suspensions covered; periods are (started, ended or None) dates."""
    working = natural = 0
    for started, ended in periods:
        end = ended or today
        if end <= started:
            continue
        working += calendar.working_days_between(started, end)
        natural += (end - started).days
    return working, natural


def intake_window_last_day(*, received_on, calendar):
    """Return the last day on which a case received on received_on may still get its 补正 notice or decision."""
    return calendar.add_working_days(received_on, INTAKE_WINDOW_WORKING_DAYS)


def remaining_working_days(*, today, due, calendar):
    """Return the working days left until due (0 on the due day itself, negative once it is past)."""
    return calendar.working_days_between(today, due)


def warning_level(*, today, due, remaining, limit, yellow_days=None, yellow_percent=None):
    """Return red past the due date, yellow when at most yellow_days or yellow_percent % of limit is left."""
    if today > due:
        return WarningLevel.RED
    if yellow_days is not None and remaining <= yellow_days:
        return WarningLevel.YELLOW
    if yellow_percent is not None and remaining * 100 <= yellow_percent * limit:
        return WarningLevel.YELLOW
    return WarningLevel.GREEN


def step_limit(*, promised_limit, share):
    """Return the working days a step may take: its share (%) of the promised limit, rounded up, at least one."""
    return max(1, math.ceil(promised_limit * share / 100))


@dataclass(frozen=True)
class Clock:
    legal_due: datetime.date
    promised_due: datetime.date
    suspended_working_days: int
    suspended_calendar_days: int
    remaining_working_days: int
    warning: str
    step_due: datetime.date | None = None
    step_overdue: bool = False


def case_clock(
    *, accepted_on, legal_limit, legal_unit, promised_limit, promised_unit, suspensions, today, calendar,
    yellow_days=None, yellow_percent=None, step_started_on=None, step_share=None,
):  # fmt: skip
    """Return a case's Clock on today.

    suspensions are (started, ended or None) local dates; step_started_on and step_share (%) give the
    current approval step its own due date, and a step past it turns a green case yellow.
    """
    working, natural = suspended_days(suspensions, today=today, calendar=calendar)

    def due(limit, unit):
        return due_date(
            start=accepted_on, limit=limit, unit=unit, calendar=calendar,
            suspended_working_days=working, suspended_calendar_days=natural,
        )  # fmt: skip

    legal_due, promised_due = due(legal_limit, legal_unit), due(promised_limit, promised_unit)
    remaining = remaining_working_days(today=today, due=promised_due, calendar=calendar)
    warning = warning_level(
        today=today,
        due=promised_due,
        remaining=remaining,
        limit=limit_working_days(promised_limit, promised_unit),
        yellow_days=yellow_days,
        yellow_percent=yellow_percent,
    )
    if today > legal_due:
        warning = WarningLevel.RED
    step_due, step_overdue = None, False
    if step_started_on is not None and step_share is not None:
        in_step = [(s, e) for s, e in suspensions if s >= step_started_on]
        step_working, _ = suspended_days(in_step, today=today, calendar=calendar)
        share_days = step_limit(promised_limit=limit_working_days(promised_limit, promised_unit), share=step_share)
        step_due = calendar.add_working_days(step_started_on, share_days + step_working)
        step_overdue = today > step_due
        if step_overdue and warning == WarningLevel.GREEN:
            warning = WarningLevel.YELLOW
    return Clock(
        legal_due=legal_due,
        promised_due=promised_due,
        suspended_working_days=working,
        suspended_calendar_days=natural,
        remaining_working_days=remaining,
        warning=warning,
        step_due=step_due,
        step_overdue=step_overdue,
    )
