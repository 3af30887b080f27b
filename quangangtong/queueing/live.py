"""The live feed: hall displays and workbenches follow the LiveEvent table over Server-Sent Events.

The table is the truth and an event's id is the resume point. A client names the last id it saw (the
Last-Event-ID header that EventSource sends when it reconnects, or ``?after=`` on its first connection)
and gets every later event of its site once, in id order, then each new one as it is written. Server
processes only read the table, so any number of them can serve streams, on SQLite or PostgreSQL:

- under ASGI (``qgt serve``) one broadcaster task per process polls the table with one query per tick
  and wakes every connected stream of the event's site (`events_asgi` serves these streams ahead of
  Django's middleware, so an idle stream holds no thread);
- under WSGI (``qgt demo``'s runserver, the browser tests' live server) each stream is a plain
  generator that polls the table itself.

Streams end after QGT_LIVE_STREAM_SECONDS; EventSource then reconnects with Last-Event-ID. A client too
far behind (more than QGT_LIVE_CATCH_UP_LIMIT events, or ahead of the table after a restore) gets a
``reset`` event instead of the backlog and reloads the board.
"""

import asyncio
import collections
import contextlib
import datetime
import json
import logging
import re
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import parse_qs

from django.conf import settings
from django.core.handlers.asgi import ASGIRequest
from django.db import DatabaseError, connection
from django.db.models import Max
from django.http import HttpResponse, StreamingHttpResponse
from django.http.request import split_domain_port, validate_host
from django.utils import timezone

from quangangtong.hall.models import Site, WindowState
from quangangtong.queueing.errors import FloorError
from quangangtong.queueing.models import LiveEvent, Ticket, TicketStatus
from quangangtong.queueing.services import waiting_counts

logger = logging.getLogger(__name__)

DEFAULTS = {
    "QGT_LIVE_POLL_SECONDS": 0.25,
    "QGT_LIVE_SYNC_POLL_SECONDS": 0.5,
    "QGT_LIVE_HEARTBEAT_SECONDS": 15,
    "QGT_LIVE_STREAM_SECONDS": 600,
    "QGT_LIVE_RETRY_MS": 3000,
    "QGT_LIVE_CATCH_UP_LIMIT": 500,
    "QGT_LIVE_GAP_GRACE_SECONDS": 3,
    "QGT_LIVE_STREAM_QUEUE": 1000,
}
# A gap behind an event written this long ago can no longer be filled: its transaction is long over.
OLD_GAP = datetime.timedelta(seconds=60)
LAST_CALLS = 8
EVENTS_PATH = re.compile(r"^/live/(?P<site>[-a-zA-Z0-9_]+)/events$")
KEEPALIVE = b": keepalive\n\n"
SSE_HEADERS = {
    "Content-Type": "text/event-stream; charset=utf-8",
    "Cache-Control": "no-cache, no-transform",
    "X-Accel-Buffering": "no",
    "X-Content-Type-Options": "nosniff",
}


def live_setting(name):
    """Return a QGT_LIVE_* setting, or its default."""
    return getattr(settings, name, DEFAULTS[name])


# --- reading the table --------------------------------------------------------------------------


def events_after(*, site, after_id, limit=None):
    """Return site's live events with an id above after_id, oldest first, at most limit of them."""
    limit = limit or live_setting("QGT_LIVE_CATCH_UP_LIMIT")
    return list(LiveEvent.objects.filter(site=site, id__gt=after_id).order_by("id")[:limit])


def _rows(queryset):
    return queryset.order_by("id").values_list("id", "site_id", "kind", "payload", "created_at", named=True)


def _rows_after(position, limit):
    return list(_rows(LiveEvent.objects.filter(id__gt=position))[:limit])


def _latest_id():
    return LiveEvent.objects.aggregate(latest=Max("id"))["latest"] or 0


