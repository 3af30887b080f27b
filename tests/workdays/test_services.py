"""Working-day arithmetic against the real 2026 schedule and an unconfirmed 2027."""

import datetime

import chinese_calendar
import pytest
from django.core.exceptions import ValidationError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from quangangtong.workdays.models import ScheduleYear, Source, SpecialDay
from quangangtong.workdays.services import (
    WorkdayCalendar,
    add_working_days,
    calendar_seed_from_package,
    calendar_warnings,
    deadline_compute,
    is_working_day,
    schedule_year_confirm,
    special_day_set,
    unconfirmed_years,
    working_days_between,
)

pytestmark = pytest.mark.django_db
D = datetime.date


@pytest.fixture
def manager(make_staff):
    from quangangtong.accounts.roles import Role

    return make_staff(Role.HALL_MANAGER)


def test_it_skips_the_national_day_week_and_counts_the_makeup_saturday():
    assert add_working_days(D(2026, 9, 30), 5) == D(2026, 10, 13)
    assert working_days_between(D(2026, 9, 30), D(2026, 10, 13)) == 5
    assert deadline_compute(start=D(2026, 9, 30), working_days=5).is_confirmed


def test_it_knows_makeup_saturdays_and_holidays():
    assert is_working_day(D(2026, 2, 14))  # Saturday, 春节调休上班
    assert not is_working_day(D(2026, 10, 1))
    assert not is_working_day(D(2026, 10, 17))  # ordinary Saturday
    assert is_working_day(D(2026, 10, 12))


def test_it_does_not_count_the_start_day():
    assert add_working_days(D(2026, 10, 12), 1) == D(2026, 10, 13)
    assert add_working_days(D(2026, 10, 17), 1) == D(2026, 10, 19)  # accepted on a Saturday
    assert add_working_days(D(2026, 10, 1), 0) == D(2026, 10, 1)
    assert working_days_between(D(2026, 10, 13), D(2026, 10, 13)) == 0


def test_it_mirrors_backwards():
    assert working_days_between(D(2026, 10, 13), D(2026, 9, 30)) == -5
    assert add_working_days(D(2026, 10, 13), -5) == D(2026, 9, 30)


def test_it_warns_when_the_deadline_runs_into_an_unconfirmed_year():
    deadline = deadline_compute(start=D(2026, 12, 28), working_days=15)
    assert deadline.unconfirmed_years == (2027,)
    assert not deadline.is_confirmed
    assert deadline.warning == "2027年的节假日安排尚未录入，截止日期按周末推算，请在国务院公布安排后复核。"
    # Weekends only: 12-29..12-31 (3), 2027-01-01 Friday (4), 01-04..01-08 (9), 01-11..01-15 (14), 01-18 (15).
    assert deadline.due == D(2027, 1, 18)


def test_it_ignores_an_unconfirmed_years_special_days(manager):
    special_day_set(date=D(2027, 1, 1), kind=SpecialDay.Kind.HOLIDAY, name="元旦", user=manager)
    assert is_working_day(D(2027, 1, 1))
    assert deadline_compute(start=D(2026, 12, 28), working_days=15).due == D(2027, 1, 18)


def test_the_deadline_moves_once_the_manager_confirms_the_next_year(manager):
    special_day_set(date=D(2027, 1, 1), kind=SpecialDay.Kind.HOLIDAY, name="元旦", user=manager)
    schedule_year_confirm(year=2027, user=manager, note="国务院办公厅关于2027年部分节假日安排的通知")
    deadline = deadline_compute(start=D(2026, 12, 28), working_days=15)
    assert deadline.due == D(2027, 1, 19)
    assert deadline.is_confirmed
    assert deadline.unconfirmed_years == ()
    assert deadline.warning == ""
    assert ScheduleYear.objects.get(year=2027).confirmed_by == manager


def test_a_deadline_inside_one_day_has_nothing_unconfirmed():
    deadline = deadline_compute(start=D(2026, 12, 31), working_days=0)
    assert deadline.due == D(2026, 12, 31)
    assert deadline.is_confirmed


def test_unconfirmed_years_lists_years_without_a_schedule():
    assert unconfirmed_years(D(2025, 6, 1), D(2028, 1, 1)) == [2027, 2028]
    assert unconfirmed_years(2004, 2026) == []


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    start=st.dates(min_value=D(2024, 1, 1), max_value=D(2027, 12, 31)),
    n=st.integers(min_value=0, max_value=60),
)
def test_counting_and_adding_are_inverse(start, n):
    due = add_working_days(start, n)
    assert working_days_between(start, due) == n
    if n >= 1:
        assert is_working_day(due)
        assert due > start


