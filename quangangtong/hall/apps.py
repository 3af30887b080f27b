from django.apps import AppConfig


class HallConfig(AppConfig):
    name = "quangangtong.hall"
    verbose_name = "大厅与站点"
