"""A hall manager keeps the catalogue in the Chinese admin, in a real browser."""

import re

import pytest

from quangangtong.accounts.roles import Role
from quangangtong.catalog.models import ServiceItem

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _sign_in(page, live_server, username):
    page.goto(live_server.url + "/admin/")
    page.get_by_label(re.compile("用户名")).fill(username)
    page.get_by_label(re.compile("密码")).fill("pw-for-tests")
    page.get_by_role("button", name=re.compile("登录")).click()


def test_a_manager_changes_a_promised_limit_in_the_admin(live_server, demo_hall, make_staff, page):
    make_staff(Role.HALL_MANAGER, username="manager")
    item = ServiceItem.objects.get(name="初等以下民办学校设立")
    _sign_in(page, live_server, "manager")
    page.get_by_role("link", name="政务服务事项").first.click()
    page.get_by_role("textbox").first.wait_for()
    page.goto(live_server.url + f"/admin/catalog/serviceitem/{item.pk}/change/")
    page.get_by_label("承诺办结时限:").fill("3")
    page.get_by_role("button", name="保存", exact=True).click()
    page.wait_for_url(re.compile(r"/admin/catalog/serviceitem/$"))
    assert "成功" in page.locator(".messagelist").inner_text()
    item.refresh_from_db()
    assert item.promised_limit == 3
    page.goto(live_server.url + item.get_absolute_url())
    assert page.locator("#promised-limit").inner_text() == "3个工作日"


def test_a_window_officer_cannot_enter_the_admin(live_server, make_staff, page):
    make_staff(Role.WINDOW_OFFICER, username="officer")
    _sign_in(page, live_server, "officer")
    assert page.url.endswith("/admin/login/?next=/admin/") or "/admin/login/" in page.url
    assert page.locator("#content-main").count() == 1
    assert "政务服务事项" not in page.content()
