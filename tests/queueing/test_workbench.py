"""The window workbench: signing in, calling and serving through the staff pages."""

import datetime
import re

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from quangangtong.accounts.roles import Role
from quangangtong.catalog.models import ServiceItem
from quangangtong.hall.models import Window, WindowSession, WindowState
from quangangtong.queueing.models import LiveEvent, Ticket, TicketEvent, TicketStatus
from quangangtong.queueing.services import ticket_issue, window_sign_in

WORKBENCH = "/staff/workbench/"


@pytest.fixture
def hall(floor):
    # Issue tickets at any hour the suite runs: the floor's closing time would refuse them after 17:30.
    floor.closing_time = datetime.time.max
    floor.save(update_fields=["closing_time"])
    return floor


@pytest.fixture
def at_window3(client, hall, officer, window3):
    """Sign officer03 (fluent in A and B) in at window 3 (A, B) and return the client."""
    client.force_login(officer)
    window_sign_in(window=window3, officer=officer)
    return client


def _post(client, action, **data):
    return client.post(reverse("workbench-action", args=[action]), data)


def _kinds(ticket):
    return list(ticket.events.values_list("kind", flat=True))


def _called(client, window, category="A", **issue):
    ticket, _ = ticket_issue(site=window.site, category=category, **issue)
    response = _post(client, "call-next", window=window.pk)
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.CALLED
    return ticket


def test_it_sends_anonymous_visitors_to_sign_in(client, db):
    response = client.get(WORKBENCH)
    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/")


def test_it_refuses_a_guide(client_for, hall):
    assert client_for(Role.GUIDE).get(WORKBENCH).status_code == 403


def test_it_refuses_a_guide_an_action(client_for, hall, window3):
    response = client_for(Role.GUIDE).post(reverse("workbench-action", args=["sign-in"]), {"window": window3.pk})
    assert response.status_code == 403
    assert not WindowSession.objects.exists()


def test_it_lists_the_windows_of_the_officers_site_to_sign_in_at(client, hall, officer):
    client.force_login(officer)
    response = client.get(WORKBENCH)
    assert response.status_code == 200
    body = response.content.decode()
    assert "在3号窗口签到" in body
    assert "港湾社区" not in body


def test_it_lets_station_staff_in_at_their_station(client, hall):
    client.force_login(User.objects.get(username="station01"))
    body = client.get(WORKBENCH).content.decode()
    assert "港湾社区便民服务站" in body
    assert "在1号窗口签到" in body
    assert "在3号窗口签到" not in body


def test_it_signs_in_and_opens_the_window(client, hall, officer, window3):
    client.force_login(officer)
    response = _post(client, "sign-in", window=window3.pk)
    assert response.status_code == 302
    assert response.url == WORKBENCH
    window3.refresh_from_db()
    assert window3.state == WindowState.OPEN
    assert WindowSession.objects.get(signed_out_at=None).officer == officer
    body = client.get(WORKBENCH).content.decode()
    assert "3号综合窗口" in body
    assert "已在3号综合窗口签到" in body


def test_it_refuses_a_window_of_another_site(client, hall, officer):
    client.force_login(officer)
    station_window = Window.objects.get(site__code="gangwan", number=1)
    response = _post(client, "sign-in", window=station_window.pk)
    assert response.status_code == 403
    assert not WindowSession.objects.exists()


def test_it_refuses_a_window_someone_else_signed_in_at(client, hall, officer, window3):
    window_sign_in(window=window3, officer=User.objects.get(username="officer01"))
    client.force_login(officer)
    response = _post(client, "sign-in", window=window3.pk)
    assert response.status_code == 409
    assert "请先签退" in response.content.decode()
    assert not WindowSession.objects.filter(officer=officer).exists()


def test_it_calls_the_next_ticket(at_window3, window3):
    ticket = _called(at_window3, window3)
    assert ticket.window == window3
    assert _kinds(ticket) == ["issued", "called"]
    called = ticket.events.get(kind="called")
    assert called.window == window3
    assert called.officer.username == "officer03"
    body = at_window3.get(WORKBENCH).content.decode()
    assert "已叫号：A001" in body
    assert '<p class="wb-number">A001</p>' in body


def test_it_says_so_when_nothing_can_be_called(at_window3, window3):
    response = _post(at_window3, "call-next", window=window3.pk)
    assert response.status_code == 302
    assert "目前没有您可办理的等候票" in at_window3.get(WORKBENCH).content.decode()


