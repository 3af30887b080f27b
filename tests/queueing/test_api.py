"""The device API v1: kiosks issue, window callers call and serve, displays read; refusals change nothing."""

import datetime
import re

import pytest
from django.contrib.auth.models import User

from quangangtong.accounts.models import TokenKind
from quangangtong.accounts.services import api_token_create
from quangangtong.catalog.models import ServiceItem
from quangangtong.hall.models import Site, Window, WindowSession, WindowState
from quangangtong.queueing.models import IssueRequest, LiveEvent, Ticket, TicketStatus
from quangangtong.queueing.services import ticket_issue, window_sign_in

CHINESE = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture
def hall(floor):
    """The demo hall, open for tickets at whatever hour the tests run (issuing stops at closing time)."""
    Site.objects.update(closing_time=datetime.time(23, 59, 59, 999999))
    return Site.objects.get(pk=floor.pk)


def _token(*, user=None, kind=TokenKind.STAFF, site=None):
    return api_token_create(kind=kind, name="测试", user=user, site=site)[1]


def _staff_token(username):
    return _token(user=User.objects.get(username=username))


@pytest.fixture
def api(client):
    """Return a function calling the API with a bearer token (or none) and JSON."""

    def call(method, path, token=None, json=None, **headers):
        if token:
            headers["Authorization"] = f"Bearer {token}"
        kwargs = {"headers": headers}
        if json is not None:
            kwargs.update(data=json, content_type="application/json")
        return getattr(client, method)(f"/api/v1{path}", **kwargs)

    return call


@pytest.fixture
def kiosk(hall):
    return _token(kind=TokenKind.KIOSK, site=hall)


@pytest.fixture
def officer_token(hall):
    return _staff_token("officer03")


@pytest.fixture
def at_window3(hall, officer, window3):
    """officer03 signed in at window 3."""
    window_sign_in(window=window3, officer=officer)
    return window3


def _refused(response, status):
    assert response.status_code == status, response.content
    detail = response.json()["detail"]
    assert CHINESE.search(detail), detail
    return response.json()


def _field_of(response):
    return [error["field"] for error in response.json()["errors"]]


# --- GET /sites/{site} --------------------------------------------------------------------------


def test_it_shows_the_sites_windows_and_categories(api, hall, at_window3, kiosk):
    ticket_issue(site=hall, category="A")
    response = api("get", "/sites/qjq-hall", kiosk)
    assert response.status_code == 200
    data = response.json()
    assert data["code"] == "qjq-hall"
    assert [w["number"] for w in data["windows"]] == [1, 2, 3, 4, 5, 6]
    three = data["windows"][2]
    assert three["id"] == at_window3.id
    assert three["state"] == "open"
    assert three["categories"] == ["A", "B"]
    assert three["officer"] == {"username": "officer03", "name": "综合窗口03"}
    assert data["windows"][0]["officer"] is None
    categories = {c["prefix"]: c for c in data["categories"]}
    assert categories["A"]["name"] == "社保医保"
    assert categories["A"]["waiting"] == 1
    assert categories["B"]["waiting"] == 0


def test_every_kind_of_token_may_read_a_site(api, hall, officer_token, kiosk):
    device = _token(kind=TokenKind.DEVICE, site=hall)
    for token in (officer_token, kiosk, device):
        assert api("get", "/sites/gangwan", token).status_code == 200


def test_reading_a_site_needs_a_token(api, hall):
    body = _refused(api("get", "/sites/qjq-hall"), 401)
    assert "Authorization" in body["detail"]
    _refused(api("get", "/sites/qjq-hall", "qgt_not-a-real-token"), 401)


def test_an_unknown_site_is_404_naming_the_field(api, hall, kiosk):
    response = api("get", "/sites/nowhere", kiosk)
    body = _refused(response, 404)
    assert "nowhere" in body["detail"]
    assert _field_of(response) == ["site"]
    _refused(api("get", "/sites/%E5%A4%A7%E5%8E%85", kiosk), 404)


# --- POST /sites/{site}/tickets -----------------------------------------------------------------


