"""(f) Growth along other axes, on the loaded data, each step inside a transaction that is rolled back afterwards
(the app runs in-process on the same connection, so it sees the added rows; the bench data stays as loaded):

- hosts per service 100 → 2,000: the busy host's service gets 1,900 more hosts of its environment; the suspects
  API for the busy host (it reaches changes on its services' other hosts) and the collision check for a change on
  10 hosts and that service, before and after (target ≤ 1.5×);
- changes in the suspects window 10 → 1,000 on one host: the quiet host gets changes inside its 72-hour window,
  the suspects API measured at 10, 100 and 1,000 of them (the curve is documented, not a target).
"""

from __future__ import annotations

from datetime import timedelta

from django.db import connection, transaction

from apps.changes.collisions import find_collisions
from bench import queries
from bench.measure import Budget, Stats, compare
from bench.report import _ms, _table, _verdict
from bench.scenarios import HOURS, Fixture, _ok

HOSTS_TARGET = 1.5
SERVICE_HOSTS = 2000
WINDOW_STEPS = (10, 100, 1000)


class _Rollback(Exception):
    pass


def _suspects(fx: Fixture, host) -> dict:
    url = f"/api/v1/hosts/{host.hostname}/suspects"
    return {"suspects API": lambda at: _ok(fx.api.get(url, {"at": at.isoformat(), "hours": HOURS}))}


def _hosts_per_service(fx: Fixture, budget: Budget) -> tuple[int, dict[str, Stats], dict[str, Stats]]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT service_id FROM inventory_host_services WHERE host_id = %s ORDER BY service_id LIMIT 1",
            [fx.busy.pk],
        )
        service_id = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM inventory_host_services WHERE service_id = %s", [service_id])
        before_count = cursor.fetchone()[0]
    host_ids, start, end = fx.collision_cases[0]

    def paths() -> dict:
        return {
            **_suspects(fx, fx.busy),
            "collision check (10 hosts + the service)": lambda _at: find_collisions(
                start=start, end=end, host_ids=host_ids, service_ids=[service_id], buffer=timedelta(minutes=60)
            ),
        }

    before = compare(paths(), fx.times, budget)
    after: dict[str, Stats] = {}
    try:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(
                    "INSERT INTO inventory_host_services (host_id, service_id) SELECT h.id, %s FROM inventory_host h "
                    "WHERE h.environment_id = %s AND NOT EXISTS (SELECT 1 FROM inventory_host_services s "
                    "WHERE s.host_id = h.id AND s.service_id = %s) ORDER BY h.id LIMIT %s",
                    [service_id, fx.busy.environment_id, service_id, SERVICE_HOSTS - before_count],
                )
                cursor.execute("ANALYZE inventory_host_services")
            after = compare(paths(), fx.times, budget)
            raise _Rollback
    except _Rollback:
        pass
    return before_count, before, after


def _window_curve(fx: Fixture, budget: Budget, user_id: int) -> dict[int, Stats]:
    at = fx.times[0]
    curve: dict[int, Stats] = {}
    added = 0
    try:
        with transaction.atomic():
            for step in WINDOW_STEPS:
                with connection.cursor() as cursor:
                    for number in range(added, step):
                        start = at - timedelta(hours=HOURS) + timedelta(minutes=(number * 4) % (HOURS * 60 - 30))
                        params = {
                            "title": f"bench window {number}", "start": start, "end": start + timedelta(minutes=20),
                            "env": fx.quiet.environment_id, "user": user_id, "hosts": [fx.quiet.pk],
                            "key": f"bench-window-{at.timestamp():.0f}-{number}",
                        }  # fmt: skip
                        cursor.execute(queries.INGEST, params)
                added = step
                stats = compare(_suspects(fx, fx.quiet), [at], budget)
                curve[step] = stats["suspects API"]
            raise _Rollback
    except _Rollback:
        pass
    return curve


def measure(fx: Fixture, budget: Budget, out, *, user_id: int) -> tuple[list[list[str]], str]:
    """Summary rows (with targets) and the section's tables."""
    out("  hosts per service")
    count, before, after = _hosts_per_service(fx, budget)
    out("  changes in the suspects window")
    curve = _window_curve(fx, budget, user_id)
    rows, table = [], []
    for path, stats in before.items():
        ratio = after[path].p50 / stats.p50
        label = f"hosts per service {count} → {SERVICE_HOSTS}: {path}, busy host"
        rows.append([label, _ms(stats.p50), _ms(after[path].p50), f"{ratio:.2f}×", f"≤ {HOSTS_TARGET:g}×",
                     _verdict(ratio <= HOSTS_TARGET)])  # fmt: skip
        table.append([path, _ms(stats.p50), _ms(after[path].p50), f"{ratio:.2f}×"])
    first = curve[WINDOW_STEPS[0]].p50
    curve_rows = [
        [f"{step:,}", _ms(stats.p50), _ms(stats.p95), f"{stats.p50 / first:.2f}×"] for step, stats in curve.items()
    ]
    text = "\n".join([
        "### Growth along other axes (in-process, rolled back afterwards)",
        "",
        f"Hosts per service: the busy host's service, {count} hosts → {SERVICE_HOSTS:,} (p50 ms).",
        "",
        _table(["path", f"{count} hosts", f"{SERVICE_HOSTS:,} hosts", "ratio"], table),
        "",
        f"Changes in the 72-hour suspects window of the quiet host {fx.quiet.hostname} (each 20 minutes long, "
        "spread over the window), suspects API:",
        "",
        _table(["changes added", "p50 ms", "p95 ms", "× at 10"], curve_rows),
    ])  # fmt: skip
    return rows, text
