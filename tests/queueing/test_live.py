"""The live feed: resuming after an event id, the WSGI and ASGI streams, the board's state."""

import asyncio
import datetime
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace

import pytest
from asgiref.sync import sync_to_async
from django.db import connections
from django.urls import reverse
from django.utils import timezone

from quangangtong.hall.models import Site, Window, WindowState
from quangangtong.queueing import live
from quangangtong.queueing.models import LiveEvent
from quangangtong.queueing.services import (
    ticket_call_next,
    ticket_issue,
    ticket_start,
    window_pause,
    window_sign_in,
)
from tests.queueing.conftest import shows_phone_tail

MORNING = timezone.make_aware(datetime.datetime(2026, 11, 24, 9, 0))


def parse_sse(raw):
    """Return the SSE messages in raw as dicts of their fields; comments go under "comment"."""
    messages = []
    for block in raw.decode().split("\n\n"):
        fields = {}
        for line in block.splitlines():
            if line.startswith(":"):
                fields["comment"] = line[1:].strip()
            else:
                name, _, value = line.partition(": ")
                fields[name] = value
        if fields:
            messages.append(fields)
    return messages


def events_of(raw):
    return [m for m in parse_sse(raw) if "id" in m and m.get("event") != "reset"]


@pytest.fixture
def sites(db):
    hall = Site.objects.create(code="hall", name="区政务服务大厅")
    station = Site.objects.create(code="station", name="港湾社区服务站", parent=hall)
    return hall, station


def _event(site, kind="ticket.issued", **payload):
    payload = {"ticket": "A001", "window": None, "waiting": {"A": 1}, **payload}
    return LiveEvent.objects.create(site=site, kind=kind, payload=payload, created_at=timezone.now())


@pytest.fixture
def quick(settings):
    """Short stream times, so a test can read a whole stream."""
    settings.QGT_LIVE_SYNC_POLL_SECONDS = 0.01
    settings.QGT_LIVE_POLL_SECONDS = 0.01
    settings.QGT_LIVE_HEARTBEAT_SECONDS = 0.1
    settings.QGT_LIVE_STREAM_SECONDS = 0.5
    # Flushed tables leave gaps in the ids; on PostgreSQL the feed waits this long at a fresh one.
    settings.QGT_LIVE_GAP_GRACE_SECONDS = 0.05
    return settings


# --- events_after ---------------------------------------------------------------------------------


def test_events_after_returns_one_sites_later_events_oldest_first(sites):
    hall, station = sites
    first = _event(hall)
    _event(station)
    second = _event(hall, ticket="A002")
    third = _event(hall, ticket="A003")

    assert live.events_after(site=hall, after_id=0, limit=10) == [first, second, third]
    assert live.events_after(site=hall, after_id=first.id, limit=10) == [second, third]
    assert live.events_after(site=hall, after_id=first.id, limit=1) == [second]
    assert live.events_after(site=hall, after_id=third.id, limit=10) == []


# --- the WSGI stream ------------------------------------------------------------------------------


def test_it_sends_the_events_after_last_event_id_once_and_in_order(client, sites, quick):
    hall, station = sites
    events = [_event(hall, ticket=f"A00{n}") for n in range(1, 6)]
    _event(station, ticket="S001")

    url = reverse("live-events", args=["hall"])
    response = client.get(url, HTTP_LAST_EVENT_ID=str(events[1].id))

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/event-stream")
    assert response["Cache-Control"].startswith("no-cache")
    raw = b"".join(response.streaming_content)
    assert raw.startswith(b"retry: ")
    received = events_of(raw)
    assert [int(m["id"]) for m in received] == [e.id for e in events[2:]]
    assert [json.loads(m["data"])["ticket"] for m in received] == ["A003", "A004", "A005"]
    assert {m["event"] for m in received} == {"ticket.issued"}


def test_it_takes_after_from_the_query_on_a_first_connection_and_prefers_the_header(client, sites, quick):
    hall, _ = sites
    events = [_event(hall, ticket=f"A00{n}") for n in range(1, 4)]
    url = reverse("live-events", args=["hall"])

    by_query = events_of(b"".join(client.get(url, {"after": events[0].id}).streaming_content))
    assert [int(m["id"]) for m in by_query] == [events[1].id, events[2].id]

    both = client.get(url, {"after": events[0].id}, HTTP_LAST_EVENT_ID=str(events[1].id))
    assert [int(m["id"]) for m in events_of(b"".join(both.streaming_content))] == [events[2].id]


