from django.contrib.auth.models import Group, Permission, User
from django.db import transaction

from quangangtong.accounts.roles import Role

# Model permissions each role gets in the admin; views check roles, the admin checks these.
ROLE_MODEL_PERMISSIONS = {
    Role.HALL_MANAGER: {
        "catalog": ["department", "modetag", "serviceitem", "material", "catalogimport"],
        "hall": ["site"],
        "workdays": ["specialday", "scheduleyear"],
    },
}


@transaction.atomic
def roles_ensure():
    """Create the role groups and give each its admin permissions; safe to run again."""
    for role in Role:
        group, _ = Group.objects.get_or_create(name=role.label)
        wanted = ROLE_MODEL_PERMISSIONS.get(role, {})
        permissions = Permission.objects.filter(
            content_type__app_label__in=wanted.keys(),
        )
        group.permissions.set(
            [p for p in permissions if p.content_type.model in wanted.get(p.content_type.app_label, [])]
        )


@transaction.atomic
def staff_user_create(*, username, password, roles, full_name="", email=""):
    """Create a staff account holding roles; hall managers may enter the admin."""
    roles = [Role(role) for role in roles]
    user = User.objects.create_user(username=username, password=password, email=email)
    user.first_name = full_name
    user.is_staff = Role.HALL_MANAGER in roles
    user.save(update_fields=["first_name", "is_staff"])
    user.groups.set(Group.objects.filter(name__in=[role.label for role in roles]))
    return user
