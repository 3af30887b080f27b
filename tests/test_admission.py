"""The per-process admission limit in front of Django (quangangtong/admission.py)."""

import asyncio
import json
from concurrent.futures import ThreadPoolExecutor

import pytest

from quangangtong.admission import admission_limited


def _run(coroutine):
    # A thread of its own: the browser tests' Playwright keeps an event loop running in the main thread.
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def _slow_app(inside, peak, seconds=0.05):
    async def app(scope, receive, send):
        inside.append(1)
        peak[0] = max(peak[0], len(inside))
        await asyncio.sleep(seconds)
        inside.pop()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    return app


async def _call(app, scope_type="http"):
    sent = []

    async def receive():
        return {"type": "http.request", "body": b""}

    async def send(message):
        sent.append(message)

    await app({"type": scope_type, "path": "/"}, receive, send)
    return sent


def test_it_lets_at_most_limit_requests_in_at_once():
    inside, peak = [], [0]
    app = admission_limited(_slow_app(inside, peak), limit=2, wait_seconds=10)

    async def burst():
        return await asyncio.gather(*(_call(app) for _ in range(10)))

    answers = _run(burst())
    assert peak[0] == 2
    assert [answer[0]["status"] for answer in answers] == [200] * 10


def test_it_answers_503_in_chinese_when_a_request_waits_too_long():
    inside, peak = [], [0]
    app = admission_limited(_slow_app(inside, peak, seconds=0.5), limit=1, wait_seconds=0.05)

    async def two():
        return await asyncio.gather(_call(app), _call(app))

    first, second = _run(two())
    assert first[0]["status"] == 200
    assert second[0]["status"] == 503
    assert (b"retry-after", b"1") in second[0]["headers"]
    assert "服务器繁忙" in json.loads(second[1]["body"])["detail"]


def test_it_lets_lifespan_and_other_scopes_through():
    inside, peak = [], [0]
    app = admission_limited(_slow_app(inside, peak), limit=1, wait_seconds=0.01)

    async def many():
        return await asyncio.gather(*(_call(app, scope_type="websocket") for _ in range(3)))

    _run(many())
    assert peak[0] == 3


def test_limit_zero_turns_it_off():
    inner = _slow_app([], [0])
    assert admission_limited(inner, limit=0, wait_seconds=1) is inner


def test_a_busy_sqlite_database_is_a_503_in_chinese_not_a_500(rf):
    from django.db import OperationalError

    from quangangtong.admission import DatabaseBusyMiddleware

    middleware = DatabaseBusyMiddleware(lambda request: None)
    api = middleware.process_exception(rf.post("/api/v1/windows/3/call-next"), OperationalError("database is locked"))
    assert api.status_code == 503
    assert api["Retry-After"] == "1"
    assert "服务器繁忙" in json.loads(api.content)["detail"]
    page = middleware.process_exception(rf.get("/workbench/"), OperationalError("database is locked"))
    assert page.status_code == 503
    assert "服务器繁忙" in page.content.decode()


def test_other_database_errors_stay_faults(rf):
    from django.db import OperationalError

    from quangangtong.admission import DatabaseBusyMiddleware

    middleware = DatabaseBusyMiddleware(lambda request: None)
    assert middleware.process_exception(rf.get("/"), OperationalError("no such table: x")) is None
    assert middleware.process_exception(rf.get("/"), ValueError("database is locked")) is None


@pytest.mark.django_db(transaction=True)
def test_a_request_that_cannot_get_the_write_lock_is_answered_503(client, settings):
    import sqlite3

    from django.db import connection

    if connection.vendor != "sqlite":
        pytest.skip("SQLite's single write lock")
    from quangangtong.demo.loader import demo_load

    demo_load()
    from quangangtong.hall.models import Window

    window = Window.objects.get(site__code="qjq-hall", number=3)
    client.login(username="officer03", password="qgt-demo-2026")
    blocker = sqlite3.connect(connection.settings_dict["NAME"], timeout=0)
    blocker.execute("BEGIN IMMEDIATE")
    try:
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA busy_timeout=50")
        response = client.post(f"/api/v1/windows/{window.pk}/sign-in")
    finally:
        blocker.rollback()
        blocker.close()
    assert response.status_code == 503, response.content
    assert "服务器繁忙" in response.json()["detail"]
    assert not window.sessions.exists()