def test_a_kiosk_issues_a_ticket_for_a_category(api, hall, kiosk):
    response = api("post", "/sites/qjq-hall/tickets", kiosk, {"category": "A"})
    assert response.status_code == 201, response.content
    data = response.json()
    ticket = Ticket.objects.get()
    assert data["id"] == ticket.id
    assert data["number"] == "A001"
    assert data["category"] == "A"
    assert data["status"] == "waiting"
    assert data["waiting_ahead"] == 0
    assert data["channel"] == "kiosk"
    assert data["priority"] == "normal"
    issued_at = datetime.datetime.fromisoformat(data["issued_at"])
    assert issued_at.utcoffset() == datetime.timedelta(hours=8)
    assert abs(issued_at - ticket.issued_at) < datetime.timedelta(milliseconds=1)
    assert data["public_url"] == f"http://testserver/t/{ticket.public_token}/"
    assert ticket.events.get().officer is None
    second = api("post", "/sites/qjq-hall/tickets", kiosk, {"category": "a"}).json()
    assert second["number"] == "A002"
    assert second["waiting_ahead"] == 1


def test_a_ticket_can_be_issued_for_an_item(api, hall, kiosk):
    pension = ServiceItem.objects.filter(department__code="rsj").first()
    response = api("post", "/sites/qjq-hall/tickets", kiosk, {"item": pension.implementation_code})
    assert response.status_code == 201
    data = response.json()
    assert data["category"] == "A"
    assert data["item"] == pension.implementation_code
    assert data["item_name"] == pension.name


def test_a_guide_issues_a_green_channel_ticket_with_a_phone(api, hall):
    token = _staff_token("guide01")
    body = {"category": "B", "priority": "green", "phone": "138 0013 8000"}
    response = api("post", "/sites/qjq-hall/tickets", token, body)
    assert response.status_code == 201
    data = response.json()
    assert data["priority"] == "green"
    assert data["priority_label"] == "绿色通道"
    assert data["channel"] == "guide"
    assert "13800138000" not in response.content.decode()
    ticket = Ticket.objects.get()
    assert ticket.phone == "13800138000"
    assert ticket.priority == 1
    assert ticket.events.get().officer.username == "guide01"


def test_a_retried_request_with_the_same_idempotency_key_returns_the_same_ticket(api, hall, kiosk):
    headers = {"Idempotency-Key": "7d3c9a1e-kiosk-1"}
    first = api("post", "/sites/qjq-hall/tickets", kiosk, {"category": "A"}, **headers)
    again = api("post", "/sites/qjq-hall/tickets", kiosk, {"category": "A"}, **headers)
    assert first.status_code == 201
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    assert Ticket.objects.count() == 1
    other = api("post", "/sites/qjq-hall/tickets", kiosk, {"category": "A"}, **{"Idempotency-Key": "another"})
    assert other.status_code == 201
    assert Ticket.objects.count() == 2
    assert IssueRequest.objects.count() == 2


def test_a_kiosk_may_issue_only_for_its_own_site(api, hall):
    station_kiosk = _token(kind=TokenKind.KIOSK, site=Site.objects.get(code="gangwan"))
    body = _refused(api("post", "/sites/qjq-hall/tickets", station_kiosk, {"category": "A"}), 403)
    assert "取号机" in body["detail"]
    assert not Ticket.objects.exists()
    assert api("post", "/sites/gangwan/tickets", station_kiosk, {"category": "S"}).status_code == 201


@pytest.mark.parametrize("username", ["officer03", "supervisor01"])
def test_staff_without_the_guide_role_cannot_issue(api, hall, username):
    _refused(api("post", "/sites/qjq-hall/tickets", _staff_token(username), {"category": "A"}), 403)
    assert not Ticket.objects.exists()


def test_a_device_token_cannot_issue(api, hall):
    device = _token(kind=TokenKind.DEVICE, site=hall)
    _refused(api("post", "/sites/qjq-hall/tickets", device, {"category": "A"}), 403)
    assert not Ticket.objects.exists()


