"""The results as markdown tables: printed, and written between markers in docs/benchmarks.md.

Only the part between ``<!-- bench:begin -->`` and ``<!-- bench:end -->`` is generated; what is written around
it (notes on fixes, before/after figures) survives every run.
"""

from __future__ import annotations

import math
import os
import platform
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

import django

from bench.bridge import NOTHING_NEW
from bench.ingest_load import BATCH_SIZE
from bench.scenarios import COLLISIONS_APP, FLOORS, PLAIN_VIEW, SUSPECTS_API, TRIVIAL_DRF, WEEK_PAGE, Result

BEGIN, END = "<!-- bench:begin -->", "<!-- bench:end -->"
# Targets of issue 17 (issue 8's for the collision check).
READ_TARGETS = {WEEK_PAGE: 5.0, COLLISIONS_APP: 2.0}  # path -> the largest app/raw ratio of p50 accepted
FLOOR_TARGET = 2.0  # the trivial authenticated DRF GET at most this many times the plain Django view
SUSPECTS_TARGET = 4.0  # the suspects API at most this many times the trivial DRF GET
SUSPECTS_SQL_MS = 4.0  # the suspects API's own SQL, replayed raw
POLL_MS, POLL_QUERIES = 3.0, 2  # a bridge poll with nothing new
SINGLE_TARGET = 0.50  # single events/s at least this share of no-op authenticated POSTs through the same gunicorn
INGEST_TARGET = 0.30  # batched events/s at least this share of the raw insert rate
GROWTH_TARGET = 1.3  # p50 at the full scale at most this many times its p50 at a tenth of it
NOTES = """# Benchmarks

`make bench` loads a synthetic history into a dedicated PostgreSQL database and measures each hot path of the app
against the raw SQL that answers the same question (see `bench/` and the README's "Benchmarks" section). The
tables below are replaced by every run; the notes around them are kept.
"""


@dataclass
class Run:
    scale: str
    date: str
    machine: dict
    data: dict
    reads: list[Result]
    growth: dict[str, list[Result]]
    ingest: dict
    explain: dict[str, str]
    axes: list[list[str]] = field(default_factory=list)  # summary rows of the growth along other axes
    axes_text: str = ""  # their tables


