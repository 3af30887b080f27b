"""The kiosk, the printed ticket, the public ticket page and the guide's tablet."""

import datetime
import re
import uuid

import pytest
from django.contrib.auth.models import User
from django.core import signing
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from quangangtong.accounts.models import ApiToken, TokenKind
from quangangtong.accounts.roles import Role
from quangangtong.accounts.services import api_token_create
from quangangtong.catalog.models import ServiceItem
from quangangtong.hall.models import Site
from quangangtong.queueing import kiosk_views
from quangangtong.queueing.models import Channel, IssueRequest, Ticket, TicketPriority, TicketStatus
from quangangtong.queueing.services import (
    ticket_call_next,
    ticket_issue,
    ticket_position,
    window_sign_in,
)


@pytest.fixture(autouse=True)
def daytime(monkeypatch):
    """Run the hall at 10:00 today, whatever the clock says, so that tickets are still being issued."""
    real_now = timezone.now
    start = real_now()
    opening = timezone.make_aware(datetime.datetime.combine(timezone.localdate(start), datetime.time(10)))
    monkeypatch.setattr(timezone, "now", lambda: opening + (real_now() - start))


def _register(client, site):
    token, raw = api_token_create(kind=TokenKind.KIOSK, name="1号自助取号机", site=site)
    return token, client.get(reverse("kiosk", args=[site.code]), {"token": raw})


@pytest.fixture
def kiosk(client, floor):
    token, response = _register(client, floor)
    assert response.status_code == 302
    return token


def _home(client, site="qjq-hall", **query):
    return client.get(reverse("kiosk", args=[site]), query)


def _take(client, site="qjq-hall", **data):
    data.setdefault("key", uuid.uuid4().hex)
    data.setdefault("priority", str(TicketPriority.NORMAL.value))
    return client.post(reverse("kiosk-take", args=[site]), data)


def _error(response):
    match = re.search(r'<p class="error" role="alert">(.*?)</p>', response.content.decode(), re.S)
    return match.group(1) if match else ""


# --- registering the kiosk --------------------------------------------------------------------------


def test_it_refuses_a_terminal_that_is_not_registered(client, floor):
    response = _home(client)
    assert response.status_code == 403
    assert "本终端尚未登记为自助取号机" in response.content.decode()
    assert _take(client, category="A").status_code == 403
    assert client.get(reverse("kiosk-take", args=["qjq-hall"]), {"category": "A"}).status_code == 403
    assert not Ticket.objects.exists()


def test_it_registers_a_kiosk_with_its_token_and_remembers_it(client, floor):
    _token, response = _register(client, floor)
    assert response.status_code == 302
    assert response["Location"] == reverse("kiosk", args=["qjq-hall"])  # the token leaves the address bar
    cookie = response.cookies[kiosk_views.KIOSK_COOKIE]
    assert cookie["httponly"]
    assert int(cookie["max-age"]) >= 300 * 24 * 3600
    home = _home(client)
    assert home.status_code == 200
    body = home.content.decode()
    for name in ["社保医保", "民生事务", "企业服务", "出件取件", "咨询", "社会保险、就业、医疗保障"]:
        assert name in body


@pytest.mark.parametrize("which", ["garbage", "staff", "other_site", "revoked"])
def test_only_a_live_kiosk_token_of_this_site_registers(client, floor, which):
    if which == "garbage":
        raw = "qgt_not-a-token"
    elif which == "staff":
        _, raw = api_token_create(kind=TokenKind.STAFF, name="x", user=User.objects.get(username="guide01"))
    else:
        site = Site.objects.get(code="gangwan") if which == "other_site" else floor
        token, raw = api_token_create(kind=TokenKind.KIOSK, name="x", site=site)
        if which == "revoked":
            ApiToken.objects.filter(pk=token.pk).update(revoked_at=timezone.now())
    response = _home(client, token=raw)
    assert response.status_code == 403
    assert "登记令牌无效" in response.content.decode()
    assert kiosk_views.KIOSK_COOKIE not in response.cookies


def test_revoking_the_token_locks_the_kiosk(client, floor, kiosk):
    assert _home(client).status_code == 200
    ApiToken.objects.filter(pk=kiosk.pk).update(revoked_at=timezone.now())
    assert _home(client).status_code == 403
    assert _take(client, category="A").status_code == 403
    assert not Ticket.objects.exists()


