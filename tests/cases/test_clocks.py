"""The clocks on the real 2026 calendar (National Day week, the worked Saturday 10-10) and as properties."""

import datetime

import chinese_calendar
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from quangangtong.cases.clocks import (
    WarningLevel,
    case_clock,
    due_date,
    limit_working_days,
    remaining_working_days,
    step_limit,
    suspended_days,
    warning_level,
)
from quangangtong.catalog.models import LimitUnit

D = datetime.date
ONE_DAY = datetime.timedelta(days=1)


class PackageCalendar:
    """The chinese_calendar package's 2004–2026 schedule, without the database (for pure tests)."""

    def is_working_day(self, day):
        return chinese_calendar.is_workday(day)

    def add_working_days(self, start, n):
        day, left = start, n
        while left:
            day += ONE_DAY
            left -= self.is_working_day(day)
        return day

    def working_days_between(self, a, b):
        if b < a:
            return -self.working_days_between(b, a)
        return sum(self.is_working_day(a + ONE_DAY * k) for k in range(1, (b - a).days + 1))


CAL = PackageCalendar()


def clock(today, *, promised=5, legal=20, suspensions=(), **rules):
    return case_clock(
        accepted_on=D(2026, 9, 30), legal_limit=legal, legal_unit=LimitUnit.WORKING_DAY, promised_limit=promised,
        promised_unit=LimitUnit.WORKING_DAY, suspensions=list(suspensions), today=today, calendar=CAL,
        **{"yellow_days": 2, "yellow_percent": 20, **rules},
    )  # fmt: skip


def test_it_counts_five_working_days_over_national_day():
    assert due_date(start=D(2026, 9, 30), limit=5, unit=LimitUnit.WORKING_DAY, calendar=CAL) == D(2026, 10, 13)


def test_it_counts_the_legal_limit_on_the_same_calendar():
    assert clock(D(2026, 9, 30)).legal_due == D(2026, 11, 3)


def test_it_ends_a_natural_day_limit_on_the_next_working_day_after_a_holiday():
    # 2026-09-28 + 3 days is Thursday 10-01, a holiday: the limit runs to the next working day (民法典 §203).
    assert due_date(start=D(2026, 9, 28), limit=3, unit=LimitUnit.NATURAL_DAY, calendar=CAL) == D(2026, 10, 8)
    assert due_date(start=D(2026, 9, 14), limit=3, unit=LimitUnit.NATURAL_DAY, calendar=CAL) == D(2026, 9, 17)


def test_it_treats_an_immediate_limit_as_due_the_same_day():
    assert due_date(start=D(2026, 9, 30), limit=0, unit=LimitUnit.IMMEDIATE, calendar=CAL) == D(2026, 9, 30)


def test_it_rounds_hours_up_to_working_days():
    assert limit_working_days(12, LimitUnit.HOUR) == 2
    assert limit_working_days(8, LimitUnit.HOUR) == 1
    assert limit_working_days(0, LimitUnit.IMMEDIATE) == 0


def test_it_moves_the_due_date_by_the_working_days_a_suspension_covered():
    # 10 days suspended, 10-09 to 10-19: the working days in (10-09, 10-19] are 10-10 (worked Saturday),
    # 10-12 … 10-16 and 10-19, seven in all.
    assert suspended_days([(D(2026, 10, 9), D(2026, 10, 19))], today=D(2026, 10, 20), calendar=CAL) == (7, 10)
    after = clock(D(2026, 10, 20), suspensions=[(D(2026, 10, 9), D(2026, 10, 19))])
    assert after.promised_due == CAL.add_working_days(D(2026, 10, 13), 7) == D(2026, 10, 22)
    assert after.legal_due == CAL.add_working_days(D(2026, 11, 3), 7)


def test_it_counts_a_running_suspension_up_to_today_so_remaining_days_stand_still():
    running = [(D(2026, 10, 9), None)]
    assert clock(D(2026, 10, 9), suspensions=running).remaining_working_days == 3
    assert clock(D(2026, 10, 14), suspensions=running).remaining_working_days == 3
    assert clock(D(2026, 10, 14), suspensions=running).warning == WarningLevel.GREEN


@pytest.mark.parametrize(
    ("today", "remaining", "warning"),
    [
        (D(2026, 9, 30), 5, WarningLevel.GREEN),
        (D(2026, 10, 3), 5, WarningLevel.GREEN),  # the holiday does not use up the limit
        (D(2026, 10, 9), 3, WarningLevel.GREEN),
        (D(2026, 10, 10), 2, WarningLevel.YELLOW),  # the worked Saturday counts
        (D(2026, 10, 11), 2, WarningLevel.YELLOW),
        (D(2026, 10, 13), 0, WarningLevel.YELLOW),  # due today, not yet late
        (D(2026, 10, 14), -1, WarningLevel.RED),
        (D(2026, 10, 17), -3, WarningLevel.RED),  # a Saturday: still 3 working days late
    ],
)
def test_it_turns_yellow_and_red_on_the_right_days(today, remaining, warning):
    now = clock(today)
    assert (now.remaining_working_days, now.warning) == (remaining, warning)