def machine(server_version: str, settings_text: str) -> dict:
    memory = ""
    try:
        with open("/proc/meminfo") as meminfo:
            kib = int(next(line for line in meminfo if line.startswith("MemTotal")).split()[1])
        memory = f"{kib / 1024 / 1024:.1f} GiB"
    except (OSError, StopIteration, ValueError):
        pass
    load = os.getloadavg() if hasattr(os, "getloadavg") else ()
    return {
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "memory": memory,
        "python speed (sum(range(100000)), best of 20)": f"{_calibration():.2f} ms",
        "postgresql": server_version,
        "postgresql settings": settings_text,
        "os": platform.platform(),
        "python": platform.python_version(),
        "django": django.get_version(),
        "load average at the start": " ".join(f"{value:.2f}" for value in load),
    }


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            return next(line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name"))
    except (OSError, StopIteration):
        return platform.processor()


def _calibration() -> float:
    """How fast plain Python runs here now (CPU speed, contention): the app side moves with it, raw SQL less."""
    best = math.inf
    for _ in range(20):
        started = time.perf_counter()
        sum(range(100_000))
        best = min(best, time.perf_counter() - started)
    return best * 1000


def _ms(value: float) -> str:
    return f"{value:,.2f}" if value < 100 else f"{value:,.0f}"


def _latency(throughput) -> list[str]:
    return [_ms(throughput.latency.p50), _ms(throughput.latency.p95), _ms(throughput.latency.p99)]


def _verdict(ok: bool) -> str:
    return "met" if ok else "**missed**"


def _by_name(run: Run) -> dict[str, Result]:
    return {result.name: result for result in run.reads}


def _row(label: str, base: str, value: str, ratio: str, target: str, ok: bool) -> list[str]:
    return [label, base, value, ratio, target, _verdict(ok)]


def read_rows(run: Run) -> list[list[str]]:
    """Issue 17's read targets: each app path against its own yardstick (raw SQL, the trivial DRF endpoint, the
    plain Django view, or an absolute time), all from this run."""
    rows = []
    results = _by_name(run)
    floor = results.get(FLOORS)
    trivial = floor.stats[TRIVIAL_DRF].p50 if floor else math.nan
    if floor:
        plain = floor.stats[PLAIN_VIEW].p50
        rows.append(
            _row(
                f"framework floor: {TRIVIAL_DRF} ÷ {PLAIN_VIEW}",
                _ms(plain),
                _ms(trivial),
                f"{trivial / plain:.1f}×",
                f"≤ {FLOOR_TARGET:g}×",
                trivial / plain <= FLOOR_TARGET,
            )
        )
    for result in run.reads:
        for path, stats in result.stats.items():
            label = f"{result.name}: {path}"
            if path == SUSPECTS_API and floor:
                ratio = stats.p50 / trivial
                rows.append(
                    _row(
                        f"{label} ÷ trivial DRF",
                        _ms(trivial),
                        _ms(stats.p50),
                        f"{ratio:.1f}×",
                        f"≤ {SUSPECTS_TARGET:g}×",
                        ratio <= SUSPECTS_TARGET,
                    )
                )
            elif path == f"{SUSPECTS_API}: its SQL replayed raw":
                rows.append(
                    _row(label, "", _ms(stats.p50), "", f"≤ {SUSPECTS_SQL_MS:g} ms", stats.p50 <= SUSPECTS_SQL_MS)
                )
            elif path in READ_TARGETS:
                raw = result.stats[result.raw].p50
                ratio, target = stats.p50 / raw, READ_TARGETS[path]
                rows.append(_row(label, _ms(raw), _ms(stats.p50), f"{ratio:.1f}×", f"≤ {target:g}×", ratio <= target))
            elif path == NOTHING_NEW:
                queries = result.queries.get(path, 0)
                ok = stats.p50 <= POLL_MS and queries <= POLL_QUERIES
                rows.append(
                    _row(
                        f"{label}, {queries} queries",
                        "",
                        _ms(stats.p50),
                        "",
                        f"≤ {POLL_MS:g} ms, ≤ {POLL_QUERIES} queries",
                        ok,
                    )
                )
    return rows  # fmt: skip


def ingest_rows(run: Run) -> list[list[str]]:
    rows = []
    ingest = run.ingest
    app, raw, noop, batch = ingest["app"], ingest["raw"], ingest.get("noop"), ingest.get("batch")
    label = f"ingest: POST {ingest['path']}, {ingest['clients']} clients, {ingest['workers']} workers"
    if noop is not None:
        share = app.per_second / noop.per_second if noop.per_second else 0.0
        rows.append([f"{label} ÷ no-op authenticated POST", f"{noop.per_second:,.0f} requests/s",
                     f"{app.per_second:,.0f} events/s", f"{share:.0%}", f"≥ {SINGLE_TARGET:.0%}",
                     _verdict(share >= SINGLE_TARGET)])  # fmt: skip
    else:
        share = app.per_second / raw.per_second if raw.per_second else 0.0
        rows.append([label, f"{raw.per_second:,.0f} events/s", f"{app.per_second:,.0f} events/s", f"{share:.0%}",
                     f"≥ {INGEST_TARGET:.0%}", _verdict(share >= INGEST_TARGET)])  # fmt: skip
    if batch is not None:
        share = batch.per_second / raw.per_second if raw.per_second else 0.0
        rows.append([f"ingest: batches of {BATCH_SIZE} ÷ raw inserts", f"{raw.per_second:,.0f} events/s",
                     f"{batch.per_second:,.0f} events/s", f"{share:.0%}", f"≥ {INGEST_TARGET:.0%}",
                     _verdict(share >= INGEST_TARGET)])  # fmt: skip
    return rows


def summary_rows(run: Run) -> list[list[str]]:
    rows = read_rows(run)
    if run.ingest:
        rows += ingest_rows(run)
    for label, (small, large) in growth_pairs(run):
        ratio = large / small if small else float("nan")
        target = f"≤ {GROWTH_TARGET:g}×"
        rows.append(
            [f"growth: {label}", _ms(small), _ms(large), f"{ratio:.2f}×", target, _verdict(ratio <= GROWTH_TARGET)]
        )
    for row in run.axes:
        rows.append(row)
    return rows


def growth_pairs(run: Run) -> list[tuple[str, tuple[float, float]]]:
    if len(run.growth) != 2:
        return []
    (_, before), (_, after) = run.growth.items()
    pairs = []
    for first, second in zip(before, after, strict=True):
        for path, stats in first.stats.items():
            if "replayed" not in path:
                pairs.append((f"{first.name}: {path}", (stats.p50, second.stats[path].p50)))
    return pairs


def _table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def detail_rows(results: list[Result]) -> list[list[str]]:
    rows = []
    for result in results:
        raw = result.stats[result.raw].p50
        for path, stats in result.stats.items():
            queries = result.queries.get(path, "")
            ratio = "1" if path == result.raw else f"{stats.p50 / raw:.1f}×"
            rows.append([result.name, path, stats.n, _ms(stats.p50), _ms(stats.p95), _ms(stats.p99), ratio, queries])
    return rows


def render(run: Run) -> str:
    data = ", ".join(
        f"{key}: {value:,}" if isinstance(value, int) else f"{key}: {value}" for key, value in run.data.items()
    )
    parts = [
        BEGIN,
        f"## Results: scale `{run.scale}`, {run.date}",
        "",
        "Machine: " + "; ".join(f"{key} {value}" for key, value in run.machine.items() if value) + ".",
        "",
        f"Data: {data}.",
        "",
        "### Targets (p50; ratios are app ÷ raw)",
        "",
        _table(["path", "raw", "app", "app/raw", "target", "verdict"], summary_rows(run)),
        "",
        "### Every path (milliseconds; × raw is the ratio of p50s; queries per call)",
        "",
        _table(["comparison", "path", "n", "p50", "p95", "p99", "× raw", "queries"], detail_rows(run.reads)),
    ]
    for result in run.reads:
        if result.note:
            parts.append(f"\n- {result.name}: {result.note}")
    if run.ingest:
        app, raw = run.ingest["app"], run.ingest["raw"]
        rows = [
            ["app: POST through gunicorn", f"{app.per_second:,.0f}", app.events, app.errors, *_latency(app)],
            ["raw: one INSERT statement per event", f"{raw.per_second:,.0f}", raw.events, 0, *_latency(raw)],
        ]
        floor = run.ingest.get("floor")
        if floor is not None:
            label = "floor: trivial authenticated GET through the same gunicorn"
            rows.append([label, f"{floor.per_second:,.0f}", floor.events, floor.errors, *_latency(floor)])
        noop = run.ingest.get("noop")
        if noop is not None:
            label = "floor: no-op authenticated POST (empty batch, 400) through the same gunicorn"
            rows.append([label, f"{noop.per_second:,.0f}", noop.events, noop.errors, *_latency(noop)])
        batch = run.ingest.get("batch")
        if batch is not None:
            label = f"app: batches of {BATCH_SIZE} events through gunicorn"
            rows.append([label, f"{batch.per_second:,.0f}", batch.events, batch.errors, *_latency(batch)])
        parts += ["", "### Ingest", "", run.ingest["description"], ""]
        parts.append(_table(["path", "events/s", "events", "errors", "p50 ms", "p95 ms", "p99 ms"], rows))
        for name in ("app", "noop", "batch"):
            measured = run.ingest.get(name)
            if measured is not None and measured.first_error:
                parts.append(f"\nFirst error ({name}): `{measured.first_error}`")
    if run.growth:
        parts += ["", "### Growth (same hosts, times and weeks; only older history added)", ""]
        labels = list(run.growth)
        rows = [[label, _ms(small), _ms(large), f"{large / small:.2f}×"] for label, (small, large) in growth_pairs(run)]
        parts.append(_table(["path (p50 ms)", labels[0], labels[-1], "ratio"], rows))
    if run.axes_text:
        parts += ["", run.axes_text]
    for name, text in run.explain.items():
        parts += ["", f"### EXPLAIN: {name}", "", "```", text, "```"]
    parts.append(END)
    return "\n".join(parts)


def write(path: Path, run: Run) -> None:
    block = render(run)
    text = path.read_text() if path.exists() else NOTES
    if BEGIN in text and END in text:
        text = re.sub(re.escape(BEGIN) + ".*?" + re.escape(END), lambda _: block, text, flags=re.DOTALL)
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def console(run: Run) -> str:
    header = ["path", "raw", "app", "app/raw", "target", "verdict"]
    details = _table(["comparison", "path", "n", "p50", "p95", "p99", "× raw", "queries"], detail_rows(run.reads))
    return _table(header, summary_rows(run)) + "\n\n" + details
