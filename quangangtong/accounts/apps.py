from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _ensure_roles(sender, **kwargs):
    from quangangtong.accounts.services import roles_ensure

    roles_ensure()


class AccountsConfig(AppConfig):
    name = "quangangtong.accounts"
    verbose_name = "人员与角色"

    def ready(self):
        post_migrate.connect(_ensure_roles, sender=self)