def test_without_a_resume_point_it_sends_only_new_events(client, sites, quick):
    hall, _ = sites
    _event(hall)
    raw = b"".join(client.get(reverse("live-events", args=["hall"])).streaming_content)
    assert events_of(raw) == []


def test_it_pushes_an_event_written_after_connecting_and_beats_meanwhile(client, sites, quick):
    hall, _ = sites
    old = _event(hall)
    response = client.get(reverse("live-events", args=["hall"]), HTTP_LAST_EVENT_ID=str(old.id))
    chunks = iter(response.streaming_content)
    assert next(chunks).startswith(b"retry: ")
    assert next(chunks) == b": keepalive\n\n"  # it has polled and found nothing

    new = _event(hall, kind="call", ticket="A002", window=3, text="请A002号到3号窗口办理")

    message = parse_sse(next(chunks))[0]
    assert message["id"] == str(new.id)
    assert message["event"] == "call"
    data = json.loads(message["data"])
    assert data["text"] == "请A002号到3号窗口办理"
    assert data["at"].startswith(str(timezone.localdate()))
    response.close()


def test_a_client_too_far_behind_gets_a_reset_instead_of_the_backlog(client, sites, quick):
    hall, _ = sites
    quick.QGT_LIVE_CATCH_UP_LIMIT = 3
    events = [_event(hall) for _ in range(5)]
    raw = b"".join(client.get(reverse("live-events", args=["hall"]), {"after": 0}).streaming_content)
    [reset] = [m for m in parse_sse(raw) if m.get("event") == "reset"]
    assert reset["id"] == str(events[-1].id)
    assert json.loads(reset["data"]) == {"last_event_id": events[-1].id}
    assert events_of(raw) == []


def test_a_client_ahead_of_the_table_gets_a_reset(client, sites, quick):
    # The screen saw ids of a database that was since replaced (a restore, a fresh demo).
    hall, _ = sites
    latest = _event(hall)
    raw = b"".join(client.get(reverse("live-events", args=["hall"]), {"after": latest.id + 500}).streaming_content)
    [reset] = [m for m in parse_sse(raw) if m.get("event") == "reset"]
    assert reset["id"] == str(latest.id)


@pytest.mark.parametrize("header", ["abc", "-1", "1.5", "１２"])
def test_a_bad_last_event_id_is_a_400_naming_it(client, sites, header):
    response = client.get(reverse("live-events", args=["hall"]), HTTP_LAST_EVENT_ID=header)
    assert response.status_code == 400
    assert "Last-Event-ID" in response.content.decode()


def test_a_bad_after_is_a_400_naming_it(client, sites):
    response = client.get(reverse("live-events", args=["hall"]), {"after": "x"})
    assert response.status_code == 400
    assert "after" in response.content.decode()


def test_an_unknown_site_is_a_404(client, db):
    assert client.get(reverse("live-events", args=["nowhere"])).status_code == 404


# --- holding back at a gap (PostgreSQL commits ids out of order) ----------------------------------


def _row(id_, age_seconds=0, site_id=1):
    return SimpleNamespace(id=id_, site_id=site_id, created_at=timezone.now() - datetime.timedelta(seconds=age_seconds))


def test_the_cursor_waits_at_a_fresh_gap_then_delivers_in_order(settings):
    settings.QGT_LIVE_GAP_GRACE_SECONDS = 3
    cursor = live._Cursor(10, hold_gaps=True)
    now = timezone.now()
    # 12 is committed, 11 not yet: nothing past the gap goes out.
    assert [r.id for r in cursor.advance([_row(12)], clock=100.0, now=now)] == []
    assert cursor.position == 10
    # 11 commits: both go, in order.
    assert [r.id for r in cursor.advance([_row(11), _row(12)], clock=100.5, now=now)] == [11, 12]
    assert cursor.position == 12


def test_the_cursor_gives_up_on_a_gap_after_the_grace(settings):
    # A rolled-back transaction leaves its id unused for good.
    settings.QGT_LIVE_GAP_GRACE_SECONDS = 3
    cursor = live._Cursor(10, hold_gaps=True)
    now = timezone.now()
    assert cursor.advance([_row(12)], clock=100.0, now=now) == []
    assert cursor.advance([_row(12)], clock=102.9, now=now) == []
    assert [r.id for r in cursor.advance([_row(12), _row(13)], clock=103.0, now=now)] == [12, 13]


def test_on_sqlite_the_cursor_never_waits_at_a_gap(settings):
    # One writer at a time: a higher id committed means every lower one is committed or rolled back.
    settings.QGT_LIVE_GAP_GRACE_SECONDS = 3
    cursor = live._Cursor(10, hold_gaps=False)
    assert [r.id for r in cursor.advance([_row(12)], clock=100.0, now=timezone.now())] == [12]


