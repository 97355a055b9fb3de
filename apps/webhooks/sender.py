"""One HTTP POST with separate connect and read timeouts, standard library only (no redirects followed).

The URL is checked by apps.platform.outbound first (no loopback, private or metadata targets unless allowed), and
the socket connects to the address that check resolved, not to a second lookup of the name: TLS still verifies
the certificate against the host name (SNI and hostname check), and the Host header names the host.
"""

import http.client
import socket
import ssl
import time
from dataclasses import dataclass
from email.utils import parsedate_to_datetime

from apps.platform import outbound

MAX_EXCERPT = 1000
MAX_RETRY_AFTER_SECONDS = 3600


@dataclass
class SendResult:
    status: int | None
    duration_ms: int
    excerpt: str = ""
    error: str = ""
    retry_after: float | None = None  # seconds, from a 429/5xx's Retry-After header

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300

    @property
    def refused(self) -> bool:
        """The URL itself was refused (unsafe target): retrying cannot help until someone fixes it."""
        return self.error.startswith("UnsafeURL")


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header: delta-seconds or an HTTP date; None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return min(float(value), MAX_RETRY_AFTER_SECONDS)
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment is None:
        return None
    seconds = moment.timestamp() - (time.time() if now is None else now)
    return min(max(seconds, 0.0), MAX_RETRY_AFTER_SECONDS)


def _connection(target: outbound.Target, connect_timeout: float) -> http.client.HTTPConnection:
    connection: http.client.HTTPConnection
    if target.scheme == "https":
        connection = http.client.HTTPSConnection(
            target.host, target.port, timeout=connect_timeout, context=ssl.create_default_context()
        )
    else:
        connection = http.client.HTTPConnection(target.host, target.port, timeout=connect_timeout)

    def connect_to_checked(address, timeout=None, source_address=None):
        # http.client asks for (host, port); we hand it a socket to the checked address instead (no second lookup).
        return socket.create_connection((target.address, target.port), timeout, source_address)

    connection._create_connection = connect_to_checked  # type: ignore[attr-defined]
    return connection


def post(
    url: str,
    body: bytes,
    headers: dict[str, str],
    *,
    connect_timeout: float,
    read_timeout: float,
    allow_private: bool | None = None,
) -> SendResult:
    started = time.monotonic()

    def elapsed() -> int:
        return int((time.monotonic() - started) * 1000)

    try:
        target = outbound.check(url, allow_private=allow_private)
    except outbound.UnsafeURL as exc:
        return SendResult(status=None, duration_ms=elapsed(), error=f"UnsafeURL: {exc}"[:2000])
    connection = _connection(target, connect_timeout)
    try:
        connection.connect()
        connection.sock.settimeout(read_timeout)
        connection.request("POST", target.path, body=body, headers=headers)
        response = connection.getresponse()
        excerpt = response.read(MAX_EXCERPT).decode("utf-8", "replace")
        retry_after = None
        if response.status == 429 or response.status >= 500:
            retry_after = parse_retry_after(response.getheader("Retry-After"))
        return SendResult(status=response.status, duration_ms=elapsed(), excerpt=excerpt, retry_after=retry_after)
    except (OSError, http.client.HTTPException, ValueError) as exc:
        return SendResult(status=None, duration_ms=elapsed(), error=f"{exc.__class__.__name__}: {exc}"[:2000])
    finally:
        connection.close()