def test_it_recalls_a_called_ticket(at_window3, window3):
    ticket = _called(at_window3, window3)
    response = _post(at_window3, "recall", window=window3.pk, ticket=ticket.pk)
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.recall_count == 1
    assert _kinds(ticket) == ["issued", "called", "recalled"]
    assert LiveEvent.objects.filter(kind="call").count() == 2


def test_it_makes_a_no_show_past_the_recall_limit(at_window3, hall, window3):
    hall.recall_limit = 1
    hall.save(update_fields=["recall_limit"])
    ticket = _called(at_window3, window3)
    _post(at_window3, "recall", window=window3.pk, ticket=ticket.pk)
    response = _post(at_window3, "recall", window=window3.pk, ticket=ticket.pk)
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.NO_SHOW
    assert _kinds(ticket) == ["issued", "called", "recalled", "no_show"]
    assert "重呼已达上限" in at_window3.get(WORKBENCH).content.decode()


def test_it_marks_a_no_show_and_requeues_it_once(at_window3, window3):
    ticket = _called(at_window3, window3)
    assert _post(at_window3, "no-show", window=window3.pk, ticket=ticket.pk).status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.NO_SHOW
    assert 'id="missed-A001"' in at_window3.get(WORKBENCH).content.decode()
    assert _post(at_window3, "requeue", window=window3.pk, ticket=ticket.pk).status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.WAITING
    assert _kinds(ticket) == ["issued", "called", "no_show", "requeued"]


def test_it_starts_and_finishes_a_ticket(at_window3, window3):
    ticket = _called(at_window3, window3)
    assert _post(at_window3, "start", window=window3.pk, ticket=ticket.pk).status_code == 302
    assert _post(at_window3, "finish", window=window3.pk, ticket=ticket.pk).status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.FINISHED
    assert _kinds(ticket) == ["issued", "called", "serving", "finished"]
    assert set(ticket.events.exclude(kind="issued").values_list("window__number", flat=True)) == {3}
    assert '<strong id="wb-finished">1</strong>' in at_window3.get(WORKBENCH).content.decode()


def test_it_holds_a_ticket_and_calls_it_back(at_window3, window3):
    ticket = _called(at_window3, window3)
    assert _post(at_window3, "hold", window=window3.pk, ticket=ticket.pk).status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.HELD
    body = at_window3.get(WORKBENCH).content.decode()
    assert 'id="held-A001"' in body
    assert _post(at_window3, "resume", window=window3.pk, ticket=ticket.pk).status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.CALLED
    assert _kinds(ticket) == ["issued", "called", "held", "resumed"]
    assert LiveEvent.objects.filter(kind="call").count() == 2


def test_it_transfers_a_ticket_to_another_category_keeping_its_place(at_window3, hall, window3):
    ticket = _called(at_window3, window3)
    enterprise = hall.ticket_categories.get(prefix="C")
    response = _post(at_window3, "transfer", window=window3.pk, ticket=ticket.pk, category=enterprise.pk)
    assert response.status_code == 302
    moved = Ticket.objects.get(pk=ticket.pk)
    assert moved.status == TicketStatus.WAITING
    assert moved.category == enterprise
    assert moved.queued_at == ticket.queued_at
    assert _kinds(moved) == ["issued", "called", "transferred"]
    assert moved.events.get(kind="transferred").detail["to_category"] == "C"


def test_it_transfers_a_ticket_to_a_window(at_window3, hall, window3):
    ticket = _called(at_window3, window3)
    window2 = Window.objects.get(site=hall, number=2)
    response = _post(at_window3, "transfer", window=window3.pk, ticket=ticket.pk, to_window=window2.pk)
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.reserved_window == window2
    assert ticket.events.get(kind="transferred").detail["to_window"] == 2


def test_it_refuses_a_transfer_to_nowhere(at_window3, window3):
    ticket = _called(at_window3, window3)
    response = _post(at_window3, "transfer", window=window3.pk, ticket=ticket.pk)
    assert response.status_code == 400
    assert "请选择转至的类别或窗口" in response.content.decode()
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.CALLED


