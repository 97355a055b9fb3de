"""Ingest throughput: change events POSTed by concurrent clients to gunicorn, against raw inserts of the rows.

The bench starts gunicorn itself (sync workers, loopback port, DEBUG off, the API throttle raised so that it
counts requests without refusing them) and stops it at the end. Clients are stdlib threads with http.client;
the raw side is as many psycopg connections as gunicorn has workers, each event one INSERT statement (the
change, its 5 host links, its activity entry and its ingest record) committed on its own.
"""

from __future__ import annotations

import http.client
import json
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import psycopg

from bench import queries
from bench.load import conninfo
from bench.measure import Stats
from loadtest import stack
from loadtest.stack import app_env

BASE_DIR = Path(__file__).resolve().parent.parent
EVENTS_PATH = "/api/v1/change-events"
BATCH_PATH = "/api/v1/change-events/batch"
FLOOR_PATH = "/api/v1/environments/prod"
BATCH_SIZE = 100


@dataclass
class Throughput:
    events: int
    seconds: float
    errors: int = 0
    latency: Stats = field(default_factory=Stats)
    first_error: str = ""

    @property
    def per_second(self) -> float:
        return self.events / self.seconds if self.seconds else 0.0


def database_url(db: dict) -> str:
    user = quote(db.get("USER") or "", safe="")
    password = f":{quote(db['PASSWORD'], safe='')}" if db.get("PASSWORD") else ""
    credentials = f"{user}{password}@" if user else ""
    return f"postgres://{credentials}{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{db['NAME']}"


@contextmanager
def gunicorn(db: dict, *, workers: int, log: Path) -> Iterator[int]:
    """gunicorn on a free loopback port, serving the bench database; stopped (its whole group) on exit.

    As in production, the app hands its outbox events to a broker: a private redis-server, discarded at the end,
    that no worker reads. So the requests measure the web tier (the ingest writes and the enqueue), not the
    notification fan-out, which a Celery worker does after the answer. ``BENCH_EAGER_TASKS=1`` runs the tasks
    in the requests instead, as the app without REDIS_URL does (the bench's setting before 2026-12-04)."""
    if os.environ.get("BENCH_EAGER_TASKS") == "1":
        with _gunicorn(db, workers=workers, log=log, redis_url=None) as port:
            yield port
        return
    broker = stack.free_port()
    with stack.redis_server(broker, log=log.with_suffix(".redis.log")):
        with _gunicorn(db, workers=workers, log=log, redis_url=f"redis://127.0.0.1:{broker}/0") as port:
            yield port


@contextmanager
def _gunicorn(db: dict, *, workers: int, log: Path, redis_url: str | None) -> Iterator[int]:
    env = app_env(
        database_url=database_url(db),
        redis_url=redis_url,
        DEBUG="false",
        API_RATE_TOKEN="100000/s",
        LOG_LEVEL="WARNING",
        CONN_MAX_AGE="600",
        # Loopback http: the production default would answer every request with a redirect to https.
        SECURE_SSL_REDIRECT="false",
    )
    with stack.gunicorn(env, log=log, workers=workers) as port:
        yield port


def _run_threads(count: int, seconds: float, work: Callable[[int, float, Throughput, threading.Lock], None]):
    result = Throughput(events=0, seconds=seconds)
    lock = threading.Lock()
    deadline = time.monotonic() + seconds
    threads = [threading.Thread(target=work, args=(n, deadline, result, lock), daemon=True) for n in range(count)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    result.seconds = time.monotonic() - started
    return result


def post_events(port: int, token: str, make_event: Callable[[str], dict], *, clients: int, seconds: float):
    """``clients`` threads POST events back to back until ``seconds`` have passed."""
    return _http(port, token, "POST", EVENTS_PATH, make_event, 202, clients=clients, seconds=seconds)


def post_batches(port: int, token: str, make_event: Callable[[str], dict], *, clients: int, seconds: float):
    """``clients`` threads POST batches of ``BATCH_SIZE`` events; counted in events, every one answered 202."""

    def batch(key: str) -> dict:
        return {"events": [make_event(f"{key}-{n}") for n in range(BATCH_SIZE)]}

    def accepted(content: bytes) -> int:
        return json.loads(content)["accepted"]

    return _http(port, token, "POST", BATCH_PATH, batch, 200, clients=clients, seconds=seconds, count=accepted)


def get_requests(port: int, token: str, *, clients: int, seconds: float) -> Throughput:
    """The ceiling of the server for the most trivial authenticated API request (a floor for the ingest)."""
    return _http(port, token, "GET", FLOOR_PATH, None, 200, clients=clients, seconds=seconds)


def noop_posts(port: int, token: str, *, clients: int, seconds: float) -> Throughput:
    """A no-op authenticated POST through the ingest's own stack: the batch endpoint with an empty batch (the
    token, the permission to record changes, the JSON parser, then 400 before any write)."""
    return _http(port, token, "POST", BATCH_PATH, lambda _key: {"events": []}, 400, clients=clients, seconds=seconds)


def _http(port, token, method, path, make_body, expected, *, clients: int, seconds: float, count=None) -> Throughput:
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    def work(number: int, deadline: float, result: Throughput, lock: threading.Lock) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        sent = 0
        while time.monotonic() < deadline:
            body = json.dumps(make_body(f"{number}-{sent}")) if make_body else None
            started = time.perf_counter()
            conn.request(method, path, body, headers)
            response = conn.getresponse()
            content = response.read()
            elapsed = (time.perf_counter() - started) * 1000
            sent += 1
            with lock:
                result.latency.samples.append(elapsed)
                if response.status == expected:
                    result.events += count(content) if count else 1
                else:
                    result.errors += 1
                    result.first_error = result.first_error or f"{response.status}: {content[:300]!r}"
        conn.close()

    return _run_threads(clients, seconds, work)


def raw_inserts(db: dict, make_params: Callable[[str], dict], *, connections: int, seconds: float) -> Throughput:
    """``connections`` threads, each on its own connection, inserting one event per statement (autocommit)."""
    info = conninfo(db)

    def work(number: int, deadline: float, result: Throughput, lock: threading.Lock) -> None:
        with psycopg.connect(info, autocommit=True) as conn:
            sent = 0
            while time.monotonic() < deadline:
                started = time.perf_counter()
                conn.execute(queries.INGEST, make_params(f"raw-{number}-{sent}"))
                elapsed = (time.perf_counter() - started) * 1000
                sent += 1
                with lock:
                    result.events += 1
                    result.latency.samples.append(elapsed)

    return _run_threads(connections, seconds, work)
