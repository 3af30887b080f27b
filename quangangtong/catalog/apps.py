from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "quangangtong.catalog"
    verbose_name = "事项清单"