def test_issuing_needs_a_token(api, hall):
    _refused(api("post", "/sites/qjq-hall/tickets", json={"category": "A"}), 401)
    assert not Ticket.objects.exists()


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"category": "Z"}, 400, "category"),
        ({}, 400, "category"),
        ({"item": "no-such-item"}, 400, "item"),
        ({"category": "A", "phone": "12345"}, 422, "phone"),
        ({"category": "ABC"}, 422, "category"),
        ({"category": 7}, 422, "category"),
        ({"category": "A", "priority": "vip"}, 422, "priority"),
        ({"category": "A", "channel": "fax"}, 422, "channel"),
        ({"category": "A", "phone": "1" * 21}, 422, "phone"),
        ({"category": "A\x00"}, 400, "category"),
    ],
)
def test_bad_ticket_requests_name_the_field_and_issue_nothing(api, hall, kiosk, body, status, field):
    response = api("post", "/sites/qjq-hall/tickets", kiosk, body)
    _refused(response, status)
    assert field in _field_of(response)
    assert not Ticket.objects.exists()
    assert not LiveEvent.objects.exists()


def test_an_item_not_served_at_the_site_is_refused(api, hall):
    station_only = ServiceItem.objects.exclude(ticket_categories__site__code="gangwan").first()
    station_kiosk = _token(kind=TokenKind.KIOSK, site=Site.objects.get(code="gangwan"))
    response = api("post", "/sites/gangwan/tickets", station_kiosk, {"item": station_only.implementation_code})
    _refused(response, 400)
    assert _field_of(response) == ["item"]
    assert not Ticket.objects.exists()


def test_an_overlong_idempotency_key_is_refused(api, hall, kiosk):
    response = api("post", "/sites/qjq-hall/tickets", kiosk, {"category": "A"}, **{"Idempotency-Key": "k" * 101})
    _refused(response, 422)
    assert not Ticket.objects.exists()


def test_malformed_json_is_refused_in_chinese(api, hall, kiosk, client):
    response = client.post(
        "/api/v1/sites/qjq-hall/tickets",
        data='{"category": "A",',
        content_type="application/json",
        headers={"Authorization": f"Bearer {kiosk}"},
    )
    _refused(response, 400)
    assert not Ticket.objects.exists()


def test_a_json_body_that_is_not_an_object_is_refused(api, hall, kiosk):
    _refused(api("post", "/sites/qjq-hall/tickets", kiosk, ["A"]), 400)
    assert not Ticket.objects.exists()


def test_issuing_at_an_unknown_site_is_404(api, hall):
    _refused(api("post", "/sites/nowhere/tickets", _staff_token("guide01"), {"category": "A"}), 404)
    assert not Ticket.objects.exists()


def test_issuing_after_closing_time_is_refused(api, hall, kiosk):
    Site.objects.filter(pk=hall.pk).update(closing_time=datetime.time(0, 0))
    body = _refused(api("post", "/sites/qjq-hall/tickets", kiosk, {"category": "A"}), 409)
    assert "停止取号" in body["detail"]
    assert not Ticket.objects.exists()


# --- windows: sign-in, sign-out, pause ----------------------------------------------------------


def test_an_officer_signs_in_and_out_with_their_own_token(api, hall, window3, officer_token):
    response = api("post", f"/windows/{window3.id}/sign-in", officer_token)
    assert response.status_code == 200
    assert response.json()["state"] == "open"
    assert response.json()["officer"]["username"] == "officer03"
    assert WindowSession.objects.get(signed_out_at=None).window == window3
    assert LiveEvent.objects.filter(kind="window").exists()
    response = api("post", f"/windows/{window3.id}/sign-out", officer_token)
    assert response.status_code == 200
    assert response.json()["state"] == "closed"
    assert response.json()["officer"] is None
    assert not WindowSession.objects.filter(signed_out_at=None).exists()


@pytest.mark.parametrize("who", ["kiosk", "guide01", "manager"])
def test_only_window_staff_may_sign_in(api, hall, window3, kiosk, who):
    token = kiosk if who == "kiosk" else _staff_token(who)
    _refused(api("post", f"/windows/{window3.id}/sign-in", token), 403)
    assert not WindowSession.objects.exists()
    window3.refresh_from_db()
    assert window3.state == WindowState.CLOSED