def test_it_pauses_and_resumes_the_window(at_window3, window3):
    assert _post(at_window3, "pause", window=window3.pk).status_code == 302
    window3.refresh_from_db()
    assert window3.state == WindowState.PAUSED
    assert LiveEvent.objects.filter(kind="window").latest("id").payload["state"] == "paused"
    body = at_window3.get(WORKBENCH).content.decode()
    assert 'id="wb-resume-window"' in body
    assert re.search(r'id="wb-call-next"[^>]*disabled', body)
    assert _post(at_window3, "resume-window", window=window3.pk).status_code == 302
    window3.refresh_from_db()
    assert window3.state == WindowState.OPEN


def test_it_refuses_to_call_at_a_paused_window_and_changes_nothing(at_window3, hall, window3):
    ticket, _ = ticket_issue(site=hall, category="A")
    _post(at_window3, "pause", window=window3.pk)
    events = LiveEvent.objects.count()
    response = _post(at_window3, "call-next", window=window3.pk)
    assert response.status_code == 409
    assert "请先恢复服务" in response.content.decode()
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.WAITING
    assert LiveEvent.objects.count() == events


def test_a_refusal_shows_its_message_with_its_status_and_changes_nothing(at_window3, window3):
    ticket = _called(at_window3, window3)
    timeline, feed = TicketEvent.objects.count(), LiveEvent.objects.count()
    response = _post(at_window3, "finish", window=window3.pk, ticket=ticket.pk)
    assert response.status_code == 409
    body = response.content.decode()
    assert "A001号当前为“已叫号”，不能办结" in body
    assert 'role="alert"' in body
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.CALLED
    assert (TicketEvent.objects.count(), LiveEvent.objects.count()) == (timeline, feed)


def test_it_signs_out_and_closes_the_window(at_window3, window3):
    assert _post(at_window3, "sign-out", window=window3.pk).status_code == 302
    window3.refresh_from_db()
    assert window3.state == WindowState.CLOSED
    assert not WindowSession.objects.filter(signed_out_at=None).exists()
    assert "在3号窗口签到" in at_window3.get(WORKBENCH).content.decode()


def test_it_refuses_to_sign_out_with_a_ticket_at_the_window(at_window3, window3):
    _called(at_window3, window3)
    response = _post(at_window3, "sign-out", window=window3.pk)
    assert response.status_code == 409
    assert "请先办结、挂起或转移" in response.content.decode()
    assert WindowSession.objects.filter(window=window3, signed_out_at=None).exists()


def test_an_officer_cannot_call_at_another_officers_window(client, at_window3, hall, window3):
    ticket_issue(site=hall, category="A")
    other = User.objects.get(username="officer01")
    window1 = Window.objects.get(site=hall, number=1)
    window_sign_in(window=window1, officer=other)
    client.force_login(other)
    response = _post(client, "call-next", window=window3.pk)
    assert response.status_code == 403
    assert "您只能操作自己签到的窗口" in response.content.decode()
    assert not Ticket.objects.exclude(status=TicketStatus.WAITING).exists()


def test_an_officer_cannot_serve_a_ticket_at_another_officers_window(client, at_window3, hall, window3):
    ticket = _called(at_window3, window3)
    other = User.objects.get(username="officer01")
    window1 = Window.objects.get(site=hall, number=1)
    window_sign_in(window=window1, officer=other)
    client.force_login(other)
    for action in ("start", "no-show", "hold", "transfer"):
        response = _post(client, action, window=window1.pk, ticket=ticket.pk, category=ticket.category_id)
        assert response.status_code == 403, action
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.CALLED
    assert _kinds(ticket) == ["issued", "called"]


def test_an_officer_cannot_sign_out_someone_else(client, at_window3, hall, window3):
    client.force_login(User.objects.get(username="officer01"))
    response = _post(client, "sign-out", window=window3.pk)
    assert response.status_code == 403
    assert WindowSession.objects.filter(window=window3, signed_out_at=None).exists()


def test_it_answers_400_for_a_missing_or_unknown_window(at_window3):
    assert _post(at_window3, "call-next").status_code == 400
    response = _post(at_window3, "call-next", window=999999)
    assert response.status_code == 400
    assert "窗口：所选窗口不存在" in response.content.decode()


def test_it_answers_400_for_an_unknown_ticket(at_window3, window3):
    response = _post(at_window3, "start", window=window3.pk, ticket="abc")
    assert response.status_code == 400
    assert "排队票" in response.content.decode()


