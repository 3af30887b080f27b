from quangangtong.accounts.roles import Role, user_roles


def roles(request):
    """Put the user's roles in every template, for menus that show only what the user may use."""
    held = user_roles(getattr(request, "user", None)) if hasattr(request, "user") else frozenset()
    return {"user_roles": {role.value for role in held}, "Role": Role}
