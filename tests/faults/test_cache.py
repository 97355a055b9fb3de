"""The fail-soft Redis cache (apps.platform.cache): misses and no-ops while Redis is down, normal once it is back.

Needs only the redis-server binary (a private server on a free port), no database."""

import shutil

import pytest

from apps.platform import cache as cache_module
from apps.platform.cache import FailSoftRedisCache
from loadtest.stack import free_port, redis_server


def test_dead_redis_reads_as_empty_and_writes_as_no_ops(caplog):
    cache = FailSoftRedisCache(f"redis://127.0.0.1:{free_port()}/0", {})
    assert cache.get("k", "fallback") == "fallback"
    assert cache.get_many(["a", "b"]) == {}
    assert cache.has_key("k") is False
    assert cache.add("k", 1) is False
    cache.set("k", 1)
    cache.delete("k")
    assert cache.get_or_set("k", 7) == 7
    with pytest.raises(ValueError):  # what callers of incr() already handle for a missing key
        cache.incr("k")
    assert len([r for r in caplog.records if "Cache unavailable" in r.message]) == 1  # once per outage


def test_recovers_when_redis_comes_back(monkeypatch, tmp_path):
    if not shutil.which("redis-server"):
        pytest.skip("needs the redis-server binary to start a private Redis")
    monkeypatch.setattr(cache_module, "RETRY_AFTER", 0.0)  # try Redis again on every call
    port = free_port()
    cache = FailSoftRedisCache(f"redis://127.0.0.1:{port}/0", {})
    cache.set("k", "lost")  # down: nothing stored
    with redis_server(port, log=tmp_path / "redis.log"):
        assert cache.get("k") is None
        cache.set("k", "kept")
        assert cache.get("k") == "kept"
        assert cache.add("n", 1) is True and cache.incr("n") == 2
    assert cache.get("k", "down again") == "down again"


def test_a_stale_mark_is_written_even_while_the_cache_pauses(tmp_path):
    """After a failed call a process keeps Redis out of the way for RETRY_AFTER; an invalidation in that pause
    must still reach Redis, where the other processes may be reading the credential it marks stale."""
    if not shutil.which("redis-server"):
        pytest.skip("needs the redis-server binary to start a private Redis")
    port = free_port()
    with redis_server(port, log=tmp_path / "redis.log"):
        this_process = FailSoftRedisCache(f"redis://127.0.0.1:{port}/0", {})
        another_process = FailSoftRedisCache(f"redis://127.0.0.1:{port}/0", {})
        another_process.set("session-user:7", "cached row")
        this_process._call_failed(OSError("a timeout a moment ago"))  # this process now pauses
        this_process.set("session-user:7", "skipped")  # an ordinary write is skipped during the pause
        assert another_process.get("session-user:7") == "cached row"
        cache_module.set_many_despite_outage(this_process, {"session-user:7": "stale"}, 60)
        assert another_process.get("session-user:7") == "stale"
