"""Login throttling against password guessing.

Login attempts are counted per username and failed logins per client address, in fixed windows of
LOGIN_FAILURE_WINDOW_SECONDS; an attempt over either limit is refused before its password is checked.

The username's attempt is counted *before* its password is checked (the cache's atomic incr), so parallel
guesses at one account cannot all slip past a read-then-write check; a successful login clears that count.
The address counts failures only, after the fact: colleagues logging in at once from one NAT address never
use up its limit, and an attacker spraying many usernames in parallel gains at most their parallelism.

The counters live in the Django cache (local memory in development, Redis in production). If the cache
fails, logins stay possible (fail open) and the failure is logged: a Redis outage must not lock everyone out.
"""

import hashlib
import logging
import time
import unicodedata
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache

logger = logging.getLogger(__name__)

KEY_PREFIX = "login-throttle"
# Tests move this clock to cross a window boundary on any cache backend.
clock = time.time


@dataclass(frozen=True)
class Attempt:
    user_key: str
    ip_key: str
    blocked: bool = False
    retry_after: int = 0


def client_ip(request) -> str:
    """The client's address: REMOTE_ADDR, or the X-Forwarded-For entry written by the outermost of
    TRUSTED_PROXY_COUNT proxies (entries further left are whatever the client claimed)."""
    proxies = settings.TRUSTED_PROXY_COUNT
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    if proxies > 0 and forwarded:
        return forwarded[-min(proxies, len(forwarded))]
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def _window() -> tuple[int, int]:
    """The current window's number and the seconds left in it."""
    length = max(settings.LOGIN_FAILURE_WINDOW_SECONDS, 1)
    now = clock()
    number = int(now // length)
    return number, max(int((number + 1) * length - now), 1)


def _digest(value: str) -> str:
    # Usernames are user input of any length and alphabet: hash them into a safe, bounded key.
    return hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()[:40]


def _count(key: str, ttl: int) -> int:
    cache.add(key, 0, timeout=ttl + 5)
    return cache.incr(key)


def _account(username: str) -> str:
    # The name as authentication will read it (the form strips it and applies NFKC), folded: "dana ", "ｄａｎａ"
    # and "Dana" are one account's attempts, not three fresh counters.
    return unicodedata.normalize("NFKC", username).strip().casefold()


def _keys(username: str, ip: str, number: int) -> tuple[str, str]:
    return f"{KEY_PREFIX}:u:{number}:{_digest(_account(username))}", f"{KEY_PREFIX}:ip:{number}:{_digest(ip)}"


def begin(*, username: str, ip: str) -> Attempt:
    """Count one login attempt; ``blocked`` says it must be refused without checking the password."""
    number, remaining = _window()
    user_key, ip_key = _keys(username, ip, number)
    try:
        user_count = _count(user_key, remaining)
        ip_failures = cache.get(ip_key) or 0
    except Exception:
        logger.warning("Login throttle unavailable (cache error); allowing the attempt", exc_info=True)
        return Attempt(user_key=user_key, ip_key=ip_key)
    blocked = user_count > settings.LOGIN_FAILURE_LIMIT or ip_failures >= settings.LOGIN_FAILURE_LIMIT_PER_IP
    if blocked:
        logger.warning("Login throttled from %s (%s attempts at the username in this window)", ip, user_count)
    return Attempt(user_key=user_key, ip_key=ip_key, blocked=blocked, retry_after=remaining if blocked else 0)


def failed(attempt: Attempt) -> None:
    """A wrong password (not a refused attempt): count it against the client address."""
    try:
        _count(attempt.ip_key, _window()[1])
    except Exception:
        logger.warning("Login throttle could not count a failure (cache error)", exc_info=True)


def succeeded(attempt: Attempt) -> None:
    """A correct password: forget the username's attempts."""
    try:
        cache.delete(attempt.user_key)
    except Exception:
        logger.warning("Login throttle could not be reset (cache error)", exc_info=True)


def reset(*, username: str, ip: str) -> None:
    """Lift a throttle now (an administrator unlocking a user, or a test starting clean)."""
    cache.delete_many(_keys(username, ip, _window()[0]))


def refusal_message(retry_after: int) -> str:
    minutes = max((retry_after + 59) // 60, 1)
    return (
        "Too many failed logins for this account or from your address. The password was not checked. "
        f"Try again in {minutes} minute{'s' if minutes != 1 else ''}."
    )
