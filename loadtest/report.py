"""The result table of a load run (Markdown, written to docs/load.md by default)."""

from __future__ import annotations

import os
import platform
from datetime import UTC, datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from loadtest.run import Result


def _ms(value: float) -> str:
    return "–" if value != value else f"{value:.0f} ms"  # NaN when a kind got no requests


def _table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return "\n".join(lines + ["| " + " | ".join(row) + " |" for row in rows])


def render(result: Result) -> str:
    options, outcome = result.options, result.outcome
    seconds = outcome.seconds or 1.0
    rows = []
    for kind, stats in outcome.kinds.items():
        latency = stats.latency
        rows.append(
            [kind, str(latency.n), f"{latency.n / seconds:.1f}", _ms(latency.p50), _ms(latency.p95)]
            + [_ms(latency.p99), str(stats.server_errors), str(stats.other_failures)]
        )
    rows.append(
        ["**all**", str(outcome.requests), f"{outcome.requests / seconds:.1f}", "", "", ""]
        + [str(outcome.server_errors), str(outcome.other_failures)]
    )
    failures = [f"- {kind}: {stats.first_failure}" for kind, stats in outcome.kinds.items() if stats.first_failure]
    acknowledged = len(outcome.acknowledged)
    verdict = "PASS" if result.ok else "FAIL"
    load = ", ".join(f"{value:.1f}" for value in result.load_before)
    lines = [
        "# Load run (`make load`)",
        "",
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {platform.node() or 'this machine'} ({os.cpu_count()} CPUs, "
        f"{platform.python_implementation()} {platform.python_version()}): {options.clients} clients for "
        f"{outcome.seconds:.1f} s against gunicorn ({options.web_workers} sync workers, DEBUG "
        f"{'on' if options.debug else 'off'}) on PostgreSQL, "
        f"Redis as broker and cache, a Celery worker ({options.celery_concurrency} processes) with beat. "
        "Every client, in a loop: every other round submit a planned change through the API (the worker "
        "dispatches its event and emails the lead), then post a change event (unique dedup key), read a host's "
        "suspects (API), post another event, read the calendar week page (signed-in session). Loopback only. "
        "Load average of the "
        f"machine (1, 5, 15 min) before the run: {load}; everything shares its CPUs. Changes in the database "
        f"before the run: {result.changes_before} (each run adds its events; they all fall in the calendar's "
        "current week, so drop the database for comparable runs: `dropdb changeportal_load`).",
        "",
        _table(["kind", "requests", "req/s", "p50", "p95", "p99", "5xx", "other failures"], rows),
        "",
        f"- Events acknowledged (202): {acknowledged}; found in the database: {result.stored}; "
        f"**lost: {result.lost}**.",
        f"- Outbox events published during the run (submitted changes): {result.outbox_published}; not yet "
        f"dispatched by the worker when the run ended: {result.outbox_pending}.",
        f"- Verdict: **{verdict}** (fails on any 5xx, failed request or lost event).",
    ]
    if failures:
        lines += ["", "First failure of each kind:", *failures]
    return "\n".join(lines) + "\n"