def test_signing_in_where_someone_else_sits_is_a_conflict(api, hall, at_window3):
    _refused(api("post", f"/windows/{at_window3.id}/sign-in", _staff_token("officer01")), 409)
    assert WindowSession.objects.get(signed_out_at=None).officer.username == "officer03"


def test_an_officer_cannot_sign_another_out(api, hall, at_window3):
    response = api("post", f"/windows/{at_window3.id}/sign-out", _staff_token("officer01"))
    _refused(response, 403)
    assert _field_of(response) == ["window"]
    assert WindowSession.objects.filter(signed_out_at=None).count() == 1


def test_signing_out_of_an_empty_window_is_a_conflict(api, hall, window3, officer_token):
    _refused(api("post", f"/windows/{window3.id}/sign-out", officer_token), 409)


@pytest.mark.parametrize(("path", "status"), [("/windows/99999/sign-in", 404), ("/windows/abc/sign-in", 422)])
def test_an_unknown_window_is_refused(api, hall, officer_token, path, status):
    _refused(api("post", path, officer_token), status)
    assert not WindowSession.objects.exists()


def test_a_paused_window_gets_no_calls_until_resumed(api, hall, at_window3, officer_token):
    ticket_issue(site=hall, category="A")
    paused = api("post", f"/windows/{at_window3.id}/pause", officer_token, {"reason": "业务培训"})
    assert paused.status_code == 200
    assert paused.json()["state"] == "paused"
    assert paused.json()["pause_reason"] == "业务培训"
    _refused(api("post", f"/windows/{at_window3.id}/call-next", officer_token), 409)
    assert Ticket.objects.get().status == TicketStatus.WAITING
    resumed = api("post", f"/windows/{at_window3.id}/resume", officer_token)
    assert resumed.json()["state"] == "open"
    assert api("post", f"/windows/{at_window3.id}/call-next", officer_token).status_code == 200


def test_a_pause_reason_too_long_is_refused(api, hall, at_window3, officer_token):
    response = api("post", f"/windows/{at_window3.id}/pause", officer_token, {"reason": "长" * 51})
    _refused(response, 422)
    assert _field_of(response) == ["reason"]
    at_window3.refresh_from_db()
    assert at_window3.state == WindowState.OPEN


# --- POST /windows/{window}/call-next -----------------------------------------------------------


def test_call_next_gives_the_ticket_and_announces_it(api, hall, at_window3, officer_token, kiosk):
    issued = api("post", "/sites/qjq-hall/tickets", kiosk, {"category": "A"}).json()
    response = api("post", f"/windows/{at_window3.id}/call-next", officer_token)
    assert response.status_code == 200
    data = response.json()
    assert data["id"] == issued["id"]
    assert data["status"] == "called"
    assert data["window"] == 3
    assert data["window_id"] == at_window3.id
    assert LiveEvent.objects.get(kind="call").payload["text"] == "请A001号到3号窗口办理"


def test_call_next_is_204_when_nothing_is_eligible(api, hall, at_window3, officer_token):
    ticket_issue(site=hall, category="C")  # window 3 serves A and B only
    response = api("post", f"/windows/{at_window3.id}/call-next", officer_token)
    assert response.status_code == 204
    assert response.content == b""
    assert Ticket.objects.get().status == TicketStatus.WAITING


def test_a_kiosk_cannot_call_next(api, hall, at_window3, kiosk):
    ticket_issue(site=hall, category="A")
    body = _refused(api("post", f"/windows/{at_window3.id}/call-next", kiosk), 403)
    assert "取号机" in body["detail"]
    assert Ticket.objects.get().status == TicketStatus.WAITING


def test_an_officer_cannot_call_at_another_officers_window(api, hall, at_window3):
    ticket_issue(site=hall, category="A")
    response = api("post", f"/windows/{at_window3.id}/call-next", _staff_token("officer01"))
    _refused(response, 403)
    assert Ticket.objects.get().status == TicketStatus.WAITING
    assert not LiveEvent.objects.filter(kind="call").exists()


