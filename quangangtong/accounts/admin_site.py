from django.contrib.admin import AdminSite, ModelAdmin

from quangangtong.accounts.roles import Role, user_has_role


class HallAdminSite(AdminSite):
    site_header = "全岗通 · 大厅管理后台"
    site_title = "全岗通管理后台"
    index_title = "事项清单、站点与工作日历"

    def has_permission(self, request):
        """Only hall managers (and superusers) may enter the admin."""
        user = request.user
        return user.is_active and user.is_staff and user_has_role(user, Role.HALL_MANAGER)


class ReadOnlyAdmin(ModelAdmin):
    """Records written only by the services (history, logs, imports): the admin shows them and changes nothing."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
