"""Each role against each staff page and API call: exactly what it may, nothing more."""

import pytest
from django.urls import reverse

from quangangtong.accounts.roles import Role

pytestmark = pytest.mark.django_db

ANYONE = {None, *Role}
STAFF = set(Role)
MANAGER = {Role.HALL_MANAGER}

# (method, url name or path, roles allowed); anonymous is refused unless None is in the set.
RULES = [
    ("get", "guide-home", ANYONE),
    ("get", "guide-items", ANYONE),
    ("get", "guide-modes", ANYONE),
    ("get", "guide-departments", ANYONE),
    ("get", "/api/v1/items", ANYONE),
    ("get", "/api/v1/sites", ANYONE),
    ("get", "staff-home", STAFF),
    ("get", "workdays-calendar", STAFF),
    ("get", "/api/v1/workdays/deadline?start=2026-09-30&days=5", STAFF),
    ("get", "staff-catalog", MANAGER),
    ("get", "staff-catalog-export", MANAGER),
    ("post", "staff-catalog-import", MANAGER),
    ("post", "workdays-day-set", MANAGER),
    ("post", "workdays-year-confirm", MANAGER),
    ("get", "admin:index", MANAGER),
    ("get", "admin:catalog_serviceitem_changelist", MANAGER),
    ("get", "admin:hall_officerskillchange_changelist", MANAGER),
]


def _url(name):
    return name if name.startswith("/") else reverse(name)


def _allowed(response):
    # A refused user gets 401/403, or a redirect to the login page; an allowed user may still get
    # 400 for the empty POST these tests send, which proves the request got past the role check.
    if response.status_code in (401, 403):
        return False
    if response.status_code == 302:
        return "/login/" not in response["Location"]
    return response.status_code < 500


@pytest.mark.parametrize("role", [None, *Role], ids=lambda r: r.value if r else "anonymous")
@pytest.mark.parametrize(("method", "name", "allowed"), RULES, ids=[f"{m}:{n}" for m, n, _ in RULES])
def test_each_role_gets_exactly_what_it_may(client_for, role, method, name, allowed):
    client = client_for(role)
    response = getattr(client, method)(_url(name))
    assert response.status_code < 500
    assert _allowed(response) == (role in allowed), response.status_code


def test_anonymous_staff_page_redirects_to_login(client):
    response = client.get(reverse("staff-home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_an_inactive_manager_is_refused(client, make_staff):
    user = make_staff(Role.HALL_MANAGER)
    user.is_active = False
    user.save()
    client.force_login(user)
    assert client.get(reverse("staff-catalog")).status_code in (302, 403)


def test_signing_in_with_a_password_works(client, make_staff):
    make_staff(Role.WINDOW_OFFICER, username="officer99")
    response = client.post(reverse("login"), {"username": "officer99", "password": "pw-for-tests"})
    assert response.status_code == 302
    assert client.get(reverse("staff-home")).status_code == 200


def test_a_wrong_password_says_so_in_chinese(client, make_staff):
    make_staff(Role.WINDOW_OFFICER, username="officer98")
    response = client.post(reverse("login"), {"username": "officer98", "password": "nope"})
    assert response.status_code == 200
    assert "用户名或密码不正确" in response.content.decode()


def test_roles_are_groups_with_chinese_names(make_staff):
    from django.contrib.auth.models import Group

    assert set(Group.objects.values_list("name", flat=True)) >= {role.label for role in Role}


def test_only_managers_get_catalogue_permissions_in_the_admin(make_staff):
    manager = make_staff(Role.HALL_MANAGER)
    officer = make_staff(Role.WINDOW_OFFICER)
    assert manager.has_perm("catalog.change_serviceitem")
    assert manager.is_staff
    assert not officer.has_perm("catalog.change_serviceitem")
    assert not officer.is_staff


def test_the_admin_speaks_chinese_even_to_an_english_browser(client, make_staff):
    client.force_login(make_staff(Role.HALL_MANAGER))
    response = client.get(reverse("admin:index"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    body = response.content.decode()
    assert "全岗通" in body
    assert "政务服务事项" in body
    assert "站点管理" in body or "最近动作" in body