def test_a_cookie_not_matching_the_token_is_refused(client, floor, kiosk):
    signer = signing.get_cookie_signer(salt=kiosk_views.KIOSK_COOKIE + kiosk_views.KIOSK_COOKIE_SALT)
    client.cookies[kiosk_views.KIOSK_COOKIE] = signer.sign(f"{kiosk.pk}:{'0' * 32}")
    assert _home(client).status_code == 403
    client.cookies[kiosk_views.KIOSK_COOKIE] = f"{kiosk.pk}:unsigned"
    assert _home(client).status_code == 403


def test_a_kiosk_serves_only_its_own_site(client, floor, kiosk):
    assert _home(client, site="gangwan").status_code == 403
    assert _take(client, site="gangwan", category="S").status_code == 403
    assert _home(client, site="no-such-site").status_code == 404


# --- the home screen and search ----------------------------------------------------------------------


def test_the_home_screen_shows_the_waiting_count_of_each_category(client, floor, kiosk):
    ticket_issue(site=floor, category="A")
    ticket_issue(site=floor, category="A")
    ticket_issue(site=floor, category="C")
    response = _home(client)
    waiting = {category.prefix: category.waiting for category in response.context["categories"]}
    assert waiting == {"A": 2, "B": 0, "C": 1, "D": 0, "E": 0}
    assert "正在等候 <b>2</b> 人" in response.content.decode()


def test_pinyin_initials_find_the_identity_card_items_served_here(client, floor, kiosk):
    response = _home(client, q="sfz")
    names = [item.name for item in response.context["results"]]
    assert "居民身份证换领" in names
    assert all("身份证" in name for name in names)
    body = response.content.decode()
    assert "居民身份证首次申领" in body
    assert "B 民生事务" in body


def test_the_search_is_limited_to_the_items_of_the_site(floor):
    station = Client()
    _register(station, Site.objects.get(code="gangwan"))
    response = _home(station, site="gangwan", q="sfz")
    assert response.context["results"] == []
    assert "没有找到“sfz”" in response.content.decode()
    delegated = _home(station, site="gangwan", q="jycyz")  # 就业创业证
    assert [item.name for item in delegated.context["results"]] == ["就业创业证申领"]


def test_every_kiosk_screen_returns_home_when_idle(client, floor, kiosk):
    idle = 'data-idle-url="/kiosk/qjq-hall/?reset=1" data-idle-seconds="60"'
    assert idle in _home(client).content.decode()
    assert idle in client.get(reverse("kiosk-take", args=["qjq-hall"]), {"category": "A"}).content.decode()


# --- choosing and issuing ------------------------------------------------------------------------------


def test_the_priority_screen_offers_appointments_only_where_they_apply(client, floor, kiosk):
    take = reverse("kiosk-take", args=["qjq-hall"])
    marriage = ServiceItem.objects.get(name="内地居民结婚登记")
    id_card = ServiceItem.objects.get(name="居民身份证换领")
    with_appointment = client.get(take, {"item": marriage.implementation_code}).content.decode()
    without = client.get(take, {"item": id_card.implementation_code}).content.decode()
    collect = client.get(take, {"category": "D"}).content.decode()
    for body in (with_appointment, without, collect):
        assert "普通" in body
        assert "绿色通道（70岁以上老人、残疾人、孕妇、军人）" in body
    assert "预约签到" in with_appointment
    assert "预约签到" not in without
    assert "预约签到" not in collect


def test_a_double_tap_makes_one_ticket(client, floor, kiosk):
    key = uuid.uuid4().hex
    first = _take(client, category="A", priority=str(TicketPriority.GREEN.value), key=key)
    second = _take(client, category="A", priority=str(TicketPriority.GREEN.value), key=key)
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    ticket = Ticket.objects.get()
    assert (ticket.number, ticket.priority, ticket.channel) == ("A001", TicketPriority.GREEN, Channel.KIOSK)
    assert first["Location"] == reverse("kiosk-ticket", args=["qjq-hall", ticket.public_token])
    assert _take(client, category="A").status_code == 302  # a new form is a new visitor
    assert Ticket.objects.count() == 2


def test_the_same_form_key_on_another_kiosk_is_another_ticket(client, floor, kiosk):
    key = uuid.uuid4().hex
    _take(client, category="A", key=key)
    other = Client()
    _register(other, floor)
    _take(other, category="A", key=key)
    assert sorted(Ticket.objects.values_list("number", flat=True)) == ["A001", "A002"]


