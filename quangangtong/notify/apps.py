from django.apps import AppConfig


class NotifyConfig(AppConfig):
    name = "quangangtong.notify"
    verbose_name = "短信通知"
