"""The hall's calling board in a real browser: it shows calls and announces each exactly once."""

import datetime
import time

import pytest
from django.contrib.auth.models import User
from django.utils import timezone
from playwright.sync_api import expect

from quangangtong.hall.models import Window
from quangangtong.queueing.models import LiveEvent
from quangangtong.queueing.services import ticket_call_next, ticket_issue, window_sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Speech and sound are recorded instead of played: utterances in window.__spoken, chime tones in window.__tones.
RECORDER = """
window.__spoken = [];
window.__tones = 0;
if (window.speechSynthesis) {
  window.speechSynthesis.speak = function (utterance) {
    window.__spoken.push(utterance.text);
    setTimeout(function () { if (utterance.onend) utterance.onend(new Event("end")); }, 10);
  };
}
window.AudioContext = window.webkitAudioContext = function () {
  this.currentTime = 0;
  this.state = "running";
  this.destination = {};
  this.resume = function () { return Promise.resolve(); };
  function nothing() {}
  this.createGain = function () {
    return { gain: { setValueAtTime: nothing, exponentialRampToValueAtTime: nothing }, connect: nothing };
  };
  this.createOscillator = function () {
    return { frequency: {}, connect: nothing, start: function () { window.__tones += 1; }, stop: nothing };
  };
};
"""


@pytest.fixture(scope="session")
def live_server(django_db_setup, live_server):
    """Start the live server after the test database: started before, its threads would share one connection."""
    return live_server


@pytest.fixture
def floor(transactional_db):
    """Load the demo hall with its floor, accounts and skills; return the district hall site."""
    from quangangtong.demo.loader import demo_load
    from quangangtong.hall.models import Site

    demo_load()
    return Site.objects.get(code="qjq-hall")


@pytest.fixture
def hall(floor, settings, page):
    """The demo hall, open all day (the tests use the real clock), with a quick live feed."""
    settings.QGT_LIVE_SYNC_POLL_SECONDS = 0.1
    settings.QGT_LIVE_HEARTBEAT_SECONDS = 0.3
    settings.QGT_LIVE_STREAM_SECONDS = 4
    settings.QGT_LIVE_RETRY_MS = 300
    settings.QGT_LIVE_GAP_GRACE_SECONDS = 0.2
    floor.closing_time = datetime.time(23, 59, 59)
    floor.save()
    errors = []
    page.on("pageerror", lambda error: errors.append(error))
    yield floor
    # Leave the page, and give the live server's stream time to notice before the database is emptied.
    page.goto("about:blank")
    time.sleep(1)
    assert errors == [], "the page's script failed"


def _officer(username):
    return User.objects.get(username=username)


def _window(site, number):
    return Window.objects.get(site=site, number=number)


def _open_board(page, live_server, query=""):
    page.add_init_script(RECORDER)
    page.goto(f"{live_server.url}/display/qjq-hall/{query}")
    page.wait_for_selector("body[data-live=open]")


def _spoken(page):
    return page.evaluate("window.__spoken")


def _row(page, number):
    return page.locator(f'#board-windows tr[data-window="{number}"]')


def test_the_board_shows_a_waiting_ticket_then_announces_its_call_once(live_server, hall, page):
    ticket_issue(site=hall, category="A")
    _open_board(page, live_server)
    expect(page.locator('#board-waiting li[data-prefix="A"] .count')).to_have_text("1")

    page.get_by_role("button", name="点击开启语音播报").click()
    expect(page.locator("#unlock")).to_be_hidden()

    window3 = _window(hall, 3)
    window_sign_in(window=window3, officer=_officer("officer03"))
    called = ticket_call_next(window=window3, officer=_officer("officer03"))
    assert called.number == "A001"

    expect(_row(page, 3).locator(".num")).to_have_text("A001")
    expect(_row(page, 3).locator(".st")).to_have_text("请到窗口")
    expect(page.locator("#board-latest")).to_have_text("请A001号到3号窗口办理")
    expect(page.locator('#board-waiting li[data-prefix="A"] .count')).to_have_text("0")
    page.wait_for_function("window.__spoken.length >= 1")
    time.sleep(2)
    assert _spoken(page) == ["请A001号到3号窗口办理"]
    assert page.evaluate("window.__tones") == 2  # one two-tone chime, before the speech

    page.reload()
    page.wait_for_selector("body[data-live=open]")
    expect(_row(page, 3).locator(".num")).to_have_text("A001")
    page.get_by_role("button", name="点击开启语音播报").click()
    time.sleep(2)
    assert _spoken(page) == []  # a reload does not repeat the call


