from django.contrib.admin.apps import AdminConfig


class HallAdminConfig(AdminConfig):
    default_site = "quangangtong.accounts.admin_site.HallAdminSite"
