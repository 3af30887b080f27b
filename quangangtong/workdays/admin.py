from django import forms
from django.contrib import admin
from django.utils import timezone

from quangangtong.workdays.models import ScheduleYear, Source, SpecialDay
from quangangtong.workdays.services import schedule_year_errors, special_day_errors


class YearListFilter(admin.SimpleListFilter):
    title = "年份"
    parameter_name = "year"

    def lookups(self, request, model_admin):
        years = sorted({d.year for d in SpecialDay.objects.dates("date", "year")}, reverse=True)
        return [(str(year), f"{year}年") for year in years]

    def queryset(self, request, queryset):
        if self.value() and self.value().isdigit():
            return queryset.filter(date__year=int(self.value()))
        return queryset


class SpecialDayAdminForm(forms.ModelForm):
    class Meta:
        model = SpecialDay
        fields = ["date", "kind", "name"]

    def clean(self):
        data = super().clean()
        if not self.errors:
            for field, message in special_day_errors(
                date=data.get("date"), kind=data.get("kind"), name=data.get("name")
            ).items():
                self.add_error(field, message)
        return data


@admin.register(SpecialDay)
class SpecialDayAdmin(admin.ModelAdmin):
    form = SpecialDayAdminForm
    list_display = ["date", "weekday_name", "kind", "name", "source", "created_by", "updated_at"]
    list_filter = ["kind", YearListFilter, "source"]
    search_fields = ["name"]
    date_hierarchy = "date"
    readonly_fields = ["source", "created_by", "created_at", "updated_at"]

    @admin.display(description="星期")
    def weekday_name(self, obj):
        return obj.weekday_name

    def save_model(self, request, obj, form, change):
        obj.source = Source.MANUAL
        obj.created_by = request.user
        super().save_model(request, obj, form, change)


class ScheduleYearAdminForm(forms.ModelForm):
    class Meta:
        model = ScheduleYear
        fields = ["year", "note"]

    def clean(self):
        data = super().clean()
        if not self.errors:
            for field, message in schedule_year_errors(year=data.get("year"), note=data.get("note") or "").items():
                self.add_error(field, message)
        return data


@admin.register(ScheduleYear)
class ScheduleYearAdmin(admin.ModelAdmin):
    form = ScheduleYearAdminForm
    list_display = ["year", "source", "confirmed_by", "confirmed_at", "note"]
    list_filter = ["source"]
    search_fields = ["note"]
    readonly_fields = ["source", "confirmed_by", "confirmed_at"]

    def save_model(self, request, obj, form, change):
        obj.source = Source.MANUAL
        obj.confirmed_by = request.user
        obj.confirmed_at = timezone.now()
        super().save_model(request, obj, form, change)