def test_it_warns_by_percentage_when_that_leaves_more_days():
    # 10-day promise due 10-20; 40 % is 4 days left: on 10-14 (10-15, 16, 19, 20 left).
    assert clock(D(2026, 10, 13), promised=10, yellow_days=None, yellow_percent=40).warning == WarningLevel.GREEN
    assert clock(D(2026, 10, 14), promised=10, yellow_days=None, yellow_percent=40).warning == WarningLevel.YELLOW


def test_it_does_not_warn_when_no_threshold_is_set():
    assert clock(D(2026, 10, 13), yellow_days=None, yellow_percent=None).warning == WarningLevel.GREEN


def test_it_turns_red_past_the_legal_due_even_within_the_promise():
    assert clock(D(2026, 10, 14), promised=10, legal=5).warning == WarningLevel.RED


def test_it_gives_each_step_its_share_of_the_promise():
    assert step_limit(promised_limit=5, share=50) == 3
    assert step_limit(promised_limit=5, share=20) == 1
    assert step_limit(promised_limit=1, share=10) == 1


def test_it_warns_when_a_step_overruns_its_share():
    # 10-day promise, 承办 50 % = 5 working days from 09-30: due 10-13; on 10-14 the case itself has 4 left.
    on_time = clock(D(2026, 10, 13), promised=10, step_started_on=D(2026, 9, 30), step_share=50)
    late = clock(D(2026, 10, 14), promised=10, step_started_on=D(2026, 9, 30), step_share=50)
    assert (on_time.step_due, on_time.step_overdue, on_time.warning) == (D(2026, 10, 13), False, WarningLevel.GREEN)
    assert (late.step_overdue, late.warning) == (True, WarningLevel.YELLOW)


def test_it_extends_a_step_by_the_suspensions_started_in_it():
    late = clock(
        D(2026, 10, 14), promised=10, step_started_on=D(2026, 9, 30), step_share=50,
        suspensions=[(D(2026, 10, 9), D(2026, 10, 12))],
    )  # fmt: skip
    assert (late.step_due, late.step_overdue) == (D(2026, 10, 15), False)


# --- properties ---------------------------------------------------------------------------------

DAYS = st.dates(min_value=D(2024, 1, 1), max_value=D(2026, 6, 30))


@settings(max_examples=200)
@given(start=DAYS, limit=st.integers(0, 60))
def test_it_always_ends_a_working_day_limit_on_a_working_day_with_exactly_that_many_days(start, limit):
    due = due_date(start=start, limit=limit, unit=LimitUnit.WORKING_DAY, calendar=CAL)
    assert CAL.working_days_between(start, due) == limit
    assert limit == 0 or CAL.is_working_day(due)
    assert remaining_working_days(today=start, due=due, calendar=CAL) == limit


@settings(max_examples=200)
@given(start=DAYS, limit=st.integers(1, 60), offset=st.integers(0, 30), length=st.integers(0, 30))
def test_a_suspension_never_shortens_and_moves_by_exactly_its_working_days(start, limit, offset, length):
    began = start + ONE_DAY * offset
    ended = began + ONE_DAY * length
    working, _ = suspended_days([(began, ended)], today=ended, calendar=CAL)
    plain = due_date(start=start, limit=limit, unit=LimitUnit.WORKING_DAY, calendar=CAL)
    moved = due_date(start=start, limit=limit, unit=LimitUnit.WORKING_DAY, calendar=CAL, suspended_working_days=working)
    assert moved >= plain
    assert CAL.working_days_between(plain, moved) == working


@settings(max_examples=300)
@given(
    due=DAYS,
    today=DAYS,
    limit=st.integers(1, 30),
    yellow_days=st.none() | st.integers(0, 5),
    yellow_percent=st.none() | st.integers(0, 100),
)
def test_the_colour_is_red_exactly_when_late_and_never_green_when_less_is_left(
    due, today, limit, yellow_days, yellow_percent
):
    remaining = remaining_working_days(today=today, due=due, calendar=CAL)
    level = warning_level(
        today=today, due=due, remaining=remaining, limit=limit, yellow_days=yellow_days, yellow_percent=yellow_percent
    )
    assert (level == WarningLevel.RED) == (today > due)
    if level == WarningLevel.YELLOW and remaining > 0:
        fewer = warning_level(
            today=today, due=due, remaining=remaining - 1, limit=limit, yellow_days=yellow_days,
            yellow_percent=yellow_percent,
        )  # fmt: skip
        assert fewer == WarningLevel.YELLOW
