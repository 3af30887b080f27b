"""How many requests one server process lets into Django at once; the others wait their turn.

Django's ASGI handler gives every request its own thread and, with it, its own database connection. Under a
burst (200 window callers clicking) a process would then run dozens of threads that fight over the GIL and,
on SQLite, over the single write lock, until some wait past the busy timeout and fail. Queueing the excess
here costs nothing while it waits, keeps each process's connections to a known number (which the PostgreSQL
pool is sized for), and answers a request that has waited too long with a clear 503 instead of a 500.
"""

import asyncio
import json

from django.db import OperationalError
from django.http import HttpResponse, JsonResponse

OVERLOADED = "服务器繁忙，请稍后重试（请求排队超过 {seconds:g} 秒）。"


def admission_limited(application, *, limit, wait_seconds):
    """Wrap an ASGI application so at most `limit` HTTP requests of this process are inside it at once.

    A request that cannot get in within wait_seconds is answered 503 with Retry-After; limit 0 turns this off.
    """
    if limit <= 0:
        return application
    semaphores = {}

    async def app(scope, receive, send):
        if scope["type"] != "http":
            return await application(scope, receive, send)
        loop = asyncio.get_running_loop()
        semaphore = semaphores.get(loop)
        if semaphore is None:
            semaphore = semaphores[loop] = asyncio.Semaphore(limit)
        try:
            await asyncio.wait_for(semaphore.acquire(), wait_seconds)
        except TimeoutError:
            return await _overloaded(send, wait_seconds)
        try:
            return await application(scope, receive, send)
        finally:
            semaphore.release()

    return app


async def _overloaded(send, wait_seconds):
    message = OVERLOADED.format(seconds=wait_seconds)
    body = json.dumps({"detail": message, "errors": []}, ensure_ascii=False).encode()
    headers = [
        (b"content-type", b"application/json; charset=utf-8"),
        (b"content-length", str(len(body)).encode()),
        (b"retry-after", b"1"),
    ]
    await send({"type": "http.response.start", "status": 503, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class DatabaseBusyMiddleware:
    """Answer 503 (busy, retry) when SQLite's write lock stayed taken past its busy timeout.

    Under a burst more writers than the database can serve may queue for its single write lock; the one
    that gives up has changed nothing (its transaction rolled back), so the caller may simply try again.
    Every other database error is left to surface as the fault it is.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not (isinstance(exception, OperationalError) and "database is locked" in str(exception)):
            return None
        message = "服务器繁忙，请稍后重试（数据库正忙）。"
        if request.path.startswith("/api/"):
            response = JsonResponse(
                {"detail": message, "errors": []}, status=503, json_dumps_params={"ensure_ascii": False}
            )
        else:
            response = HttpResponse(message, status=503, content_type="text/plain; charset=utf-8")
        response["Retry-After"] = "1"
        return response
