"""The calling board, the scrolling strip and their admin: public pages with numbers only."""

import datetime
import json
import re

import pytest
from django.contrib.auth.models import User
from django.urls import reverse
from django.utils import timezone

from quangangtong.hall.models import Window
from quangangtong.queueing import live
from quangangtong.queueing.models import JobPosting, Ticket
from quangangtong.queueing.services import ticket_call_next, ticket_issue, window_pause, window_sign_in
from tests.queueing.conftest import shows_phone_tail

EXTERNAL = re.compile(r"""(?:src|href)\s*=\s*["'](?:https?:)?//""", re.IGNORECASE)


@pytest.fixture
def today_9am():
    return timezone.make_aware(datetime.datetime.combine(timezone.localdate(), datetime.time(9, 0)))


@pytest.fixture
def busy_floor(floor, officer, window3, today_9am):
    """Two A tickets waiting, A001 called to window 3, window 1 paused."""
    ticket_issue(site=floor, category="A", phone="13912345678", now=today_9am)
    ticket_issue(site=floor, category="A", now=today_9am)
    ticket_issue(site=floor, category="B", now=today_9am)
    window_sign_in(window=window3, officer=officer, now=today_9am)
    ticket_call_next(window=window3, officer=officer, now=today_9am)
    window1 = Window.objects.get(site=floor, number=1)
    other = User.objects.get(username="officer01")
    window_sign_in(window=window1, officer=other, now=today_9am)
    window_pause(window=window1, officer=other, now=today_9am)
    return floor


def test_it_shows_the_board_without_login(client, busy_floor):
    response = client.get(reverse("display-board", args=["qjq-hall"]))

    assert response.status_code == 200
    page = response.content.decode()
    row = re.search(r'<tr data-window="3".*?</tr>', page, re.S).group(0)
    assert "A001" in row
    assert "请到窗口" in row
    assert "请A001号到3号窗口办理" in page
    assert re.search(r'data-prefix="A"><span class="cat">A 社保医保</span><b class="count">1</b>', page)
    assert re.search(r'data-prefix="B"><span class="cat">B 民生事务</span><b class="count">1</b>', page)
    assert "1号窗口暂停服务" in page
    assert 'data-events-url="/live/qjq-hall/events"' in page
    assert "点击开启语音播报" in page


def test_the_board_shows_no_names_or_phones(client, busy_floor):
    page = client.get(reverse("display-board", args=["qjq-hall"])).content.decode()
    board = client.get(reverse("display-board-json", args=["qjq-hall"])).content.decode()
    for text in (page, board):
        assert "1391234" not in text
        assert not shows_phone_tail(text, "5678")
        for officer in User.objects.filter(username__startswith="officer"):
            assert officer.username not in text
            assert not officer.get_full_name() or officer.get_full_name() not in text


def test_the_pages_load_nothing_from_outside(client, busy_floor):
    for name in ("display-board", "display-strip"):
        page = client.get(reverse(name, args=["qjq-hall"])).content.decode()
        assert not EXTERNAL.search(page), name
        assert "/static/qgt/display.js" in page
        assert "/static/qgt/display.css" in page


def test_the_scripts_and_styles_are_served_by_the_app(client, db):
    for path in ("/static/qgt/display.js", "/static/qgt/display.css"):
        response = client.get(path)
        assert response.status_code == 200
        body = b"".join(response.streaming_content) if response.streaming else response.content
        assert not re.search(rb"https?://|url\(\s*['\"]?//", body), path