def test_calling_at_a_window_with_nobody_signed_in_is_refused(api, hall, window3, officer_token):
    ticket_issue(site=hall, category="A")
    response = api("post", f"/windows/{window3.id}/call-next", officer_token)
    body = _refused(response, 409)
    assert "没有人员签到" in body["detail"]
    assert _field_of(response) == ["window"]
    assert Ticket.objects.get().status == TicketStatus.WAITING


def test_a_guide_cannot_call_next(api, hall, at_window3):
    _refused(api("post", f"/windows/{at_window3.id}/call-next", _staff_token("guide01")), 403)


# --- POST /tickets/{id}/{action} ----------------------------------------------------------------


@pytest.fixture
def called(api, hall, at_window3, officer_token):
    """A001 called to window 3 by officer03."""
    ticket, _ = ticket_issue(site=hall, category="A")
    assert api("post", f"/windows/{at_window3.id}/call-next", officer_token).status_code == 200
    return ticket


def test_an_officer_serves_a_ticket_to_the_end(api, called, officer_token):
    started = api("post", f"/tickets/{called.id}/start", officer_token)
    assert started.status_code == 200
    assert started.json()["status"] == "serving"
    finished = api("post", f"/tickets/{called.id}/finish", officer_token)
    assert finished.json()["status"] == "finished"
    assert [e.kind for e in called.events.all()] == ["issued", "called", "serving", "finished"]


def test_finishing_a_waiting_ticket_is_a_conflict_with_the_reason(api, hall, at_window3, officer_token):
    ticket, _ = ticket_issue(site=hall, category="A")
    body = _refused(api("post", f"/tickets/{ticket.id}/finish", officer_token), 409)
    assert "等候中" in body["detail"]
    assert "办结" in body["detail"]
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.WAITING
    assert ticket.events.count() == 1


def test_recall_announces_again_and_past_the_limit_is_a_no_show(api, hall, called, officer_token):
    Site.objects.filter(pk=hall.pk).update(recall_limit=1)
    first = api("post", f"/tickets/{called.id}/recall", officer_token)
    assert first.status_code == 200
    assert first.json()["recall_count"] == 1
    assert LiveEvent.objects.filter(kind="call").count() == 2
    second = api("post", f"/tickets/{called.id}/recall", officer_token)
    assert second.json()["status"] == "no_show"


def test_a_no_show_is_requeued_once_by_the_guide(api, called, officer_token):
    assert api("post", f"/tickets/{called.id}/no-show", officer_token).json()["status"] == "no_show"
    guide = _staff_token("guide01")
    requeued = api("post", f"/tickets/{called.id}/requeue", guide)
    assert requeued.status_code == 200
    assert requeued.json()["status"] == "waiting"
    assert requeued.json()["window"] is None
    _refused(api("post", f"/tickets/{called.id}/requeue", guide), 409)


def test_a_held_ticket_is_called_back(api, called, officer_token):
    assert api("post", f"/tickets/{called.id}/hold", officer_token).json()["status"] == "held"
    resumed = api("post", f"/tickets/{called.id}/resume", officer_token)
    assert resumed.json()["status"] == "called"
    assert LiveEvent.objects.filter(kind="call").count() == 2


def test_a_ticket_is_transferred_to_another_category_and_window(api, hall, called, officer_token):
    window4 = Window.objects.get(site=hall, number=4)
    response = api("post", f"/tickets/{called.id}/transfer", officer_token, {"category": "b", "window": window4.id})
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["status"] == "waiting"
    assert data["category"] == "B"
    assert data["reserved_window"] == 4
    assert data["window"] is None


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"category": "Z"}, 400, "category"),
        ({"window": 99999}, 400, "window"),
        ({}, 400, "category"),
        ({"window": "four"}, 422, "window"),
        ({"category": "ABC"}, 422, "category"),
    ],
)
def test_a_bad_transfer_changes_nothing(api, called, officer_token, body, status, field):
    response = api("post", f"/tickets/{called.id}/transfer", officer_token, body)
    _refused(response, status)
    assert field in _field_of(response)
    called.refresh_from_db()
    assert called.status == TicketStatus.CALLED
    assert called.category.prefix == "A"