def _too_far_behind(site_id, after, latest):
    """Say whether a client resuming after this id must reload the board instead of catching up."""
    if after > latest:
        # The client saw ids this table never had: the database was replaced (a restore, a new demo).
        return True
    limit = live_setting("QGT_LIVE_CATCH_UP_LIMIT")
    beyond = LiveEvent.objects.filter(site_id=site_id, id__gt=after).values_list("id", flat=True)[limit : limit + 1]
    return bool(list(beyond))


class _Cursor:
    """Follow the whole table in id order, waiting briefly at a gap that an open transaction may still fill.

    On PostgreSQL an id is taken at insert but seen at commit, so two windows calling at once can make
    id 11 visible before id 10; a follower that moved past 11 would never send 10. So the cursor stops
    at a gap until it is filled, or for QGT_LIVE_GAP_GRACE_SECONDS (a rolled-back transaction leaves a
    gap for good), or at once when the event after the gap is old. SQLite writes one transaction at a
    time, so there a gap is always a rollback (or a deleted row) and is passed at once.
    """

    def __init__(self, position, *, hold_gaps=None):
        self.position = position
        self.hold_gaps = connection.vendor != "sqlite" if hold_gaps is None else hold_gaps
        self._gap = None  # (first missing id, when it was first seen)

    def advance(self, rows, *, clock, now):
        """Return the rows, in order, that can be delivered now, and move past them."""
        ready = []
        grace = live_setting("QGT_LIVE_GAP_GRACE_SECONDS")
        for row in rows:
            if row.id <= self.position:
                continue
            if row.id > self.position + 1 and self.hold_gaps:
                start = self.position + 1
                if self._gap is None or self._gap[0] != start:
                    self._gap = (start, clock)
                if clock - self._gap[1] < grace and now - row.created_at < OLD_GAP:
                    break
            self._gap = None
            ready.append(row)
            self.position = row.id
        return ready


# --- the board ----------------------------------------------------------------------------------


def board_state(*, site):
    """Return what a calling board shows: numbers only, never names or phones."""
    # Read the resume point first: an event written while the rest is read is then sent again, not lost.
    last_event_id = LiveEvent.objects.filter(site=site).aggregate(latest=Max("id"))["latest"] or 0
    now = timezone.now()
    active = {
        ticket.window_id: ticket
        for ticket in Ticket.objects.filter(
            site=site, window__isnull=False, status__in=(TicketStatus.CALLED, TicketStatus.SERVING)
        ).order_by("id")
    }
    windows, paused = [], []
    for window in site.windows.order_by("number"):
        ticket = active.get(window.id)
        reason = (window.pause_reason or "暂停服务") if window.state == WindowState.PAUSED else ""
        windows.append(
            {
                "number": window.number,
                "name": window.name or f"{window.number}号窗口",
                "state": window.state,
                "state_label": window.get_state_display(),
                "reason": reason,
                "ticket": ticket.number if ticket else None,
                "ticket_status": ticket.status if ticket else None,
                "status_text": _status_text(window.state, ticket.status if ticket else None),
            }
        )
        if window.state == WindowState.PAUSED:
            paused.append({"number": window.number, "reason": reason, "text": _paused_text(window.number, reason)})
    start_of_day = timezone.make_aware(datetime.datetime.combine(timezone.localdate(now), datetime.time()))
    calls = LiveEvent.objects.filter(site=site, kind="call", created_at__gte=start_of_day).order_by("-id")
    counts = waiting_counts(site)
    categories = site.ticket_categories.filter(is_active=True).order_by("sort_order", "prefix")
    return {
        "site": {"code": site.code, "name": site.name},
        "windows": windows,
        "paused": paused,
        "calls": [
            {
                "id": event.id,
                "ticket": event.payload.get("ticket"),
                "window": event.payload.get("window"),
                "text": event.payload.get("text", ""),
                "at": timezone.localtime(event.created_at).isoformat(),
            }
            for event in calls[:LAST_CALLS]
        ],
        "waiting": [{"prefix": c.prefix, "name": c.name, "count": counts.get(c.prefix, 0)} for c in categories],
        "last_event_id": last_event_id,
        "generated_at": timezone.localtime(now).isoformat(),
    }