@pytest.mark.parametrize(
    ("site", "data", "field"),
    [
        ("qjq-hall", {"category": "Z"}, "取号类别"),
        ("qjq-hall", {}, "取号类别"),
        ("qjq-hall", {"category": "A", "phone": "12345"}, "手机号码"),
        ("qjq-hall", {"item": "no-such-item"}, "事项"),
        ("gangwan", {"item": "ID_CARD"}, "事项"),
        ("qjq-hall", {"category": "A", "priority": "9"}, "优先类别"),
        ("qjq-hall", {"category": "A", "priority": "普通"}, "优先类别"),
        ("qjq-hall", {"category": "D", "priority": str(TicketPriority.APPOINTMENT.value)}, "优先类别"),
        ("qjq-hall", {"category": "A", "key": "1"}, "取号页面"),
    ],
)
def test_bad_input_is_a_400_naming_the_field_and_changes_nothing(floor, site, data, field):
    terminal = Client()
    _register(terminal, Site.objects.get(code=site))
    if data.get("item") == "ID_CARD":
        data["item"] = ServiceItem.objects.get(name="居民身份证换领").implementation_code
    response = _take(terminal, site=site, **data)
    assert response.status_code == 400
    assert _error(response).startswith(field) or field in _error(response)
    assert not Ticket.objects.exists()
    assert not IssueRequest.objects.exists()


def test_the_item_not_served_here_says_so(floor):
    station = Client()
    _register(station, Site.objects.get(code="gangwan"))
    id_card = ServiceItem.objects.get(name="居民身份证换领")
    response = _take(station, site="gangwan", item=id_card.implementation_code)
    assert _error(response) == "事项：本站点不受理“居民身份证换领”，请咨询引导员"


def test_a_bad_phone_keeps_the_form_for_correction(client, floor, kiosk):
    key = uuid.uuid4().hex
    response = _take(client, category="A", phone="12345", key=key)
    body = response.content.decode()
    assert f'name="key" value="{key}"' in body
    assert 'value="12345" aria-invalid="true"' in body
    assert _take(client, category="A", phone="138 0013 8000", key=key).status_code == 302
    assert Ticket.objects.get().phone == "13800138000"


def test_no_tickets_after_closing_time(client, floor, kiosk):
    floor.closing_time = datetime.time(9, 0)
    floor.save()
    assert "今日已停止取号" in _home(client).content.decode()
    response = _take(client, category="A")
    assert response.status_code == 409
    assert "停止取号" in _error(response)
    assert not Ticket.objects.exists()


def test_large_type_lasts_until_the_visitor_has_a_ticket(client, floor, kiosk):
    switch = reverse("kiosk-large-type", args=["qjq-hall"])
    response = client.post(switch, {"next": "/kiosk/qjq-hall/?q=sfz"})
    assert response["Location"] == "/kiosk/qjq-hall/?q=sfz"
    home = _home(client).content.decode()
    assert 'class="kiosk large"' in home
    assert 'aria-pressed="true"' in home
    assert _take(client, category="A").status_code == 302
    assert 'class="kiosk"' in _home(client).content.decode()


def test_large_type_is_dropped_when_the_kiosk_goes_idle(client, floor, kiosk):
    client.post(reverse("kiosk-large-type", args=["qjq-hall"]), {"next": "/kiosk/qjq-hall/"})
    response = _home(client, reset="1")
    assert response["Location"] == "/kiosk/qjq-hall/"
    assert 'class="kiosk"' in _home(client).content.decode()


def test_the_large_type_switch_never_leaves_the_kiosk(client, floor, kiosk):
    switch = reverse("kiosk-large-type", args=["qjq-hall"])
    for target in ["https://example.com/", "//example.com/kiosk/qjq-hall/", "/admin/"]:
        assert client.post(switch, {"next": target})["Location"] == "/kiosk/qjq-hall/"


# --- the printed ticket and the public page -------------------------------------------------------------