def test_it_answers_404_for_an_unknown_action_and_405_for_a_get(at_window3, window3):
    assert _post(at_window3, "explode", window=window3.pk).status_code == 404
    assert at_window3.get(reverse("workbench-action", args=["call-next"])).status_code == 405


def test_it_enables_only_the_buttons_the_ticket_allows(at_window3, window3):
    def disabled(body, action):
        return bool(re.search(rf'id="wb-{action}"[^>]*\sdisabled', body))

    body = at_window3.get(WORKBENCH).content.decode()
    assert not disabled(body, "call-next")
    assert all(disabled(body, a) for a in ("recall", "start", "finish", "no-show", "hold"))
    ticket = _called(at_window3, window3)
    body = at_window3.get(WORKBENCH).content.decode()
    assert disabled(body, "call-next")
    assert disabled(body, "finish")
    assert disabled(body, "sign-out")
    assert not any(disabled(body, a) for a in ("recall", "start", "no-show", "hold"))
    _post(at_window3, "start", window=window3.pk, ticket=ticket.pk)
    body = at_window3.get(WORKBENCH).content.decode()
    assert not disabled(body, "finish")
    assert disabled(body, "start")
    assert disabled(body, "recall")


def test_it_shows_the_keyboard_shortcuts_on_the_buttons(at_window3):
    body = at_window3.get(WORKBENCH).content.decode()
    for action, key in (("call-next", "N"), ("recall", "R"), ("start", "S"), ("finish", "F"), ("hold", "H")):
        assert re.search(rf'id="wb-{action}" data-key="{key.lower()}" aria-keyshortcuts="{key}"', body), action
        assert f"<kbd>{key}</kbd>" in body
    assert 'src="/static/qgt/workbench.js"' in body


def test_it_shows_the_current_ticket_with_a_masked_phone(at_window3, hall, window3):
    pension = ServiceItem.objects.filter(department__code="rsj").first()
    ticket, _ = ticket_issue(site=hall, item=pension, priority=1, phone="13812345678")
    _post(at_window3, "call-next", window=window3.pk)
    body = at_window3.get(WORKBENCH).content.decode()
    assert ticket.number in body
    assert pension.name in body
    assert "绿色通道" in body
    assert "138****5678" in body
    assert "13812345678" not in body


def test_the_state_counts_what_the_officer_can_serve(at_window3, hall, window3):
    for category in "AABCE":
        ticket_issue(site=hall, category=category)
    response = at_window3.get(reverse("workbench-state"))
    assert response.status_code == 200
    state = response.json()
    assert state["signed_in"] is True
    assert state["window"] == {"id": window3.pk, "number": 3, "state": "open"}
    assert state["eligible"] == 3
    assert state["categories"] == [
        {"prefix": "A", "name": "社保医保", "waiting": 2, "eligible": 2},
        {"prefix": "B", "name": "民生事务", "waiting": 1, "eligible": 1},
    ]
    assert state["current"] is None


def test_the_state_leaves_out_items_the_officer_is_not_certified_for(client, hall):
    learner = User.objects.get(username="officer08")  # fluent in B only
    window3 = Window.objects.get(site=hall, number=3)
    window_sign_in(window=window3, officer=learner)
    client.force_login(learner)
    ticket_issue(site=hall, item=ServiceItem.objects.filter(department__code="rsj").first())
    ticket_issue(site=hall, category="B")
    state = client.get(reverse("workbench-state")).json()
    assert state["eligible"] == 1
    assert {row["prefix"]: (row["waiting"], row["eligible"]) for row in state["categories"]} == {
        "A": (1, 0),
        "B": (1, 1),
    }


def test_the_state_changes_its_signature_when_the_window_changes(at_window3, hall, window3):
    before = at_window3.get(reverse("workbench-state")).json()["signature"]
    ticket, _ = ticket_issue(site=hall, category="B")
    assert at_window3.get(reverse("workbench-state")).json()["signature"] == before
    _post(at_window3, "call-next", window=window3.pk)
    state = at_window3.get(reverse("workbench-state")).json()
    assert state["signature"] != before
    assert state["current"] == {"id": ticket.pk, "number": "B001", "status": "called"}


def test_the_state_of_an_officer_not_signed_in(client, hall, officer):
    client.force_login(officer)
    assert client.get(reverse("workbench-state")).json() == {"signed_in": False}


def test_the_state_needs_an_officer(client_for, hall):
    assert client_for(Role.GUIDE).get(reverse("workbench-state")).status_code == 403
