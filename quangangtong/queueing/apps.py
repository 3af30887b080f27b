from django.apps import AppConfig


class QueueingConfig(AppConfig):
    name = "quangangtong.queueing"
    verbose_name = "排队叫号"