def test_the_printed_ticket_has_the_qr_code_and_the_queue_ahead(client, floor, kiosk):
    ticket_issue(site=floor, category="A")
    response = _take(client, category="A", phone="13800138000")
    page = client.get(response["Location"])
    body = page.content.decode()
    ticket = Ticket.objects.get(number="A002")
    assert "A002" in body
    assert "社保医保" in body
    assert "前面还有 <strong>1</strong> 人" in body
    assert '<svg class="qr"' in body
    assert "138****8000" in body
    assert "13800138000" not in body
    public_url = f"http://testserver/t/{ticket.public_token}/"
    assert page.context["public_url"] == public_url
    assert page.context["qr_svg"] == kiosk_views._qr_svg(public_url)
    assert 'data-autoprint="1"' in body
    assert 'data-return-url="/kiosk/qjq-hall/"' in body


def test_the_ticket_is_printed_on_58mm_paper(client):
    css = b"".join(client.get("/static/qgt/kiosk.css").streaming_content).decode()
    assert "@page ticket { size: 58mm 120mm; margin: 2mm; }" in css
    assert "body.ticket-print { page: ticket;" in css


def test_the_guide_prints_from_the_public_print_page(client, floor):
    ticket, _ = ticket_issue(site=floor, category="B", channel=Channel.GUIDE)
    body = client.get(reverse("ticket-print", args=[ticket.public_token]), {"print": "1"}).content.decode()
    assert '<svg class="qr"' in body
    assert "B001" in body
    assert 'data-autoprint="1"' in body


def test_the_public_page_shows_the_position_and_hides_the_phone(client, floor):
    ticket_issue(site=floor, category="A")
    ticket, _ = ticket_issue(site=floor, category="A", phone="13800138000")
    response = client.get(reverse("ticket-public", args=[ticket.public_token]))
    assert response.status_code == 200
    body = response.content.decode()
    assert "A002" in body
    assert "等候中" in body
    assert "前面还有 <strong>1</strong> 人" in body
    assert "138****8000" in body
    assert "13800138000" not in body
    assert '<meta http-equiv="refresh" content="15">' in body


def test_the_public_page_names_the_window_once_called(client, floor, officer, window3):
    first, _ = ticket_issue(site=floor, category="A")
    second, _ = ticket_issue(site=floor, category="A")
    window_sign_in(window=window3, officer=officer)
    ticket_call_next(window=window3, officer=officer)
    called = client.get(reverse("ticket-public", args=[first.public_token])).content.decode()
    assert "已叫号" in called
    assert "请到 <strong>3号窗口</strong> 办理" in called
    waiting = client.get(reverse("ticket-public", args=[second.public_token])).content.decode()
    assert "前面还有 <strong>0</strong> 人" in waiting


def test_a_finished_ticket_stops_refreshing(client, floor):
    ticket, _ = ticket_issue(site=floor, category="E")
    Ticket.objects.filter(pk=ticket.pk).update(status=TicketStatus.FINISHED)
    body = client.get(reverse("ticket-public", args=[ticket.public_token])).content.decode()
    assert "已办结" in body
    assert 'http-equiv="refresh"' not in body


@pytest.mark.parametrize("name", ["ticket-public", "ticket-print"])
def test_an_unknown_ticket_is_a_404_in_chinese(client, db, name):
    response = client.get(reverse(name, args=["no-such-token"]))
    assert response.status_code == 404
    assert "没有找到这张排队票" in response.content.decode()


# --- the guide's tablet ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "status"),
    [(None, 302), (Role.WINDOW_OFFICER, 403), (Role.SUPERVISOR, 403), (Role.GUIDE, 200), (Role.HALL_MANAGER, 200)],
)
def test_the_guide_page_is_for_guides_and_managers(client_for, floor, role, status):
    client = client_for(role)
    url = reverse("guide-issue", args=["qjq-hall"])
    response = client.get(url)
    assert response.status_code == status
    if role is None:
        assert response["Location"].startswith(reverse("login"))
    posted = client.post(url, {"category": "A", "priority": "2", "key": uuid.uuid4().hex})
    if status == 200:
        assert "?issued=" in posted["Location"]
    else:
        assert posted.status_code == status
    assert Ticket.objects.exists() == (status == 200)
    requeue = client.post(reverse("guide-requeue", args=["qjq-hall"]), {"number": "A001"})
    assert requeue.status_code == (409 if status == 200 else status)


@pytest.fixture
def guide(client, floor):
    client.force_login(User.objects.get(username="guide01"))
    return client


def _guide_post(client, **data):
    data.setdefault("key", uuid.uuid4().hex)
    data.setdefault("priority", str(TicketPriority.NORMAL.value))
    return client.post(reverse("guide-issue", args=["qjq-hall"]), data)


