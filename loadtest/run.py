"""``make load`` / ``python -m loadtest``: start the real stack, drive it for a fixed time, count what was lost.

1. PostgreSQL only (a dedicated database, default ``changeportal_load``: created if missing, migrated) and a
   real Redis (REDIS_URL); SQLite is refused.
2. Seeds logins, a token and hosts (loadtest.seed), then starts gunicorn (several workers, DEBUG off, the API
   throttle raised so that it counts requests without refusing them) and a Celery worker with beat.
3. N clients (loadtest.clients) post change events, each with a unique dedup key, and read the suspects API
   and the calendar week page, for a fixed duration.
4. Reports requests/s and p50/p95/p99 per kind, 5xx, and lost events = events acknowledged (202) minus those
   found in the database (IngestRecord with that key). Exit status 1 if any 5xx, failure or lost event.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import dj_database_url
import psycopg

from bench.load import conninfo, ensure_database
from loadtest import clients, report
from loadtest.stack import BASE_DIR, Gunicorn, Worker, app_env, wait_until

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/changeportal_load"


@dataclass
class Options:
    database_url: str
    redis_url: str
    duration: float = 30.0
    clients: int = 8
    web_workers: int = 4
    celery_concurrency: int = 2
    hosts: int = 50
    output: Path | None = BASE_DIR / "docs" / "load.md"
    migrate: bool = True
    # DEBUG on skips collectstatic (~10 s on a busy 2-core machine); the real run keeps production settings.
    debug: bool = False
    drain_wait: float = 60.0


@dataclass
class Result:
    options: Options
    outcome: clients.Outcome
    stored: int
    outbox_pending: int
    load_before: tuple[float, float, float] = (0.0, 0.0, 0.0)
    changes_before: int = 0
    outbox_published: int = 0

    @property
    def lost(self) -> int:
        return len(self.outcome.acknowledged) - self.stored

    @property
    def ok(self) -> bool:
        return self.outcome.server_errors == 0 and self.outcome.other_failures == 0 and self.lost == 0


def _manage(env: dict, *args: str) -> str:
    completed = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=600
    )
    if completed.returncode != 0:
        raise RuntimeError(f"manage.py {' '.join(args[:2])} failed:\n{completed.stdout}\n{completed.stderr}")
    return completed.stdout


def seed_database(env: dict, *, clients_count: int, hosts: int) -> dict:
    code = f"import json; from loadtest.seed import seed; print(json.dumps(seed({clients_count}, {hosts})))"
    return json.loads(_manage(env, "shell", "-c", code).strip().splitlines()[-1])


def _stored(database: dict, keys: list[str]) -> int:
    with psycopg.connect(conninfo(database)) as conn:
        row = conn.execute("SELECT count(*) FROM ingest_ingestrecord WHERE dedup_key = ANY(%s)", [keys]).fetchone()
    return row[0]


def _changes(database: dict) -> int:
    with psycopg.connect(conninfo(database)) as conn:
        return conn.execute("SELECT count(*) FROM changes_change").fetchone()[0]


def _outbox_pending(database: dict) -> int:
    with psycopg.connect(conninfo(database)) as conn:
        return conn.execute("SELECT count(*) FROM events_outboxevent WHERE dispatched_at IS NULL").fetchone()[0]


def _outbox_total(database: dict) -> int:
    with psycopg.connect(conninfo(database)) as conn:
        return conn.execute("SELECT count(*) FROM events_outboxevent").fetchone()[0]


def check_options(options: Options) -> dict:
    database = dj_database_url.parse(options.database_url)
    if database["ENGINE"] != "django.db.backends.postgresql":
        raise SystemExit(
            f"make load needs PostgreSQL: DATABASE_URL is {options.database_url!r}. The embedded SQLite default "
            "serializes every write and says nothing about production; give a postgres:// URL."
        )
    if not options.redis_url.startswith(("redis://", "rediss://")):
        raise SystemExit("make load needs a real Redis (broker and cache): set REDIS_URL=redis://host:port/db.")
    return database


def run(options: Options, *, log_dir: Path, out=print) -> Result:
    database = check_options(options)
    if ensure_database(database):
        out(f"Created database {database['NAME']}")
    env = app_env(
        database_url=options.database_url,
        redis_url=options.redis_url,
        DEBUG="true" if options.debug else "false",
        CONN_MAX_AGE="600",
        LOG_LEVEL="WARNING",
        API_RATE_TOKEN="1000000/min",
        API_RATE_USER="1000000/min",
        LOGIN_FAILURE_LIMIT_PER_IP="100000",
        DJANGO_SETTINGS_MODULE="changeportal.settings",
        # No SMTP server on the loopback: the worker still renders and "sends" every notification.
        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
    )
    if options.migrate:
        out("Migrating…")
        _manage(env, "migrate", "--noinput")
    if not options.debug:
        out("Collecting static files…")
        _manage(env, "collectstatic", "--noinput")  # DEBUG off serves the hashed manifest, as in production
    run_id = secrets.token_hex(4)
    workers, concurrency = options.web_workers, options.celery_concurrency
    out(f"Starting gunicorn ({workers} workers) and a Celery worker ({concurrency} processes, with beat)…")
    celery = Worker(env, log=log_dir / "worker.log", pool="prefork", concurrency=concurrency, beat=True)
    with celery, Gunicorn(env, log=log_dir / "gunicorn.log", workers=workers) as web:
        seeded = seed_database(env, clients_count=options.clients, hosts=options.hosts)  # while they start
        celery.wait_ready()
        port = web.wait_ready()
        out(f"{options.clients} clients for {options.duration:g} s against 127.0.0.1:{port}…")
        load_before, changes_before, outbox_before = os.getloadavg(), _changes(database), _outbox_total(database)
        outcome = clients.run_clients(port, seeded, clients=options.clients, seconds=options.duration, run_id=run_id)
        try:  # the events' notifications are the worker's job: give it time to catch up
            wait_until(
                lambda: _outbox_pending(database) == 0, timeout=options.drain_wait, what="the outbox", interval=0.5
            )
        except TimeoutError:
            pass  # reported below
        pending, published = _outbox_pending(database), _outbox_total(database) - outbox_before
    stored = _stored(database, outcome.acknowledged)
    result = Result(options, outcome, stored, pending, load_before, changes_before, outbox_published=published)
    text = report.render(result)
    out(text)
    if options.output:
        options.output.parent.mkdir(parents=True, exist_ok=True)
        options.output.write_text(text)
        out(f"Written to {options.output}")
    return result


def parse(argv: list[str] | None = None) -> Options:
    parser = argparse.ArgumentParser(prog="python -m loadtest", description=__doc__.split("\n\n")[0])
    # Its own variables, not DATABASE_URL: the run seeds users and posts thousands of events into that database.
    parser.add_argument("--database-url", default=os.environ.get("LOAD_DATABASE_URL") or DEFAULT_DATABASE_URL)
    parser.add_argument("--redis-url", default=os.environ.get("LOAD_REDIS_URL") or os.environ.get("REDIS_URL", ""))
    parser.add_argument("--duration", type=float, default=30.0, help="seconds of load (default 30)")
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients (default 8)")
    parser.add_argument("--web-workers", type=int, default=4, help="gunicorn workers (default 4)")
    parser.add_argument("--celery-concurrency", type=int, default=2, help="Celery worker processes (default 2)")
    parser.add_argument("--output", type=Path, default=BASE_DIR / "docs" / "load.md", help="the result table")
    args = parser.parse_args(argv)
    if args.duration <= 0 or args.clients < 1 or args.web_workers < 1 or args.celery_concurrency < 1:
        parser.error("--duration, --clients, --web-workers and --celery-concurrency must be positive")
    return Options(
        database_url=args.database_url,
        redis_url=args.redis_url,
        duration=args.duration,
        clients=args.clients,
        web_workers=args.web_workers,
        celery_concurrency=args.celery_concurrency,
        output=args.output,
    )


def main(argv: list[str] | None = None) -> int:
    options = parse(argv)
    with tempfile.TemporaryDirectory(prefix="changeportal-load-") as directory:
        started = time.monotonic()
        try:
            result = run(options, log_dir=Path(directory))
        except (RuntimeError, TimeoutError) as exc:
            print(f"make load: {exc}", file=sys.stderr)
            for log in sorted(Path(directory).glob("*.log")):
                print(f"--- {log.name}\n{log.read_text(errors='replace')[-3000:]}", file=sys.stderr)
            return 2
        print(f"Done in {time.monotonic() - started:.0f} s: {'PASS' if result.ok else 'FAIL'}")
    return 0 if result.ok else 1