def _status_text(state, ticket_status):
    if state == WindowState.PAUSED:
        return "暂停服务"
    if state == WindowState.CLOSED:
        return "未开放"
    return {TicketStatus.CALLED: "请到窗口", TicketStatus.SERVING: "办理中"}.get(ticket_status, "等待叫号")


def _paused_text(number, reason):
    if reason and reason != "暂停服务":
        return f"{number}号窗口暂停服务（{reason}）"
    return f"{number}号窗口暂停服务"


# --- the stream's messages ----------------------------------------------------------------------


def _message(row):
    """Encode one event as an SSE message; the data is its payload plus "at", the time it was written."""
    data = {**row.payload, "at": timezone.localtime(row.created_at).isoformat()}
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), default=str)
    return f"id: {row.id}\nevent: {row.kind}\ndata: {text}\n\n".encode()


def _reset(position):
    return f'id: {position}\nevent: reset\ndata: {{"last_event_id":{position}}}\n\n'.encode()


def _retry():
    return f"retry: {int(live_setting('QGT_LIVE_RETRY_MS'))}\n\n".encode()


def resume_point(*, last_event_id=None, after=None):
    """Return the id a stream resumes after: the Last-Event-ID header, else ?after=, else None (from now)."""
    for name, raw in (("Last-Event-ID", last_event_id), ("after", after)):
        if raw is None or not raw.strip():
            continue
        raw = raw.strip()
        if not (raw.isascii() and raw.isdigit()) or len(raw) > 18:
            message = f"“{name}”应为非负整数（已收到的最后一个事件编号），收到“{raw[:20]}”"
            raise FloorError(message, status=400, field=name)
        return int(raw)
    return None


def event_stream_response(request, *, site):
    """Return the SSE response for site, asynchronous under ASGI and a plain generator under WSGI."""
    try:
        after = resume_point(last_event_id=request.headers.get("Last-Event-ID"), after=request.GET.get("after"))
    except FloorError as error:
        return HttpResponse(error.message, status=error.status, content_type="text/plain; charset=utf-8")
    # Never an async iterator under WSGI: Django would buffer it to the end, which never comes.
    asynchronous = isinstance(request, ASGIRequest)
    stream = _follow_async(site.id, after) if asynchronous else _follow_sync(site.id, after)
    response = StreamingHttpResponse(stream)
    for header, value in SSE_HEADERS.items():
        response[header] = value
    return response


# --- WSGI: each stream polls ---------------------------------------------------------------------


def _follow_sync(site_id, after):
    clock = time.monotonic
    deadline = clock() + live_setting("QGT_LIVE_STREAM_SECONDS")
    heartbeat = live_setting("QGT_LIVE_HEARTBEAT_SECONDS")
    poll = live_setting("QGT_LIVE_SYNC_POLL_SECONDS")
    batch = live_setting("QGT_LIVE_CATCH_UP_LIMIT")
    yield _retry()
    try:
        latest = _latest_id()
        if after is None:
            after = latest
        elif _too_far_behind(site_id, after, latest):
            yield _reset(latest)
            after = latest
        cursor = _Cursor(after)
        beat = clock() + heartbeat
        while clock() < deadline:
            rows = _rows_after(cursor.position, batch)
            start = cursor.position
            for row in cursor.advance(rows, clock=clock(), now=timezone.now()):
                if row.site_id == site_id:
                    yield _message(row)
                    beat = clock() + heartbeat
            if len(rows) == batch and cursor.position != start:
                continue
            if clock() >= beat:
                yield KEEPALIVE
                beat = clock() + heartbeat
            time.sleep(poll)
    except DatabaseError:
        # End the stream; the client reconnects after the retry delay and resumes where it was.
        logger.exception("live stream of site %s stopped on a database error", site_id)
        connection.close()