def test_transferring_to_a_window_that_does_not_serve_the_category_is_refused(api, hall, called, officer_token):
    window5 = Window.objects.get(site=hall, number=5)  # C only
    response = api("post", f"/tickets/{called.id}/transfer", officer_token, {"window": window5.id})
    _refused(response, 400)
    called.refresh_from_db()
    assert called.status == TicketStatus.CALLED


@pytest.mark.parametrize("action", ["recall", "no-show", "hold", "start", "finish", "requeue"])
def test_a_kiosk_cannot_act_on_tickets(api, called, kiosk, action):
    _refused(api("post", f"/tickets/{called.id}/{action}", kiosk), 403)
    called.refresh_from_db()
    assert called.status == TicketStatus.CALLED


def test_a_kiosk_cannot_transfer(api, called, kiosk):
    _refused(api("post", f"/tickets/{called.id}/transfer", kiosk, {"category": "B"}), 403)


@pytest.mark.parametrize("action", ["recall", "no-show", "hold", "start"])
def test_an_officer_cannot_act_on_a_ticket_at_another_officers_window(api, hall, called, action):
    other = User.objects.get(username="officer01")
    window_sign_in(window=Window.objects.get(site=hall, number=1), officer=other)
    _refused(api("post", f"/tickets/{called.id}/{action}", _staff_token("officer01")), 403)
    called.refresh_from_db()
    assert called.status == TicketStatus.CALLED


def test_an_unknown_action_is_refused_in_chinese(api, called, officer_token):
    response = api("post", f"/tickets/{called.id}/approve", officer_token)
    _refused(response, 422)
    assert _field_of(response) == ["action"]


def test_an_unknown_ticket_is_404(api, hall, officer_token):
    response = api("post", "/tickets/99999/start", officer_token)
    _refused(response, 404)
    assert _field_of(response) == ["ticket"]


# --- board and the OpenAPI document -------------------------------------------------------------


def test_the_board_is_public(api, hall, called):
    response = api("get", "/sites/qjq-hall/board")
    assert response.status_code == 200
    assert "A001" in response.content.decode()
    assert "综合窗口03" not in response.content.decode()
    assert "officer03" not in response.content.decode()


def test_the_board_of_an_unknown_site_is_404(api, hall):
    _refused(api("get", "/sites/nowhere/board"), 404)


def test_the_openapi_document_describes_every_answer(client, hall):
    schema = client.get("/api/v1/openapi.json").json()
    paths = schema["paths"]
    ops = {
        ("/api/v1/sites/{site}", "get"): {"200", "401", "403", "404"},
        ("/api/v1/sites/{site}/board", "get"): {"200", "404"},
        ("/api/v1/sites/{site}/tickets", "post"): {"200", "201", "400", "401", "403", "404", "409", "422"},
        ("/api/v1/windows/{window}/sign-in", "post"): {"200", "401", "403", "404", "409", "422"},
        ("/api/v1/windows/{window}/sign-out", "post"): {"200", "401", "403", "404", "409", "422"},
        ("/api/v1/windows/{window}/call-next", "post"): {"200", "204", "401", "403", "404", "409", "422"},
        ("/api/v1/tickets/{ticket}/{action}", "post"): {"200", "401", "403", "404", "409", "422"},
        ("/api/v1/tickets/{ticket}/transfer", "post"): {"200", "400", "401", "403", "404", "409", "422"},
    }
    for (path, method), statuses in ops.items():
        assert statuses <= set(paths[path][method]["responses"]), path
    assert "BearerToken" in schema["components"]["securitySchemes"]
    assert "/live/{site}/events" in paths["/api/v1/sites/{site}/board"]["get"]["description"]
    assert "Last-Event-ID" in paths["/api/v1/sites/{site}/board"]["get"]["description"]
