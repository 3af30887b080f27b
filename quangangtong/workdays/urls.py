from django.urls import path

from quangangtong.workdays import views

urlpatterns = [
    path("", views.workdays_calendar, name="workdays-calendar"),
    path("day/", views.workdays_day_set, name="workdays-day-set"),
    path("confirm/", views.workdays_year_confirm, name="workdays-year-confirm"),
]