def test_the_cursor_passes_a_gap_behind_an_old_event_at_once(settings):
    settings.QGT_LIVE_GAP_GRACE_SECONDS = 3
    cursor = live._Cursor(0, hold_gaps=True)
    rows = [_row(4, age_seconds=120), _row(9, age_seconds=90), _row(10)]
    assert [r.id for r in cursor.advance(rows, clock=5.0, now=timezone.now())] == [4, 9, 10]


# --- the board --------------------------------------------------------------------------------------


def test_the_board_shows_calls_windows_and_queues_with_numbers_only(floor, officer, window3):
    floor.closing_time = datetime.time(23, 59, 59)
    floor.save()
    today = timezone.make_aware(datetime.datetime.combine(timezone.localdate(), datetime.time(0, 1)))
    first, _ = ticket_issue(site=floor, category="A", phone="13812345678", now=today)
    ticket_issue(site=floor, category="A", now=today)
    ticket_issue(site=floor, category="C", now=today)
    window_sign_in(window=window3, officer=officer, now=today)
    called = ticket_call_next(window=window3, officer=officer, now=today)
    assert called == first
    ticket_start(ticket=called, officer=officer, now=today)
    window1 = Window.objects.get(site=floor, number=1)
    other = officer.__class__.objects.get(username="officer01")
    window_sign_in(window=window1, officer=other, now=today)
    window_pause(window=window1, officer=other, reason="午休", now=today)

    board = live.board_state(site=floor)

    assert board["site"] == {"code": "qjq-hall", "name": floor.name}
    assert [w["number"] for w in board["windows"]] == [1, 2, 3, 4, 5, 6]
    three = board["windows"][2]
    assert (three["ticket"], three["ticket_status"], three["status_text"]) == ("A001", "serving", "办理中")
    assert board["windows"][0]["state"] == WindowState.PAUSED
    assert board["paused"] == [{"number": 1, "reason": "午休", "text": "1号窗口暂停服务（午休）"}]
    assert board["windows"][1]["status_text"] == "未开放"
    assert board["calls"][0]["text"] == "请A001号到3号窗口办理"
    assert (board["calls"][0]["ticket"], board["calls"][0]["window"]) == ("A001", 3)
    waiting = {q["prefix"]: (q["name"], q["count"]) for q in board["waiting"]}
    assert waiting["A"] == ("社保医保", 1)
    assert waiting["C"] == ("企业服务", 1)
    assert waiting["E"] == ("咨询", 0)
    assert board["last_event_id"] == LiveEvent.objects.filter(site=floor).latest("id").id

    dumped = json.dumps(board, ensure_ascii=False)
    assert "1381234" not in dumped
    assert not shows_phone_tail(dumped, "5678")
    for user in (officer, other):
        assert user.username not in dumped
        if user.get_full_name():
            assert user.get_full_name() not in dumped


def test_the_board_of_a_quiet_site_is_empty_but_complete(sites):
    hall, _ = sites
    board = live.board_state(site=hall)
    assert board["windows"] == board["calls"] == board["waiting"] == board["paused"] == []
    assert board["last_event_id"] == 0


# --- the ASGI stream -------------------------------------------------------------------------------


def _scope(path, query=b"", headers=()):
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": query,
        "headers": [(b"host", b"testserver"), *headers],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }


class _Connection:
    """One client of an ASGI application: feeds it the request, collects what it sends."""

    def __init__(self, application, scope):
        self.incoming = asyncio.Queue()
        self.outgoing = asyncio.Queue()
        self.body = b""
        self.incoming.put_nowait({"type": "http.request", "body": b"", "more_body": False})
        self.task = asyncio.ensure_future(application(scope, self.incoming.get, self.outgoing.put))

    async def start(self):
        return await asyncio.wait_for(self.outgoing.get(), 5)

    async def read_until(self, wanted):
        while wanted not in self.body:
            message = await asyncio.wait_for(self.outgoing.get(), 5)
            self.body += message.get("body", b"")

    async def disconnect(self):
        await self.incoming.put({"type": "http.disconnect"})
        await asyncio.wait_for(self.task, 5)


def run(coroutine_function, *args):
    """Run an async test scenario on an event loop of its own thread (Playwright's may be running in this one)."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine_function(*args)).result()


@pytest.fixture
def asgi_db():
    """Close the feed thread's database connection after the test (PostgreSQL drops the test database)."""
    yield
    live._db_thread().submit(connections.close_all).result()


