"""A webhook receiver on a loopback port: records every request, and answers at once (``/ok``), only once
the test allows it (``/hold``), or never (``/hang``, until the receiver stops)."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HOLD_LIMIT = 120  # seconds a held request waits for release before answering anyway


@dataclass(frozen=True)
class Received:
    path: str
    delivery: str  # X-ChangePortal-Delivery, the idempotency key
    signature: str
    body: bytes
    at: float  # wall clock, comparable with timestamps the workers write to the database


class Receiver:
    def __init__(self):
        self.requests: list[Received] = []
        self.release = threading.Event()
        self.stopping = threading.Event()
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}{path}"

    def received(self, path: str | None = None) -> list[Received]:
        with self._lock:
            return [request for request in self.requests if path is None or request.path == path]

    def unique_deliveries(self, path: str) -> set[str]:
        """What an idempotent receiver keeps: one entry per delivery key, however often it was sent."""
        return {request.delivery for request in self.received(path)}

    def __enter__(self) -> Receiver:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stopping.set()
        self.release.set()
        self._server.shutdown()
        self._server.server_close()

    def _handler(self):
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - the http.server API
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                record = Received(
                    path=self.path,
                    delivery=self.headers.get("X-ChangePortal-Delivery", ""),
                    signature=self.headers.get("X-ChangePortal-Signature", ""),
                    body=body,
                    at=time.time(),
                )
                with receiver._lock:
                    receiver.requests.append(record)
                if self.path == "/hang":
                    receiver.stopping.wait()
                    return
                if self.path == "/hold":
                    receiver.release.wait(HOLD_LIMIT)
                try:
                    self.send_response(200)
                    self.send_header("Content-Length", "2")
                    self.end_headers()
                    self.wfile.write(b"ok")
                except OSError:
                    pass  # the sender is gone (a killed worker): nothing to answer

            def log_message(self, format, *args):
                pass

        return Handler
