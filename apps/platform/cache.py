"""A Redis cache that fails soft: while Redis is unreachable, reads are misses and writes are no-ops.

Nothing in ChangePortal keeps data only in the cache (API throttle counters, login throttling, cached
fragments), so a cache outage must cost at most those counters, never a 500. After a failure the cache
stays out of the way for ``RETRY_AFTER`` seconds, so an outage does not add a connect timeout to every
request; the first call after that tries Redis again.
"""

import logging
import threading
import time

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)
RETRY_AFTER = 5.0
# Connection refused is immediate; these bound a Redis that accepts connections but does not answer.
SOCKET_OPTIONS = {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}


class FailSoftRedisCache(RedisCache):
    def __init__(self, server, params):
        params = dict(params)
        params["OPTIONS"] = SOCKET_OPTIONS | params.get("OPTIONS", {})
        super().__init__(server, params)
        self._down_until = 0.0
        self._lock = threading.Lock()

    def _call(self, name: str, default, *args, **kwargs):
        if time.monotonic() < self._down_until:
            return default
        try:
            result = getattr(super(), name)(*args, **kwargs)
        except (RedisError, OSError) as exc:
            self._call_failed(exc)
            return default
        return result

    def get(self, key, default=None, version=None):
        return self._call("get", default, key, default, version)

    def get_many(self, keys, version=None):
        return self._call("get_many", {}, keys, version)

    def has_key(self, key, version=None):
        return self._call("has_key", False, key, version)

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("add", False, key, value, timeout, version)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("set", None, key, value, timeout, version)

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("set_many", list(data), data, timeout, version)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("touch", False, key, timeout, version)

    def delete(self, key, version=None):
        return self._call("delete", False, key, version)

    def delete_many(self, keys, version=None):
        return self._call("delete_many", None, keys, version)

    def incr(self, key, delta=1, version=None):
        # Callers of incr() handle a missing key (ValueError); an outage looks like one.
        if time.monotonic() < self._down_until:
            raise ValueError(f"Key '{key}' not found (cache unavailable)")
        try:
            return super().incr(key, delta, version)
        except (RedisError, OSError) as exc:
            self._call_failed(exc)
            raise ValueError(f"Key '{key}' not found (cache unavailable)") from exc

    def decr(self, key, delta=1, version=None):
        return self.incr(key, -delta, version)

    def clear(self):
        return self._call("clear", False)

    def set_many_despite_outage(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        """``set_many`` for a write that must not be skipped, such as marking cached credentials stale: tried even
        while this process keeps Redis out of the way after a failure (other processes may be reading it). A
        failure still only logs."""
        try:
            return super().set_many(data, timeout, version)
        except (RedisError, OSError) as exc:
            self._call_failed(exc)
            return list(data)

    def _call_failed(self, exc: Exception) -> None:
        with self._lock:
            first = time.monotonic() >= self._down_until
            self._down_until = time.monotonic() + RETRY_AFTER
        if first:
            logger.warning("Cache unavailable (%s: %s); treating it as empty", exc.__class__.__name__, exc)


def set_many_despite_outage(cache, data: dict, timeout) -> None:
    """Write ``data`` through ``cache`` even during a fail-soft pause (FailSoftRedisCache); other caches: set_many."""
    write = getattr(cache, "set_many_despite_outage", None)
    if write is None:
        cache.set_many(data, timeout)
    else:
        write(data, timeout)