# --- ASGI: one broadcaster per process ------------------------------------------------------------

_db_executor = None


def _db_thread():
    global _db_executor
    if _db_executor is None:
        # One thread does all the feed's queries in this process: one connection, no query races.
        _db_executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="qgt-live-db")
    return _db_executor


def _run_query(function, *args):
    try:
        return function(*args)
    except DatabaseError:
        connection.close()  # reconnect next time, e.g. after the database server restarted
        raise


async def in_db_thread(function, *args):
    """Run function(*args), which uses the ORM, in the feed's database thread of this process."""
    return await asyncio.get_running_loop().run_in_executor(_db_thread(), _run_query, function, *args)


class _Stream:
    """What the broadcaster hands one connected client: encoded messages waiting to be sent."""

    __slots__ = ("overflowed", "pending", "site_id", "wake")

    def __init__(self, site_id):
        self.site_id = site_id
        self.pending = collections.deque()
        self.wake = asyncio.Event()
        self.overflowed = False

    def push(self, event_id, message):
        if len(self.pending) >= live_setting("QGT_LIVE_STREAM_QUEUE"):
            # A client that does not read is dropped; it reconnects and catches up from the table.
            self.overflowed = True
        else:
            self.pending.append((event_id, message))
        self.wake.set()


class _Broadcaster:
    """Poll the table once per tick for this process and hand each new event to the streams of its site."""

    def __init__(self, loop):
        self.loop = loop
        self.streams = {}
        self.position = None
        self.started = asyncio.Event()
        self.task = loop.create_task(self._run())

    def subscribe(self, site_id):
        stream = _Stream(site_id)
        self.streams.setdefault(site_id, set()).add(stream)
        return stream

    def unsubscribe(self, stream):
        group = self.streams.get(stream.site_id)
        if group is not None:
            group.discard(stream)
            if not group:
                del self.streams[stream.site_id]
        if not self.streams:
            # Nobody is listening in this process: stop polling until the next stream comes.
            self.task.cancel()
            if _broadcasters.get(self.loop) is self:
                del _broadcasters[self.loop]

    async def horizon(self):
        """Return the id up to which this process has handed out every event."""
        await self.started.wait()
        return self.position

    async def _run(self):
        poll = live_setting("QGT_LIVE_POLL_SECONDS")
        while True:
            try:
                cursor = _Cursor(await in_db_thread(_latest_id))
                break
            except DatabaseError:
                logger.exception("live feed cannot read the event table; retrying")
                await asyncio.sleep(max(poll, 1))
        self.position = cursor.position
        self.started.set()
        batch = live_setting("QGT_LIVE_CATCH_UP_LIMIT")
        while True:
            await asyncio.sleep(poll)
            try:
                rows = await in_db_thread(_rows_after, cursor.position, batch)
            except DatabaseError:
                logger.exception("live feed poll failed; retrying")
                continue
            for row in cursor.advance(rows, clock=time.monotonic(), now=timezone.now()):
                message = None
                for stream in tuple(self.streams.get(row.site_id, ())):
                    message = message or _message(row)
                    stream.push(row.id, message)
            self.position = cursor.position


_broadcasters = {}


def _broadcaster():
    loop = asyncio.get_running_loop()
    broadcaster = _broadcasters.get(loop)
    if broadcaster is None:
        broadcaster = _broadcasters[loop] = _Broadcaster(loop)
    return broadcaster


def _catch_up(site_id, after, horizon):
    """Return (reset position or None, the site's events after `after` up to horizon)."""
    latest = _latest_id()
    if _too_far_behind(site_id, after, latest):
        return max(latest, horizon), []
    return None, list(_rows(LiveEvent.objects.filter(site_id=site_id, id__gt=after, id__lte=horizon)))


