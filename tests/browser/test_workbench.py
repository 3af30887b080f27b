"""An officer works window 3 from the keyboard, in a real browser."""

import datetime
import re

import pytest
from django.contrib.auth.models import User

from quangangtong.hall.models import Site
from quangangtong.queueing.models import Channel, TicketStatus
from quangangtong.queueing.services import ticket_issue

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def hall(db):
    from quangangtong.demo.loader import DEMO_PASSWORD, demo_load

    demo_load()
    site = Site.objects.get(code="qjq-hall")
    site.closing_time = datetime.time.max  # the kiosk refuses tickets after closing time; tests run at any hour
    site.save(update_fields=["closing_time"])
    return site, DEMO_PASSWORD


def _sign_in(page, live_server, username, password):
    page.goto(live_server.url + "/staff/workbench/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(re.compile(r"/staff/workbench/$"))


def test_an_officer_calls_starts_and_finishes_a_kiosk_ticket_with_shortcuts(live_server, hall, page):
    site, password = hall
    _sign_in(page, live_server, "officer03", password)
    page.get_by_role("button", name="在3号窗口签到").click()
    page.wait_for_url(re.compile(r"/staff/workbench/$"))
    assert page.locator("#wb-eligible").inner_text() == "0"

    ticket, _ = ticket_issue(site=site, category="A", channel=Channel.KIOSK)
    # The count comes in by polling, without reloading the page.
    page.wait_for_function("document.getElementById('wb-eligible').textContent === '1'", timeout=10_000)
    assert page.locator('[data-count="waiting-A"]').inner_text() == "1"

    page.keyboard.press("n")
    page.locator(".wb-number", has_text="A001").wait_for()
    assert "已叫号：A001" in page.locator(".messages").inner_text()
    assert page.locator("#wb-status").inner_text().startswith("已叫号")
    assert page.locator("#wb-finish").is_disabled()

    page.keyboard.press("s")
    page.locator("#wb-status", has_text="办理中").wait_for()
    assert page.locator("#wb-start").is_disabled()

    page.keyboard.press("f")
    page.locator(".messages", has_text="A001号已办结").wait_for()
    assert page.locator("#wb-finished").inner_text() == "1"
    assert page.locator("#wb-call-next").is_enabled()

    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.FINISHED
    steps = list(ticket.events.values_list("kind", "window__number", "officer__username"))
    officer = User.objects.get(username="officer03").username
    assert steps == [
        ("issued", None, None),
        ("called", 3, officer),
        ("serving", 3, officer),
        ("finished", 3, officer),
    ]
    assert ticket.events.get(kind="issued").detail["channel"] == "kiosk"


def test_shortcuts_are_ignored_while_typing(live_server, hall, page):
    site, password = hall
    _sign_in(page, live_server, "officer03", password)
    page.get_by_role("button", name="在3号窗口签到").click()
    page.wait_for_url(re.compile(r"/staff/workbench/$"))
    ticket, _ = ticket_issue(site=site, category="A", channel=Channel.KIOSK)
    page.reload()
    page.keyboard.press("n")
    page.locator(".wb-number", has_text="A001").wait_for()
    page.locator("#wb-transfer-category").focus()
    page.keyboard.press("s")
    page.wait_for_timeout(500)
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.CALLED
    assert page.locator("#wb-status").inner_text().startswith("已叫号")
