from django.apps import AppConfig


class WorkdaysConfig(AppConfig):
    name = "quangangtong.workdays"
    verbose_name = "工作日历"
