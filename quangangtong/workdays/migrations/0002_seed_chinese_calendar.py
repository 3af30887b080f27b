"""Fill the calendar with every year the installed chinese_calendar knows (2004–2026 in 1.11)."""

from django.db import migrations
from django.utils import timezone


def seed(apps, schema_editor):
    # Kept apart from services.calendar_seed_from_package so later code changes cannot alter this migration.
    import chinese_calendar

    ScheduleYear = apps.get_model("workdays", "ScheduleYear")
    SpecialDay = apps.get_model("workdays", "SpecialDay")
    chinese = {holiday.value: holiday.chinese for holiday in chinese_calendar.Holiday}

    def name_of(english):
        english = getattr(english, "value", english)
        return chinese.get(english, str(english))

    days = []
    for day, english in chinese_calendar.holidays.items():
        if day.weekday() < 5:
            suffix = "（调休）" if day in chinese_calendar.in_lieu_days else ""
            days.append(SpecialDay(date=day, kind="holiday", name=name_of(english) + suffix, source="chinese_calendar"))
    for day, english in chinese_calendar.workdays.items():
        if day.weekday() >= 5:
            days.append(
                SpecialDay(date=day, kind="workday", name=name_of(english) + "调休上班", source="chinese_calendar")
            )
    known = set(SpecialDay.objects.values_list("date", flat=True))
    SpecialDay.objects.bulk_create(sorted((d for d in days if d.date not in known), key=lambda d: d.date))

    version = getattr(chinese_calendar, "__version__", "")
    years = sorted({day.year for day in chinese_calendar.holidays})
    confirmed = set(ScheduleYear.objects.values_list("year", flat=True))
    now = timezone.now()
    ScheduleYear.objects.bulk_create(
        ScheduleYear(year=year, source="chinese_calendar", confirmed_at=now, note=f"chinesecalendar {version}")
        for year in years
        if year not in confirmed
    )


def unseed(apps, schema_editor):
    apps.get_model("workdays", "SpecialDay").objects.filter(source="chinese_calendar").delete()
    apps.get_model("workdays", "ScheduleYear").objects.filter(source="chinese_calendar").delete()


class Migration(migrations.Migration):
    dependencies = [("workdays", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