def test_it_agrees_with_chinese_calendar_on_every_day_it_knows(django_assert_max_num_queries):
    with django_assert_max_num_queries(2):
        calendar = WorkdayCalendar(D(2004, 1, 1), D(2026, 12, 31))
    day = D(2004, 1, 1)
    disagreements = []
    with django_assert_max_num_queries(0):
        while day <= D(2026, 12, 31):
            if calendar.is_working_day(day) != chinese_calendar.is_workday(day):
                disagreements.append(day)
            day += datetime.timedelta(days=1)
    assert disagreements == []


def test_adding_working_days_reads_the_table_a_bounded_number_of_times(django_assert_max_num_queries):
    with django_assert_max_num_queries(2):
        assert add_working_days(D(2026, 9, 30), 60) == D(2026, 12, 29)
    with django_assert_max_num_queries(4):
        add_working_days(D(2026, 12, 1), 60)  # crosses into 2027


def test_a_shared_calendar_computes_many_deadlines_with_few_queries(django_assert_max_num_queries):
    starts = [D(2026, 1, 1) + datetime.timedelta(days=i) for i in range(200)]
    with django_assert_max_num_queries(3):
        calendar = WorkdayCalendar(starts[0], starts[-1])
        deadlines = [deadline_compute(start=s, working_days=20, calendar=calendar) for s in starts]
    assert all(is_working_day(d.due) for d in deadlines)


def test_special_day_set_rejects_a_weekend_holiday_and_writes_nothing(manager):
    with pytest.raises(ValidationError) as exc:
        special_day_set(date=D(2027, 1, 2), kind=SpecialDay.Kind.HOLIDAY, name="元旦", user=manager)
    assert "日期" in exc.value.message_dict["date"][0]
    assert "星期六" in exc.value.message_dict["date"][0]
    assert not SpecialDay.objects.filter(date__year=2027).exists()


def test_special_day_set_rejects_a_weekday_makeup_day_and_a_blank_name(manager):
    with pytest.raises(ValidationError) as exc:
        special_day_set(date=D(2027, 1, 4), kind=SpecialDay.Kind.WORKDAY, name="  ", user=manager)
    assert set(exc.value.message_dict) == {"date", "name"}
    assert exc.value.message_dict["name"][0].startswith("名称：")


def test_special_day_set_changes_an_existing_day(manager):
    special_day_set(date=D(2027, 2, 6), kind=SpecialDay.Kind.WORKDAY, name="春节调休上班", user=manager)
    special_day_set(date=D(2027, 2, 6), kind=SpecialDay.Kind.WORKDAY, name="春节补班", user=manager)
    day = SpecialDay.objects.get(date=D(2027, 2, 6))
    assert (day.name, day.source, day.created_by) == ("春节补班", Source.MANUAL, manager)


def test_a_year_without_any_holiday_cannot_be_confirmed(manager):
    with pytest.raises(ValidationError) as exc:
        schedule_year_confirm(year=2027, user=manager, note="")
    assert exc.value.message_dict["year"][0].startswith("年份：2027年还没有录入")
    assert not ScheduleYear.objects.filter(year=2027).exists()


def test_the_seed_covers_every_package_year_and_is_idempotent():
    assert set(ScheduleYear.objects.values_list("year", flat=True)) == set(range(2004, 2027))
    assert SpecialDay.objects.get(date=D(2026, 10, 1)).name == "国庆节"
    assert SpecialDay.objects.get(date=D(2026, 10, 10)).name == "国庆节调休上班"
    assert not SpecialDay.objects.filter(date=D(2026, 10, 3)).exists()  # Saturday: nothing to store
    count = SpecialDay.objects.count()
    result = calendar_seed_from_package()
    assert (result.years_added, result.days_added, result.days_changed, result.days_removed) == ((), 0, 0, 0)
    assert SpecialDay.objects.count() == count


def test_the_seed_restores_package_days_and_keeps_hand_entered_ones(manager):
    SpecialDay.objects.filter(date=D(2026, 10, 1)).delete()
    ScheduleYear.objects.filter(year=2025).delete()
    special_day_set(date=D(2026, 10, 8), kind=SpecialDay.Kind.HOLIDAY, name="本地假日", user=manager)
    result = calendar_seed_from_package()
    assert result.years_added == (2025,)
    assert result.days_added == 1
    assert SpecialDay.objects.get(date=D(2026, 10, 8)).source == Source.MANUAL
    assert any(c.startswith("2026-10-08") for c in result.conflicts)


def test_calendar_warnings_ask_for_next_year_from_october():
    assert calendar_warnings(today=D(2026, 9, 30)) == []
    [warning] = calendar_warnings(today=D(2026, 10, 1))
    assert warning.startswith("2027年的节假日安排尚未录入")
    assert len(calendar_warnings(today=D(2027, 3, 1))) == 2  # this year and next year both missing