def test_a_guide_issues_a_green_channel_ticket_ahead_of_the_queue(guide, floor):
    ticket_issue(site=floor, category="A")
    key = uuid.uuid4().hex
    response = _guide_post(guide, category="A", priority=str(TicketPriority.GREEN.value), key=key)
    assert _guide_post(guide, category="A", priority=str(TicketPriority.GREEN.value), key=key).status_code == 302
    ticket = Ticket.objects.get(channel=Channel.GUIDE)
    assert (ticket.number, ticket.priority) == ("A002", TicketPriority.GREEN)
    assert ticket_position(ticket) == 0
    assert response["Location"] == f"/staff/guide/qjq-hall/?issued={ticket.pk}"
    page = guide.get(response["Location"])
    assert page.context["issued"] == ticket
    body = page.content.decode()
    assert '<p class="ticket-number">A002</p>' in body
    assert f"/t/{ticket.public_token}/print/?print=1" in body
    assert [t.number for t in page.context["recent"]] == ["A002"]


def test_a_guide_issues_an_appointment_ticket_for_an_item(guide, floor):
    marriage = ServiceItem.objects.get(name="内地居民结婚登记")
    search = guide.get(reverse("guide-issue", args=["qjq-hall"]), {"q": "jiehun"})
    assert marriage in search.context["items"]
    response = _guide_post(
        guide, item=marriage.implementation_code, priority=str(TicketPriority.APPOINTMENT.value), phone="13912345678"
    )
    assert response.status_code == 302
    ticket = Ticket.objects.get()
    assert (ticket.category.prefix, ticket.item, ticket.priority) == ("B", marriage, TicketPriority.APPOINTMENT)
    body = guide.get(response["Location"]).content.decode()
    assert "139****5678" in body
    assert "13912345678" not in body


def test_a_guide_lists_only_the_tickets_they_issued_today(guide, floor, make_staff):
    _guide_post(guide, category="A")
    colleague = Client()
    colleague.force_login(make_staff(Role.GUIDE))
    _guide_post(colleague, category="B")
    ticket_issue(site=floor, category="C")  # from a kiosk
    recent = guide.get(reverse("guide-issue", args=["qjq-hall"])).context["recent"]
    assert [t.number for t in recent] == ["A001"]


def test_a_guides_bad_input_is_a_400_naming_the_field(guide, floor):
    response = _guide_post(guide, category="Z")
    assert response.status_code == 400
    assert "取号类别" in _error(response)
    response = _guide_post(guide, category="A", phone="12345")
    assert response.status_code == 400
    assert _error(response).startswith("手机号码")
    assert not Ticket.objects.exists()


def test_a_guide_requeues_a_no_show_by_number(guide, floor, officer, window3):
    first, _ = ticket_issue(site=floor, category="A")
    ticket_issue(site=floor, category="A")
    window_sign_in(window=window3, officer=officer)
    called = ticket_call_next(window=window3, officer=officer)
    # Straight to 过号 without services.ticket_no_show, whose SELECT … FOR UPDATE fails on PostgreSQL for now.
    Ticket.objects.filter(pk=called.pk).update(status=TicketStatus.NO_SHOW)
    page = guide.get(reverse("guide-issue", args=["qjq-hall"]))
    assert [t.number for t in page.context["no_shows"]] == ["A001"]
    response = guide.post(reverse("guide-requeue", args=["qjq-hall"]), {"number": " a001 "})
    assert response.status_code == 302
    first.refresh_from_db()
    assert (first.status, first.requeued) == (TicketStatus.WAITING, True)
    assert ticket_position(first) == 1
    assert "A001号已重新排队（排在队尾），前面还有1人" in guide.get(response["Location"]).content.decode()


@pytest.mark.parametrize(
    ("number", "status", "message"),
    [("A999", 400, "票号：今天没有A999号"), ("xyz", 400, "请输入票号"), ("A001", 409, "不是过号状态")],
)
def test_requeueing_what_cannot_be_requeued_is_refused(guide, floor, number, status, message):
    ticket_issue(site=floor, category="A")
    response = guide.post(reverse("guide-requeue", args=["qjq-hall"]), {"number": number})
    assert response.status_code == status
    assert message in response.context["requeue_error"]
    assert Ticket.objects.get().status == TicketStatus.WAITING
