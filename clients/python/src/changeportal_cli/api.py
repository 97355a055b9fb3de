"""A small JSON client for ChangePortal's REST API (/api/v1), and the exit codes a pipeline branches on."""

from __future__ import annotations

import http.client
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

from changeportal_cli import __version__

# Exit codes (the README's table). The gate's own codes (10-13) are in commands.py.
OK = 0
USAGE = 2  # bad arguments, or a request the portal refused as invalid (400)
AUTH = 3  # 401/403: missing, wrong, expired or read-only token
NOT_FOUND = 4  # no such change
UNAVAILABLE = 5  # the portal unreachable, timing out, or answering 5xx/429

# Pauses before the second and third attempt on a connection error, a timeout, a 5xx or a 429.
RETRY_DELAYS = (1.0, 2.0)


class CliError(Exception):
    """Ends the command: ``message`` goes to stderr as one line, ``exit_code`` to the shell."""

    def __init__(self, message: str, exit_code: int, body: Any = None):
        super().__init__(message)
        self.message = message
        self.exit_code = exit_code
        self.body = body


def describe_errors(body: Any, prefix: str = "") -> str:
    """One readable line out of a JSON error body: ``{"detail": …}`` or messages by field, nested or not."""
    if isinstance(body, dict):
        if set(body) == {"detail"} and not prefix:
            return describe_errors(body["detail"])
        parts = [describe_errors(value, f"{prefix}{key}.") for key, value in body.items()]
        return "; ".join(part for part in parts if part)
    if isinstance(body, list):
        return " ".join(describe_errors(item, prefix) for item in body)
    label = prefix[:-1]
    return f"{label}: {body}" if label else str(body)


def _exit_code_for(status: int) -> int:
    if status in (401, 403):
        return AUTH
    if status == 404:
        return NOT_FOUND
    if status >= 500 or status == 429:
        return UNAVAILABLE
    return USAGE


def _decode(raw: bytes) -> Any:
    try:
        return json.loads(raw.decode("utf-8")) if raw else None
    except (UnicodeDecodeError, ValueError):
        return None


class Client:
    def __init__(self, url: str, token: str, *, timeout: float = 10.0):
        base = url.strip().rstrip("/")
        if base.endswith("/api/v1"):
            base = base[: -len("/api/v1")]
        if not base.startswith(("http://", "https://")):
            raise CliError(f"The portal URL must start with http:// or https:// (got {url!r}).", USAGE)
        self.base = base + "/api/v1"
        self.token = token
        self.timeout = timeout

    def get(self, path: str, query: dict[str, str] | None = None) -> Any:
        if query:
            path = f"{path}?{urllib.parse.urlencode(query)}"
        return self.request("GET", path)

    def post(self, path: str, body: dict, *, idempotency_key: str) -> Any:
        """A write; retried only because the key makes a repeat record nothing new."""
        return self.request("POST", path, body=body, headers={"Idempotency-Key": idempotency_key})

    def request(self, method: str, path: str, *, body: Any = None, headers: dict[str, str] | None = None) -> Any:
        attempts = len(RETRY_DELAYS) + 1
        for attempt in range(attempts):
            try:
                return self._once(method, path, body, headers or {})
            except CliError as error:
                if error.exit_code != UNAVAILABLE or attempt == attempts - 1:
                    raise
                time.sleep(RETRY_DELAYS[attempt])
        raise AssertionError("unreachable")  # the loop returns or raises

    def _once(self, method: str, path: str, body: Any, headers: dict[str, str]) -> Any:
        request = urllib.request.Request(
            self.base + path,
            method=method,
            data=json.dumps(body).encode("utf-8") if body is not None else None,
            headers={
                "Authorization": f"Bearer {self.token}",
                "Accept": "application/json",
                "User-Agent": f"changeportal-cli/{__version__}",
                **({"Content-Type": "application/json"} if body is not None else {}),
                **headers,
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                raw = response.read()
        except urllib.error.HTTPError as error:
            answer = _decode(error.read())
            detail = describe_errors(answer) if answer is not None else error.reason
            raise CliError(f"{error.code} {error.reason}: {detail}", _exit_code_for(error.code), answer) from None
        except urllib.error.URLError as error:
            raise CliError(f"Cannot reach {self.base}: {error.reason}", UNAVAILABLE) from None
        except (OSError, http.client.HTTPException) as error:  # timeouts, resets, garbled answers
            raise CliError(f"Cannot reach {self.base}: {error or type(error).__name__}", UNAVAILABLE) from None
        answer = _decode(raw)
        if answer is None:
            raise CliError(f"{self.base}{path} did not answer JSON: is this a ChangePortal URL?", UNAVAILABLE)
        return answer