@pytest.mark.django_db(transaction=True)
def test_the_asgi_stream_catches_up_then_pushes_an_event_written_after_connecting(sites, quick, asgi_db):
    from quangangtong.asgi import application

    hall, station = sites
    missed = _event(hall, ticket="A001")

    async def scenario():
        connection = _Connection(application, _scope("/live/hall/events", headers=[(b"last-event-id", b"0")]))
        start = await connection.start()
        assert start["status"] == 200
        assert (b"content-type", b"text/event-stream; charset=utf-8") in start["headers"]
        await connection.read_until(f"id: {missed.id}\n".encode())
        await asyncio.sleep(0.1)  # the broadcaster has polled since
        other = await live.in_db_thread(_event, station)
        call = await live.in_db_thread(
            lambda: _event(hall, kind="call", ticket="A001", window=3, text="请A001号到3号窗口办理")
        )
        await connection.read_until(f"id: {call.id}\n".encode())
        await connection.disconnect()
        return connection.body, other, call

    body, other, call = run(scenario)
    received = events_of(body)
    assert [int(m["id"]) for m in received] == [missed.id, call.id]
    assert received[-1]["event"] == "call"
    assert json.loads(received[-1]["data"])["text"] == "请A001号到3号窗口办理"
    assert other.id not in [int(m["id"]) for m in received]
    assert live._broadcasters == {}  # the last stream gone, the process stops polling


@pytest.mark.django_db(transaction=True)
def test_the_asgi_streams_share_one_poll_and_each_gets_every_event_once(sites, quick, asgi_db):
    from quangangtong.asgi import application

    hall, _ = sites
    polls = []
    original = live._rows_after

    def counted(position, limit):
        polls.append(position)
        return original(position, limit)

    async def scenario():
        live._rows_after = counted
        try:
            clients = [_Connection(application, _scope("/live/hall/events", query=b"after=0")) for _ in range(5)]
            for client in clients:
                await client.start()
                await client.read_until(b"retry: ")
            await asyncio.sleep(0.1)
            events = [await live.in_db_thread(_event, hall) for _ in range(3)]
            for client in clients:
                await client.read_until(f"id: {events[-1].id}\n".encode())
            ticks = len(polls)
            for client in clients:
                await client.disconnect()
            return clients, events, ticks
        finally:
            live._rows_after = original

    clients, events, ticks = run(scenario)
    for client in clients:
        assert [int(m["id"]) for m in events_of(client.body)] == [e.id for e in events]
    # One query per tick for the process, not one per connection: ticks of 10 ms over well under a second.
    assert ticks < 100


@pytest.mark.django_db(transaction=True)
def test_a_stream_that_falls_behind_is_closed_so_that_its_client_catches_up(sites, quick, asgi_db):
    hall, _ = sites
    quick.QGT_LIVE_STREAM_QUEUE = 2

    async def scenario():
        stream = live._follow_async(hall.id, None)
        assert (await anext(stream)).startswith(b"retry: ")
        [waiting] = live._broadcasters[asyncio.get_running_loop()].streams[hall.id]
        for n in range(3):  # the client has not read; a third message does not fit
            waiting.push(10**9 + n, b"id: x\n\n")
        assert waiting.overflowed
        assert len(waiting.pending) == 2
        with pytest.raises(StopAsyncIteration):
            await anext(stream)
        return live._broadcasters

    assert run(scenario) == {}


@pytest.mark.django_db(transaction=True)
def test_the_asgi_app_answers_bad_requests_in_chinese(sites, asgi_db):
    from quangangtong.asgi import application

    async def answer(scope):
        connection = _Connection(application, scope)
        start = await connection.start()
        body = await asyncio.wait_for(connection.outgoing.get(), 5)
        await asyncio.wait_for(connection.task, 5)
        return start["status"], body["body"].decode()

    status, text = run(answer, _scope("/live/nowhere/events"))
    assert (status, "站点“nowhere”不存在" in text) == (404, True)
    status, text = run(answer, _scope("/live/hall/events", query=b"after=abc"))
    assert (status, "“after”" in text) == (400, True)
    scope = _scope("/live/hall/events")
    scope["headers"] = [(b"host", b"evil.example")]
    assert run(answer, scope)[0] == 400


@pytest.mark.django_db(transaction=True)
def test_the_asgi_app_hands_other_paths_to_django(sites, asgi_db, monkeypatch):
    from quangangtong.asgi import application

    # As `qgt serve` runs it: Django serves each ASGI request's queries from a thread of its own.
    monkeypatch.setitem(connections.settings["default"], "CONN_MAX_AGE", 0)

    async def scenario():
        connection = _Connection(application, _scope("/display/hall/board.json"))
        start = await connection.start()
        await connection.read_until(b"}")
        await asyncio.wait_for(connection.task, 5)
        return start["status"], connection.body

    status, body = run(scenario)
    assert status == 200
    assert json.loads(body)["site"]["code"] == "hall"


