"""The hall's roles (DOMAIN.md, "The people who use it") and the checks that guard staff pages and API calls."""

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db import models


class Role(models.TextChoices):
    GUIDE = "guide", "引导员"
    WINDOW_OFFICER = "window_officer", "综合窗口人员"
    APPROVER = "approver", "后台审批人员"
    INSPECTOR = "inspector", "现场核查人员"
    SUPERVISOR = "supervisor", "督查人员"
    HALL_MANAGER = "hall_manager", "大厅管理员"
    STATION_STAFF = "station_staff", "社区工作人员"


STAFF_ROLES = frozenset(Role)


def user_roles(user):
    """Return the set of Roles this user holds (every role for a superuser)."""
    if not user.is_authenticated or not user.is_active:
        return frozenset()
    if user.is_superuser:
        return STAFF_ROLES
    cached = getattr(user, "_qgt_roles", None)
    if cached is None:
        labels = {role.label: role for role in Role}
        names = user.groups.values_list("name", flat=True)
        cached = frozenset(labels[name] for name in names if name in labels)
        user._qgt_roles = cached
    return cached


def user_has_role(user, *roles):
    return bool(user_roles(user) & set(roles or STAFF_ROLES))


def role_required(*roles):
    """Let through users holding any of roles (any staff role when none given).

    Anonymous visitors are sent to the sign-in page; signed-in users without the role get 403.
    """

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not user_has_role(request.user, *roles):
                raise PermissionDenied("您的岗位无权使用此功能。")
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def staff_session(request):
    """Authenticate an API call by the staff pages' session: any signed-in user holding a staff role."""
    user = request.user
    if user.is_authenticated and user_has_role(user):
        return user
    return None