async def _follow_async(site_id, after):
    clock = time.monotonic
    deadline = clock() + live_setting("QGT_LIVE_STREAM_SECONDS")
    heartbeat = live_setting("QGT_LIVE_HEARTBEAT_SECONDS")
    broadcaster = _broadcaster()
    # Subscribe before reading the horizon: every event past it then reaches this stream's queue.
    stream = broadcaster.subscribe(site_id)
    try:
        yield _retry()
        horizon = await broadcaster.horizon()
        sent = horizon if after is None else max(after, horizon)
        if after is not None:
            reset, rows = await in_db_thread(_catch_up, site_id, after, horizon)
            if reset is not None:
                yield _reset(reset)
                sent = reset
            for row in rows:
                yield _message(row)
        beat = clock() + heartbeat
        while True:
            now = clock()
            if now >= deadline:
                return
            try:
                async with asyncio.timeout(min(deadline, beat) - now):
                    await stream.wake.wait()
            except TimeoutError:
                if clock() >= beat:
                    yield KEEPALIVE
                    beat = clock() + heartbeat
                continue
            stream.wake.clear()
            if stream.overflowed:
                return
            while stream.pending:
                event_id, message = stream.pending.popleft()
                if event_id > sent:
                    sent = event_id
                    yield message
            beat = clock() + heartbeat
    finally:
        broadcaster.unsubscribe(stream)


def _site_id(code):
    return Site.objects.filter(code=code).values_list("id", flat=True).first()


def _allowed_host(headers):
    host, _port = split_domain_port(headers.get("host", ""))
    allowed = settings.ALLOWED_HOSTS
    if settings.DEBUG and not allowed:
        allowed = [".localhost", "127.0.0.1", "[::1]"]
    return bool(host) and validate_host(host, allowed)


async def _plain(send, status, text):
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"text/plain; charset=utf-8"), (b"x-content-type-options", b"nosniff")],
        }
    )
    await send({"type": "http.response.body", "body": text.encode()})


async def _serve_events(scope, receive, send, code):
    headers = {name.decode("latin-1").lower(): value.decode("latin-1") for name, value in scope.get("headers", [])}
    if scope["method"] != "GET":
        return await _plain(send, 405, "只支持 GET")
    if not _allowed_host(headers):
        return await _plain(send, 400, "请求的主机名不在 QGT_ALLOWED_HOSTS 中")
    query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
    try:
        after = resume_point(last_event_id=headers.get("last-event-id"), after=(query.get("after") or [None])[-1])
    except FloorError as error:
        return await _plain(send, 400, error.message)
    site_id = await in_db_thread(_site_id, code)
    if site_id is None:
        return await _plain(send, 404, f"站点“{code}”不存在，请核对显示屏地址")
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(name.lower().encode(), value.encode()) for name, value in SSE_HEADERS.items()],
        }
    )

    async def pump():
        async with contextlib.aclosing(_follow_async(site_id, after)) as stream:
            async for chunk in stream:
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await send({"type": "http.response.body", "body": b""})

    async def disconnected():
        while (await receive())["type"] != "http.disconnect":
            pass

    tasks = [asyncio.ensure_future(pump()), asyncio.ensure_future(disconnected())]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, OSError):
                await task


def events_asgi(application):
    """Wrap Django's ASGI application: serve the live streams here, hand every other request to Django.

    A stream then costs no thread and no middleware while it waits (Django runs the sync-only
    whitenoise middleware in a thread that it keeps for the whole request).
    """

    async def app(scope, receive, send):
        if scope["type"] == "http":
            path = scope["path"]
            root = scope.get("root_path", "")
            if root and path.startswith(root):
                path = path[len(root) :]
            match = EVENTS_PATH.match(path)
            if match:
                return await _serve_events(scope, receive, send, match["site"])
        return await application(scope, receive, send)

    return app
