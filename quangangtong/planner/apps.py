from django.apps import AppConfig


class PlannerConfig(AppConfig):
    name = "quangangtong.planner"
    verbose_name = "产能规划"
