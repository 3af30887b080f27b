import calendar
import datetime

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from quangangtong.accounts.roles import Role, role_required, user_has_role
from quangangtong.workdays.forms import ScheduleYearForm, SpecialDayForm
from quangangtong.workdays.models import WEEKDAY_NAMES, ScheduleYear, SpecialDay
from quangangtong.workdays.services import (
    YEAR_MAX,
    YEAR_MIN,
    calendar_warnings,
    schedule_year_confirm,
    special_day_set,
)

MONTH_NAMES = [f"{m}月" for m in range(1, 13)]


def _year_ranges(years):
    """Return "2004—2026、2028" for a sorted list of years."""
    ranges, start, prev = [], None, None
    for year in years:
        if start is None:
            start = prev = year
        elif year == prev + 1:
            prev = year
        else:
            ranges.append((start, prev))
            start = prev = year
    if start is not None:
        ranges.append((start, prev))
    return "、".join(f"{a}" if a == b else f"{a}—{b}" for a, b in ranges)


def _months(year, special):
    """Return the 12 month grids of year, each cell (date or None, css class, title)."""
    today = timezone.localdate()
    months = []
    for month in range(1, 13):
        weeks = []
        for week in calendar.Calendar(firstweekday=0).monthdatescalendar(year, month):
            cells = []
            for day in week:
                if day.month != month:
                    cells.append((None, "outside", ""))
                    continue
                row = special.get(day)
                if row is not None:
                    css = "off" if row.kind == SpecialDay.Kind.HOLIDAY else "makeup"
                    title = f"{row.name}（{row.get_kind_display()}）"
                elif day.weekday() >= 5:
                    css, title = "weekend", "周末"
                else:
                    css, title = "", "工作日"
                if day == today:
                    css += " today"
                cells.append((day, css, title))
            weeks.append(cells)
        months.append((MONTH_NAMES[month - 1], weeks))
    return months


def _calendar_render(request, *, year, day_form=None, year_form=None, errors=(), status=200):
    special_days = list(SpecialDay.objects.filter(date__year=year).select_related("created_by"))
    schedules = list(ScheduleYear.objects.select_related("confirmed_by"))
    schedule = next((s for s in schedules if s.year == year), None)
    is_manager = user_has_role(request.user, Role.HALL_MANAGER)
    context = {
        "year": year,
        "prev_year": year - 1 if year > YEAR_MIN else None,
        "next_year": year + 1 if year < YEAR_MAX else None,
        "schedule": schedule,
        "confirmed_years": _year_ranges([s.year for s in schedules]),
        "special_days": special_days,
        "months": _months(year, {d.date: d for d in special_days}),
        "weekday_names": [name[-1] for name in WEEKDAY_NAMES],
        "warnings": calendar_warnings(),
        "errors": errors,
        "is_manager": is_manager,
    }
    if is_manager:
        context["day_form"] = day_form or SpecialDayForm(initial={"date": datetime.date(year, 1, 1)})
        context["year_form"] = year_form or ScheduleYearForm(initial={"year": year})
    return render(request, "workdays/calendar.html", context, status=status)


def _form_errors(form):
    return [message for messages in form.errors.values() for message in messages]


def _year_posted(value):
    """Return the year a rejected form was about, to show that year's calendar again."""
    head = (value or "").strip()[:4]
    if head.isdigit() and YEAR_MIN <= int(head) <= YEAR_MAX:
        return int(head)
    return timezone.localdate().year


@role_required()
def workdays_calendar(request):
    """Show a year's holidays and 调休上班 days, and whether the year's schedule is confirmed."""
    year, errors = timezone.localdate().year, []
    raw = request.GET.get("year")
    if raw:
        try:
            year = int(raw)
            if not YEAR_MIN <= year <= YEAR_MAX:
                raise ValueError
        except ValueError:
            year = timezone.localdate().year
            errors.append(f"年份：请填写 {YEAR_MIN}—{YEAR_MAX} 之间的四位年份，例如 2027。")
    return _calendar_render(request, year=year, errors=errors, status=400 if errors else 200)


@role_required(Role.HALL_MANAGER)
@require_POST
def workdays_day_set(request):
    """Enter or change one holiday or 调休上班 day."""
    form = SpecialDayForm(request.POST)
    if form.is_valid():
        try:
            day = special_day_set(**form.cleaned_data, user=request.user)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, f"已保存：{day}。")
            return redirect(f"{reverse('workdays-calendar')}?year={day.date.year}")
    return _calendar_render(
        request, year=_year_posted(form.data.get("date")), day_form=form, errors=_form_errors(form), status=400
    )


@role_required(Role.HALL_MANAGER)
@require_POST
def workdays_year_confirm(request):
    """Confirm that a year's State Council schedule is fully entered."""
    form = ScheduleYearForm(request.POST)
    if form.is_valid():
        try:
            schedule = schedule_year_confirm(**form.cleaned_data, user=request.user)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, f"已确认{schedule.year}年的节假日安排，截止日期将按此计算。")
            return redirect(f"{reverse('workdays-calendar')}?year={schedule.year}")
    return _calendar_render(
        request, year=_year_posted(form.data.get("year")), year_form=form, errors=_form_errors(form), status=400
    )
