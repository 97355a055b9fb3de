"""One HTTP POST with separate connect and read timeouts, standard library only (no redirects followed)."""

import http.client
import ssl
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

MAX_EXCERPT = 1000


@dataclass
class SendResult:
    status: int | None
    duration_ms: int
    excerpt: str = ""
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def post(url: str, body: bytes, headers: dict[str, str], *, connect_timeout: float, read_timeout: float) -> SendResult:
    started = time.monotonic()
    parts = urlsplit(url)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    connection: http.client.HTTPConnection
    if parts.scheme == "https":
        connection = http.client.HTTPSConnection(
            parts.hostname, parts.port, timeout=connect_timeout, context=ssl.create_default_context()
        )
    else:
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=connect_timeout)
    try:
        connection.connect()
        connection.sock.settimeout(read_timeout)
        connection.request("POST", path, body=body, headers=headers)
        response = connection.getresponse()
        excerpt = response.read(MAX_EXCERPT).decode("utf-8", "replace")
        elapsed = int((time.monotonic() - started) * 1000)
        return SendResult(status=response.status, duration_ms=elapsed, excerpt=excerpt)
    except (OSError, http.client.HTTPException, ValueError) as exc:
        elapsed = int((time.monotonic() - started) * 1000)
        return SendResult(status=None, duration_ms=elapsed, error=f"{exc.__class__.__name__}: {exc}"[:2000])
    finally:
        connection.close()
