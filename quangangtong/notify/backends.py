"""Where text messages go: the console (development), a file of JSON lines, or an SMS gateway over HTTP.

A backend's send() returns the gateway's message id ("" when there is none) or raises SendError with a
Chinese reason; the services record either on the message's row. Chosen by QGT_NOTIFY_BACKEND.
"""

import http.client
import json
import logging
import threading
import urllib.error
import urllib.request
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from quangangtong.ids import mask_phone

logger = logging.getLogger("quangangtong.notify")

# Enough for any gateway's answer; a longer body is cut rather than read into memory.
MAX_RESPONSE_BYTES = 64 * 1024
MAX_ERROR_DETAIL = 200


class SendError(Exception):
    """The backend could not hand the message over; the message says why, in Chinese."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


class ConsoleBackend:
    """Write each message to the log (the phone masked): for development and demos."""

    name = "console"

    def send(self, *, phone, text, ref, key):
        logger.info("短信 %s → %s（%s）：%s", key, mask_phone(phone), ref, text)
        return ""


class FileBackend:
    """Append each message as one JSON line to a file, for another program (or a person) to pick up."""

    name = "file"
    _lock = threading.Lock()

    def __init__(self, *, path):
        self.path = Path(path)

    def send(self, *, phone, text, ref, key):
        line = {"at": timezone.now().isoformat(), "key": key, "phone": phone, "text": text, "ref": ref}
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # Append mode and one short write per line, so lines from several processes do not interleave.
            with self._lock, self.path.open("a", encoding="utf-8") as outbox:
                outbox.write(json.dumps(line, ensure_ascii=False) + "\n")
        except OSError as exc:
            raise SendError(f"无法写入短信文件 {self.path}：{exc.strerror or exc}") from None
        return ""


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    # A redirected POST arrives as a GET without the message; treat any 3xx as the gateway's failure.
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


class HttpBackend:
    """POST each message as JSON to an SMS gateway.

    Request: {"phone", "text", "ref"} with "Authorization: Bearer <QGT_SMS_API_KEY>" and an "Idempotency-Key"
    that stays the same when the message is retried. Answer: any 2xx is accepted; a JSON body may carry the
    gateway's id as "message_id" (or "id"), and a non-empty "error" makes it a failure. Anything else, and no
    answer within the timeout, is a failure.
    """

    name = "http"

    def __init__(self, *, url, api_key, timeout):
        self.url = url
        self.api_key = api_key
        self.timeout = timeout
        self.opener = urllib.request.build_opener(_NoRedirects)

    def send(self, *, phone, text, ref, key):
        body = json.dumps({"phone": phone, "text": text, "ref": ref}, ensure_ascii=False).encode()
        request = urllib.request.Request(
            self.url,
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json; charset=utf-8",
                "Accept": "application/json",
                "Authorization": f"Bearer {self.api_key}",
                "Idempotency-Key": key,
                "User-Agent": "quangangtong-notify",
            },
        )
        try:
            with self.opener.open(request, timeout=self.timeout) as response:
                raw = response.read(MAX_RESPONSE_BYTES)
        except urllib.error.HTTPError as exc:
            detail = _shorten(exc.read(MAX_ERROR_DETAIL * 4))
            raise SendError(f"短信网关返回 HTTP {exc.code}{'：' + detail if detail else ''}") from None
        except TimeoutError:
            raise SendError(self._timed_out()) from None
        except urllib.error.URLError as exc:
            if isinstance(exc.reason, TimeoutError):
                raise SendError(self._timed_out()) from None
            raise SendError(f"无法连接短信网关 {self.url}：{exc.reason}") from None
        except (http.client.HTTPException, OSError) as exc:
            raise SendError(f"与短信网关通信中断：{exc!r}") from None
        return _gateway_message_id(raw)

    def _timed_out(self):
        return f"短信网关 {self.timeout} 秒内没有应答（超时）；短信可能已发出，重试时网关可按 Idempotency-Key 去重"


def get_backend():
    """Return the backend QGT_NOTIFY_BACKEND names, configured from settings."""
    name = settings.QGT_NOTIFY_BACKEND
    if name == ConsoleBackend.name:
        return ConsoleBackend()
    if name == FileBackend.name:
        return FileBackend(path=settings.QGT_NOTIFY_FILE)
    if name == HttpBackend.name:
        url = settings.QGT_SMS_URL
        if not url.startswith(("http://", "https://")):
            raise ImproperlyConfigured(f"QGT_SMS_URL={url!r}: the http backend needs the gateway's http(s):// URL.")
        if not settings.QGT_SMS_API_KEY:
            raise ImproperlyConfigured("QGT_SMS_API_KEY is empty: the http backend needs the gateway's API key.")
        return HttpBackend(url=url, api_key=settings.QGT_SMS_API_KEY, timeout=settings.QGT_SMS_TIMEOUT)
    raise ImproperlyConfigured(f"QGT_NOTIFY_BACKEND={name!r} is not one of console, file, http.")


def _gateway_message_id(raw):
    try:
        answer = json.loads(raw.decode("utf-8")) if raw.strip() else {}
    except (UnicodeDecodeError, ValueError):
        return ""
    if not isinstance(answer, dict):
        return ""
    if answer.get("error"):
        raise SendError(f"短信网关拒绝发送：{_shorten(str(answer['error']).encode())}")
    return str(answer.get("message_id") or answer.get("id") or "")[:100]


def _shorten(raw):
    text = raw.decode("utf-8", errors="replace").strip()
    return text if len(text) <= MAX_ERROR_DETAIL else text[:MAX_ERROR_DETAIL] + "…"
