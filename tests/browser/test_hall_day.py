"""The floor as the hall runs it, in three real browser windows: kiosk, calling board, workbench."""

import datetime
import re
import time

import pytest
from playwright.sync_api import expect

from quangangtong.accounts.models import TokenKind
from quangangtong.accounts.services import api_token_create
from quangangtong.hall.models import Site
from quangangtong.queueing.models import Ticket, TicketStatus
from tests.browser.test_display import RECORDER

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def hall(transactional_db, settings):
    from quangangtong.demo.loader import DEMO_PASSWORD, demo_load

    settings.QGT_LIVE_SYNC_POLL_SECONDS = 0.1
    settings.QGT_LIVE_STREAM_SECONDS = 4
    settings.QGT_LIVE_RETRY_MS = 300
    demo_load()
    site = Site.objects.get(code="qjq-hall")
    site.closing_time = datetime.time.max  # tests run at any hour; the kiosk refuses tickets after closing time
    site.save(update_fields=["closing_time"])
    return site, DEMO_PASSWORD


def test_kiosk_ticket_is_shown_called_announced_once_and_finished(live_server, hall, browser):
    site, password = hall
    contexts = [browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai") for _ in range(3)]
    kiosk, board, workbench = (context.new_page() for context in contexts)
    try:
        # The calling board, in kiosk mode (no click needed to allow sound).
        board.add_init_script(RECORDER)
        board.goto(f"{live_server.url}/display/{site.code}/?autoplay=1")
        board.wait_for_selector("body[data-live=open]")

        # A visitor takes a ticket at the registered kiosk.
        kiosk.add_init_script("window.print = () => {};")
        _token, raw = api_token_create(kind=TokenKind.KIOSK, name="1号自助取号机", site=site)
        kiosk.goto(f"{live_server.url}/kiosk/{site.code}/?token={raw}")
        kiosk.get_by_role("link", name=re.compile("社保医保")).click()
        kiosk.get_by_role("button", name=re.compile("^普通")).click()
        expect(kiosk.locator(".slip-number")).to_have_text("A001")

        # The board shows it waiting.
        expect(board.locator('#board-waiting li[data-prefix="A"] .count')).to_have_text("1")

        # An officer signs in at window 3 and calls it.
        workbench.goto(live_server.url + "/staff/workbench/")
        workbench.get_by_label("用户名").fill("officer03")
        workbench.get_by_label("密码").fill(password)
        workbench.get_by_role("button", name="登录").click()
        workbench.get_by_role("button", name="在3号窗口签到").click()
        workbench.wait_for_url(re.compile(r"/staff/workbench/$"))
        workbench.keyboard.press("n")
        workbench.locator(".wb-number", has_text="A001").wait_for()

        # The board shows the call and announces it once.
        row = board.locator('#board-windows tr[data-window="3"]')
        expect(row.locator(".num")).to_have_text("A001")
        expect(board.locator("#board-latest")).to_have_text("请A001号到3号窗口办理")
        board.wait_for_function("window.__spoken.length >= 1")

        # The officer serves and finishes it.
        workbench.keyboard.press("s")
        workbench.locator("#wb-status", has_text="办理中").wait_for()
        workbench.keyboard.press("f")
        workbench.locator(".messages", has_text="A001号已办结").wait_for()

        time.sleep(1.5)  # any second announcement would have arrived by now
        assert board.evaluate("window.__spoken") == ["请A001号到3号窗口办理"]
        ticket = Ticket.objects.get(number="A001")
        assert ticket.status == TicketStatus.FINISHED
        assert list(ticket.events.values_list("kind", "window__number", "officer__username")) == [
            ("issued", None, None),
            ("called", 3, "officer03"),
            ("serving", 3, "officer03"),
            ("finished", 3, "officer03"),
        ]
    finally:
        board.goto("about:blank")  # let the live server's stream end before the database is emptied
        time.sleep(1)
        for context in contexts:
            context.close()
