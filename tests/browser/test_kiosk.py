"""A visitor takes a ticket at the kiosk, in a real browser (Debian's Chromium via Playwright)."""

import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from quangangtong.accounts.models import TokenKind
from quangangtong.accounts.services import api_token_create
from quangangtong.queueing.models import Channel, Ticket, TicketPriority

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MM_IN_POINTS = 72 / 25.4


@pytest.fixture(autouse=True)
def daytime(monkeypatch):
    """Run the hall (and the live server's thread) at 10:00 today, so that tickets are still being issued."""
    real_now = timezone.now
    start = real_now()
    opening = timezone.make_aware(datetime.datetime.combine(timezone.localdate(start), datetime.time(10)))
    monkeypatch.setattr(timezone, "now", lambda: opening + (real_now() - start))


@pytest.fixture
def floor(transactional_db):
    """Load the demo hall with its floor, accounts and skills; return the district hall site."""
    from quangangtong.demo.loader import demo_load
    from quangangtong.hall.models import Site

    demo_load()
    return Site.objects.get(code="qjq-hall")


@pytest.fixture
def kiosk_url(live_server, floor, page):
    """Register the browser as the hall's kiosk; return the kiosk's home URL."""
    _token, raw = api_token_create(kind=TokenKind.KIOSK, name="1号自助取号机", site=floor)
    page.goto(f"{live_server.url}/kiosk/{floor.code}/?token={raw}")
    home = f"{live_server.url}/kiosk/{floor.code}/"
    page.wait_for_url(home)
    return home


def _font_size(locator):
    return locator.evaluate("element => parseFloat(getComputedStyle(element).fontSize)")


def test_a_70_year_old_takes_a_green_channel_ticket_and_it_prints_on_58mm(kiosk_url, page, tmp_path):
    page.add_init_script("window.printed = 0; window.print = () => { window.printed += 1; };")
    page.clock.install()
    page.goto(kiosk_url)
    category = page.get_by_role("link", name=re.compile("社保医保"))
    normal_size = _font_size(category)
    assert category.bounding_box()["height"] >= 64

    page.get_by_role("button", name=re.compile("大字模式")).click()
    expect(page.locator("body")).to_have_class(re.compile(r"\blarge\b"))
    category = page.get_by_role("link", name=re.compile("社保医保"))
    assert _font_size(category) >= 1.9 * normal_size

    category.click()
    page.wait_for_url(re.compile(r"/take/\?category=A"))
    green = page.get_by_role("button", name="绿色通道（70岁以上老人、残疾人、孕妇、军人）")
    assert green.bounding_box()["height"] >= 64
    assert _font_size(green) >= 1.9 * normal_size
    green.click()

    page.wait_for_url(re.compile(r"/kiosk/qjq-hall/tickets/[\w-]+/"))
    slip = page.locator(".slip")
    assert slip.locator(".slip-number").inner_text() == "A001"
    assert "绿色通道" in slip.inner_text()
    assert "前面还有 0 人" in slip.inner_text()
    assert slip.locator("svg.qr").is_visible()
    ticket = Ticket.objects.get()
    assert (ticket.priority, ticket.channel) == (TicketPriority.GREEN, Channel.KIOSK)
    assert not page.evaluate("document.body.classList.contains('large')")  # the next visitor starts afresh
    page.clock.run_for(1_000)
    assert page.evaluate("window.printed") == 1

    slip_mm = slip.evaluate("element => element.getBoundingClientRect().height") * 25.4 / 96
    page.emulate_media(media="print")
    assert page.get_by_role("button", name="打印排队票").is_hidden()
    assert page.locator("header.top").is_hidden()
    pdf = page.pdf(prefer_css_page_size=True, print_background=False)
    (tmp_path / "ticket.pdf").write_bytes(pdf)
    boxes = [(float(w), float(h)) for w, h in re.findall(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", pdf)]
    assert len(boxes) == 1  # one slip, one page
    width, height = boxes[0]
    assert abs(width - 58 * MM_IN_POINTS) < 2  # about 165 points
    assert abs(height - (slip_mm + 4) * MM_IN_POINTS) < 3 * MM_IN_POINTS  # cut to the slip's length, 2 mm margins

    page.emulate_media(media="screen")
    page.clock.fast_forward(16_000)  # time to take the paper; then the kiosk is ready for the next visitor
    page.wait_for_url(kiosk_url)


def test_the_public_page_from_the_qr_code_works_on_a_phone(kiosk_url, live_server, floor, page):
    from quangangtong.queueing.services import ticket_issue

    ticket_issue(site=floor, category="B")
    ticket, _ = ticket_issue(site=floor, category="B", phone="13800138000")
    page.set_viewport_size({"width": 375, "height": 740})
    page.goto(f"{live_server.url}/t/{ticket.public_token}/")
    assert "前面还有 1 人" in page.locator(".ticket-card").inner_text()
    assert "138****8000" in page.content()
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0


def test_an_idle_kiosk_goes_home_in_normal_type(kiosk_url, page):
    page.clock.install()
    page.goto(kiosk_url)
    page.get_by_role("button", name=re.compile("大字模式")).click()
    expect(page.locator("body")).to_have_class(re.compile(r"\blarge\b"))
    page.get_by_role("link", name=re.compile("民生事务")).click()
    page.wait_for_url(re.compile(r"/take/"))
    assert page.evaluate("document.body.classList.contains('large')")
    page.clock.fast_forward(61_000)
    page.wait_for_url(kiosk_url)
    assert not page.evaluate("document.body.classList.contains('large')")
    assert page.get_by_role("button", name="大字模式").get_attribute("aria-pressed") == "false"