@pytest.mark.django_db(transaction=True)
def test_the_django_view_streams_asynchronously_under_asgi(sites, quick, asgi_db, async_client):
    hall, _ = sites
    old = _event(hall)

    async def scenario():
        response = await async_client.get(reverse("live-events", args=["hall"]), headers={"last-event-id": "0"})
        assert response.status_code == 200
        assert response.is_async
        body = b""
        async for chunk in response.streaming_content:
            body += chunk
        await sync_to_async(connections.close_all)()  # the view's thread; PostgreSQL drops the test database
        return body

    body = run(scenario)
    assert [int(m["id"]) for m in events_of(body)] == [old.id]


# --- the production server, several processes ------------------------------------------------------


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _qgt(args, env, **kwargs):
    return subprocess.run(
        [sys.executable, "-m", "quangangtong.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        **kwargs,
    )


def _open_stream(port):
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    sock.sendall(b"GET /live/hall/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n")
    return sock


def _read_until(sock, wanted, seconds=15):
    data, deadline = b"", time.monotonic() + seconds
    while wanted not in data:
        if time.monotonic() > deadline:
            raise AssertionError(f"{wanted!r} not received; got {data!r}")
        chunk = sock.recv(65536)
        if not chunk:
            raise AssertionError(f"stream closed before {wanted!r}; got {data!r}")
        data += chunk
    return data


def test_a_call_written_by_another_process_reaches_every_display_of_qgt_serve(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("QGT_", "DJANGO_"))}
    env.update(
        QGT_DATA_DIR=str(tmp_path / "var"),
        QGT_SECRET_KEY="x" * 60,
        QGT_ALLOWED_HOSTS="127.0.0.1",
        QGT_SECURE_COOKIES="0",
        QGT_WORKERS="2",
    )
    (tmp_path / "var").mkdir()
    assert _qgt(["manage", "migrate", "-v0"], env).returncode == 0
    make_site = "from quangangtong.hall.models import Site; Site(code='hall', name='大厅').save()"
    made = _qgt(["manage", "shell", "-c", make_site], env)
    assert made.returncode == 0, made.stderr
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "quangangtong.cli", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    streams = []
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/display/hall/board.json", timeout=5) as answer:
                    assert answer.status == 200
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(server.stdout.read() if server.poll() is not None else "no answer") from None
                time.sleep(0.3)
        streams = [_open_stream(port) for _ in range(4)]
        for sock in streams:
            head = _read_until(sock, b"retry: ")
            assert head.startswith(b"HTTP/1.1 200")
            assert b"text/event-stream" in head
        time.sleep(1)  # every worker's broadcaster has started polling
        write = (
            "from django.utils import timezone; from quangangtong.hall.models import Site; "
            "from quangangtong.queueing.models import LiveEvent; "
            "LiveEvent.objects.create(site=Site.objects.get(code='hall'), kind='call', created_at=timezone.now(), "
            "payload={'ticket': 'A001', 'window': 3, 'text': '请A001号到3号窗口办理', 'waiting': {}})"
        )
        written = _qgt(["manage", "shell", "-c", write], env)
        assert written.returncode == 0, written.stderr
        for sock in streams:
            data = _read_until(sock, "请A001号到3号窗口办理".encode())
            assert data.count(b"event: call") == 1
    finally:
        for sock in streams:
            sock.close()
        server.terminate()
        try:
            server.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.communicate()


def test_qgt_serve_runs_the_asgi_application_without_persistent_connections(monkeypatch, tmp_path):
    from quangangtong import cli

    started = {}
    monkeypatch.setattr("uvicorn.run", lambda app, **options: started.update(app=app, **options))
    monkeypatch.setattr("django.core.management.call_command", lambda *args, **kwargs: None)
    monkeypatch.setenv("QGT_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("QGT_DB_CONN_MAX_AGE", "")  # restored, i.e. removed again, after the test
    monkeypatch.delenv("QGT_DB_CONN_MAX_AGE")

    cli.main(["serve", "--port", "8123", "--workers", "2"])

    assert started["app"] == "quangangtong.asgi:application"
    assert (started["port"], started["workers"]) == (8123, 2)
    assert os.environ["QGT_DB_CONN_MAX_AGE"] == "0"