def test_a_display_that_loses_its_connection_announces_every_missed_call_once(live_server, hall, page):
    for _ in range(3):
        ticket_issue(site=hall, category="A")
    officers = {1: "officer01", 2: "officer02", 3: "officer03"}
    for number, username in officers.items():
        window_sign_in(window=_window(hall, number), officer=_officer(username))
    _open_board(page, live_server, "?autoplay=1")
    expect(page.locator("#unlock")).to_be_hidden()  # kiosk mode: no click needed
    expect(page.locator('#board-waiting li[data-prefix="A"] .count')).to_have_text("3")

    page.context.set_offline(True)
    page.wait_for_selector("body[data-live=broken]")
    expect(page.locator("#board-link")).to_be_visible()
    for number, username in officers.items():
        ticket_call_next(window=_window(hall, number), officer=_officer(username))
    time.sleep(1.5)
    assert _spoken(page) == []
    expect(_row(page, 1).locator(".num")).to_have_text("—")

    page.context.set_offline(False)
    page.wait_for_function("window.__spoken.length >= 3", timeout=30_000)
    expected = ["请A001号到1号窗口办理", "请A002号到2号窗口办理", "请A003号到3号窗口办理"]
    assert _spoken(page) == expected
    for number, ticket in ((1, "A001"), (2, "A002"), (3, "A003")):
        expect(_row(page, number).locator(".num")).to_have_text(ticket)
    expect(page.locator("#board-calls li b")).to_have_text(["A003", "A002", "A001"])
    expect(page.locator("#board-link")).to_be_hidden()

    # The server ends each stream after a few seconds here; the display reconnects and says nothing again.
    opens = page.evaluate("window.qgtBoard.opens")
    page.wait_for_function(f"window.qgtBoard.opens > {opens}", timeout=15_000)
    time.sleep(1)
    assert _spoken(page) == expected

    page.reload()
    page.wait_for_selector("body[data-live=open]")
    time.sleep(2)
    assert _spoken(page) == []
    expect(_row(page, 2).locator(".num")).to_have_text("A002")


def test_a_display_too_far_behind_reloads_the_board_instead_of_reciting_old_calls(live_server, hall, page, settings):
    settings.QGT_LIVE_CATCH_UP_LIMIT = 2
    for _ in range(3):
        ticket_issue(site=hall, category="A")
    officers = {1: "officer01", 2: "officer02", 3: "officer03"}
    for number, username in officers.items():
        window_sign_in(window=_window(hall, number), officer=_officer(username))
    _open_board(page, live_server, "?autoplay=1")

    page.context.set_offline(True)
    page.wait_for_selector("body[data-live=broken]")
    for number, username in officers.items():
        ticket_call_next(window=_window(hall, number), officer=_officer(username))
    page.context.set_offline(False)

    for number, ticket in ((1, "A001"), (2, "A002"), (3, "A003")):
        expect(_row(page, number).locator(".num")).to_have_text(ticket)
    time.sleep(1.5)
    assert _spoken(page) == []
    # It starts again from the newest event, here and after a reload.
    latest = str(LiveEvent.objects.filter(site=hall).latest("id").id)
    assert page.evaluate("localStorage.getItem('qgt:display:qjq-hall:announced')") == latest


def test_a_call_that_reaches_the_screen_late_is_shown_but_not_spoken(live_server, hall, page):
    # A screen that was off for a while catches up on the calls it missed: old ones are no use aloud.
    for _ in range(2):
        ticket_issue(site=hall, category="A")
    for number, username in ((1, "officer01"), (3, "officer03")):
        window_sign_in(window=_window(hall, number), officer=_officer(username))
    _open_board(page, live_server, "?autoplay=1")

    long_ago = timezone.now() - datetime.timedelta(minutes=20)
    ticket_call_next(window=_window(hall, 1), officer=_officer("officer01"), now=long_ago)
    expect(_row(page, 1).locator(".num")).to_have_text("A001")
    ticket_call_next(window=_window(hall, 3), officer=_officer("officer03"))
    expect(_row(page, 3).locator(".num")).to_have_text("A002")
    page.wait_for_function("window.__spoken.length >= 1")
    time.sleep(1.5)
    assert _spoken(page) == ["请A002号到3号窗口办理"]
    expect(page.locator("#board-calls li b")).to_have_text(["A002", "A001"])


def test_a_paused_window_is_shown_as_paused(live_server, hall, page):
    from quangangtong.queueing.services import window_pause, window_resume

    window2 = _window(hall, 2)
    officer = _officer("officer02")
    window_sign_in(window=window2, officer=officer)
    _open_board(page, live_server, "?autoplay=1")
    expect(_row(page, 2).locator(".st")).to_have_text("等待叫号")

    window_pause(window=window2, officer=officer, reason="暂停服务")
    expect(page.locator("#board-paused")).to_have_text("2号窗口暂停服务")
    expect(_row(page, 2).locator(".st")).to_have_text("暂停服务")

    window_resume(window=window2, officer=officer)
    expect(page.locator("#board-paused li")).to_have_count(0)
    expect(_row(page, 2).locator(".st")).to_have_text("等待叫号")


def test_the_board_fits_a_hall_tv_and_a_small_screen(live_server, hall, page):
    ticket_issue(site=hall, category="B")
    page.set_viewport_size({"width": 1920, "height": 1080})
    _open_board(page, live_server, "?autoplay=1")
    assert page.evaluate("document.documentElement.scrollHeight") <= 1080
    assert page.evaluate("document.documentElement.scrollWidth") <= 1920
    last_window = page.evaluate("document.querySelector('#board-windows tr:last-child').getBoundingClientRect().bottom")
    assert last_window <= page.evaluate("document.getElementById('strip').getBoundingClientRect().top")
    number_size = page.evaluate("parseFloat(getComputedStyle(document.querySelector('#board-windows .num')).fontSize)")
    assert number_size >= 40  # readable from across the hall
    expect(page.locator("#strip-text")).not_to_be_empty()

    page.set_viewport_size({"width": 800, "height": 600})
    assert page.evaluate("document.documentElement.scrollWidth") <= 800


def test_the_strip_scrolls_on_its_own_screen(live_server, hall, page):
    page.goto(f"{live_server.url}/display/qjq-hall/strip/")
    text = page.locator("#strip-text")
    expect(text).not_to_be_empty()
    first = page.evaluate("getComputedStyle(document.getElementById('strip-text')).transform")
    time.sleep(0.5)
    assert page.evaluate("getComputedStyle(document.getElementById('strip-text')).transform") != first
