from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "quangangtong.cases"
    verbose_name = "办件"
