"""A fake SMS gateway on 127.0.0.1, in a thread: it records every request and answers as told."""

import json
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Received:
    path: str
    headers: dict
    body: dict


class FakeGateway:
    """Answer POSTs according to mode: "ok" (200 with a message id), "fail" (500), "hang" (no answer until
    released, then 200), "redirect" (302), "refuse" (200 with an "error"), "plain" (204, no body)."""

    def __init__(self):
        self.requests = []
        self.mode = "ok"
        self.release = threading.Event()
        self.arrived = threading.Condition()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        # A client that timed out closes the socket before the answer: nothing to report.
        self.server.handle_error = lambda request, client_address: None
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def url(self):
        host, port = self.server.server_address
        return f"http://{host}:{port}/sms/send"

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.release.set()
        self.server.shutdown()
        self.server.server_close()

    def wait_for_requests(self, count, timeout=10):
        with self.arrived:
            return self.arrived.wait_for(lambda: len(self.requests) >= count, timeout=timeout)

    def _handler(self):
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
                with gateway.arrived:
                    gateway.requests.append(Received(self.path, dict(self.headers), body))
                    number = len(gateway.requests)
                    gateway.arrived.notify_all()
                mode = gateway.mode
                if mode == "hang":
                    gateway.release.wait(timeout=30)
                if mode == "fail":
                    self._answer(500, b'{"error": "internal"}')
                elif mode == "redirect":
                    self.send_response(302)
                    self.send_header("Location", "/elsewhere")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                elif mode == "refuse":
                    self._answer(200, json.dumps({"error": "余额不足"}, ensure_ascii=False).encode())
                elif mode == "plain":
                    self.send_response(204)
                    self.end_headers()
                else:
                    self._answer(200, json.dumps({"message_id": f"gw-{number}"}).encode())

            def _answer(self, status, payload):
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, format, *args):
                pass

        return Handler