def test_board_json_is_the_board_state(client, busy_floor):
    response = client.get(reverse("display-board-json", args=["qjq-hall"]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert "no-cache" in response["Cache-Control"]
    data = response.json()
    expected = live.board_state(site=busy_floor)
    data.pop("generated_at"), expected.pop("generated_at")
    assert data == expected
    assert data["windows"][2]["ticket"] == "A001"


def test_an_unknown_site_is_a_404(client, db):
    for name in ("display-board", "display-board-json", "display-strip", "display-strip-json"):
        assert client.get(reverse(name, args=["nowhere"])).status_code == 404


def test_the_pages_are_read_only(client, floor):
    assert client.post(reverse("display-board", args=["qjq-hall"])).status_code == 405
    assert client.post(reverse("display-board-json", args=["qjq-hall"])).status_code == 405


def test_the_strip_discloses_items_and_current_job_postings(client, floor):
    JobPosting.objects.create(
        site=floor,
        employer="过期的招聘单位",
        position="保安",
        pay="面议",
        contact="0454-1",
        valid_until=timezone.localdate() - datetime.timedelta(days=1),
    )
    JobPosting.objects.create(
        site=floor,
        employer="今天到期的单位",
        position="司机",
        openings=2,
        pay="4000元/月",
        contact="0454-2",
        valid_until=timezone.localdate(),
    )

    entries = client.get(reverse("display-strip-json", args=["qjq-hall"])).json()["entries"]

    items = [e["text"] for e in entries if e["kind"] == "item"]
    jobs = [e["text"] for e in entries if e["kind"] == "job"]
    waste = next(text for text in items if text.startswith("城市建筑垃圾处置核准"))
    assert "设定依据：《国务院对确需保留的行政审批项目设定行政许可的决定》" in waste
    assert "办理流程：电话预约 → 现场核查 → 申请 → 受理 → 见面审批 → 发证" in waste
    assert "承诺时限：5个工作日" in waste
    assert "收费标准：不收费" in waste
    assert len(items) == len(set(items)) > 100
    assert any("今天到期的单位 招聘司机2人" in job and "待遇：4000元/月" in job for job in jobs)
    assert any("仓库管理员" in job and "联系方式：0454-8661234" in job for job in jobs)
    assert not any("过期的招聘单位" in job for job in jobs)

    page = client.get(reverse("display-strip", args=["qjq-hall"])).content.decode()
    shipped = json.loads(re.search(r'<script id="strip-data" type="application/json">(.*?)</script>', page).group(1))
    assert shipped == entries
    board = client.get(reverse("display-board", args=["qjq-hall"])).content.decode()
    assert 'id="strip-text"' in board


def test_a_station_strip_shows_its_own_items_and_the_halls_postings(client, floor):
    entries = client.get(reverse("display-strip-json", args=["gangwan"])).json()["entries"]
    hall = client.get(reverse("display-strip-json", args=["qjq-hall"])).json()["entries"]
    items = [e for e in entries if e["kind"] == "item"]
    assert 0 < len(items) < len([e for e in hall if e["kind"] == "item"])
    assert any(e["text"].startswith("就业创业证申领") for e in items)
    assert any(e["kind"] == "job" for e in entries)


# --- admin -------------------------------------------------------------------------------------------


@pytest.fixture
def admin_client(client, floor):
    client.force_login(User.objects.create_superuser("root", password="pw-for-tests"))
    return client


def test_staff_manage_job_postings_in_the_admin(admin_client, floor):
    response = admin_client.post(
        "/admin/queueing/jobposting/add/",
        {
            "site": floor.pk,
            "employer": "前进区某超市",
            "position": "理货员",
            "openings": "4",
            "pay": "2800元/月",
            "requirements": "",
            "contact": "0454-8669999",
            "valid_until": (timezone.localdate() + datetime.timedelta(days=10)).isoformat(),
        },
    )
    assert response.status_code == 302
    assert JobPosting.objects.filter(employer="前进区某超市", position="理货员").exists()
    assert "前进区某超市" in admin_client.get("/admin/queueing/jobposting/").content.decode()


def test_the_ticket_admin_is_read_only_with_the_timeline_and_a_masked_phone(
    admin_client, floor, officer, window3, today_9am
):
    ticket, _ = ticket_issue(site=floor, category="A", phone="13912345678", now=today_9am)
    window_sign_in(window=window3, officer=officer, now=today_9am)
    ticket_call_next(window=window3, officer=officer, now=today_9am)

    page = admin_client.get(f"/admin/queueing/ticket/{ticket.pk}/change/").content.decode()

    assert "139****5678" in page
    assert "13912345678" not in page
    assert "取号" in page
    assert "叫号" in page
    assert admin_client.get("/admin/queueing/ticket/add/").status_code == 403
    admin_client.post(f"/admin/queueing/ticket/{ticket.pk}/change/", {"status": "finished"})
    assert Ticket.objects.get(pk=ticket.pk).status == "called"


@pytest.mark.parametrize("model", ["ticketcategory", "window", "officerskill", "windowsession"])
def test_the_floor_is_in_the_admin(admin_client, floor, model):
    assert admin_client.get(f"/admin/hall/{model}/").status_code == 200


def test_the_window_state_is_not_edited_in_the_admin(admin_client, floor):
    window = Window.objects.get(site=floor, number=2)
    page = admin_client.get(f"/admin/hall/window/{window.pk}/change/").content.decode()
    assert 'name="state"' not in page
    assert 'name="categories"' in page


def test_a_phone_tail_is_found_on_its_own_but_not_inside_a_timestamp_or_an_id():
    assert shows_phone_tail("138****5678", "5678")
    assert shows_phone_tail('{"phone": "5678"}', "5678")
    assert not shows_phone_tail('{"at": "2026-11-26T12:29:34.695678+08:00", "last_event_id": 5678}', "5678")
    assert not shows_phone_tail("A001 请到3号窗口", "5678")
