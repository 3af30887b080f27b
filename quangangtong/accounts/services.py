from django.contrib.auth.models import Group, Permission, User
from django.db import transaction

from quangangtong.accounts.roles import Role

# Model permissions each role gets in the admin; views check roles, the admin checks these.
ROLE_MODEL_PERMISSIONS = {
    Role.HALL_MANAGER: {
        "catalog": ["department", "modetag", "serviceitem", "material", "catalogimport"],
        "hall": ["site", "ticketcategory", "window", "officerskill", "officerskillchange", "windowsession"],
        "queueing": ["jobposting", "ticket", "ticketevent"],
        "workdays": ["specialday", "scheduleyear"],
        "accounts": ["departmentmembership"],
        "cases": [
            "case",
            "caseevent",
            "casematerial",
            "correctionnotice",
            "supervision",
            "card",
            "delivery",
            "identityview",
            "caserules",
            "itemclockrule",
        ],
        "notify": ["notification", "deliveryattempt", "messageoverride"],
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


def api_token_create(*, kind, name, user=None, site=None):
    """Make a bearer token and return (token row, the token itself, shown only now)."""
    import secrets

    from quangangtong.accounts.models import ApiToken, TokenKind

    if kind == TokenKind.STAFF and user is None:
        raise ValueError("a staff token needs a user")
    if kind == TokenKind.KIOSK and site is None:
        raise ValueError("a kiosk token needs a site")
    raw = "qgt_" + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        kind=kind, name=name, user=user, site=site, digest=ApiToken.digest_of(raw), prefix=raw[:8]
    )
    return token, raw


# Tokens recently seen by this process: digest -> (expires on the monotonic clock, token with its user, site
# and the user's roles loaded). A window's caller sends a token with every click; without this each request
# paid two queries before doing any work. The price: a revoked token, a deactivated user or a changed role
# takes effect in other processes only when their entry expires (QGT_TOKEN_CACHE_SECONDS, 5 s by default).
_recent_tokens = {}


def api_token_authenticate(raw):
    """Return the live ApiToken for a presented token, or None; note when it was last used."""
    import time

    from django.conf import settings
    from django.utils import timezone

    from quangangtong.accounts.models import ApiToken
    from quangangtong.accounts.roles import user_roles

    if not raw or not raw.startswith("qgt_") or len(raw) > 100:
        return None
    digest = ApiToken.digest_of(raw)
    cached = _recent_tokens.get(digest)
    if cached is not None and cached[0] > time.monotonic():
        return _token_copy(cached[1])
    token = ApiToken.objects.select_related("user", "site").filter(digest=digest).first()
    if token is None or token.revoked_at is not None:
        return None
    if token.user_id and not token.user.is_active:
        return None
    now = timezone.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    if token.user_id:
        user_roles(token.user)  # loaded now, kept with the cached token
    seconds = settings.QGT_TOKEN_CACHE_SECONDS
    if seconds > 0:
        if len(_recent_tokens) > 10_000:
            _recent_tokens.clear()
        _recent_tokens[digest] = (time.monotonic() + seconds, token)
    return _token_copy(token)


def _token_copy(token):
    # Each request gets its own instances: requests run in different threads and may change them.
    import copy

    copied = copy.copy(token)
    copied._state = copy.copy(token._state)
    copied._state.fields_cache = {}
    if token.user_id:
        copied.user = copy.copy(token.user)
    if token.site_id:
        copied.site = copy.copy(token.site)
    return copied


def api_tokens_forget():
    """Forget the tokens this process has seen, so a revocation here takes effect at once."""
    _recent_tokens.clear()
