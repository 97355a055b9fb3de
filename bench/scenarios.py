"""The read comparisons: each app path next to its raw SQL, on the same parameters.

(a) suspects for a busy and a quiet host, 72-hour window: raw query, suspects_for_host, GET .../suspects;
(b) the production calendar week: raw query, the rendered week page;
(c) a collision check for a new change on 10 hosts over 2 hours: raw query, find_collisions.
Alongside: every SQL statement of the app call replayed raw (what the database alone costs the app), the query
count of one call, and the floors (``SELECT 1``, a trivial DRF endpoint).
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import psycopg
from django.db import connection, reset_queries
from django.test import Client
from django.test.utils import CaptureQueriesContext

from apps.changes.collisions import find_collisions
from apps.incidents.suspects import suspects_for_host
from apps.inventory.models import Host
from bench import queries
from bench.measure import Budget, Stats, compare

HOURS = 72
DECLARE = re.compile(r"^DECLARE .*? CURSOR (?:WITH(?:OUT)? HOLD )?FOR ", re.DOTALL)
WEEK_ENVIRONMENT = "prod"
SERVICE = "service suspects_for_host"
SUSPECTS_API = "GET /api/v1/hosts/{hostname}/suspects"
WEEK_PAGE = "GET /calendar/?view=week&environment=prod"
COLLISIONS_APP = "find_collisions"
FLOORS = "floor: SELECT 1 and trivial endpoints"
TRIVIAL_DRF = "GET /api/v1/environments/prod (trivial DRF)"
PLAIN_VIEW = "GET /healthz (plain Django view)"


@dataclass
class Result:
    """One comparison: stats per path, queries per app call, and the raw path the ratio divides by."""

    name: str
    raw: str
    stats: dict[str, Stats]
    queries: dict[str, int] = field(default_factory=dict)
    note: str = ""


@dataclass
class Fixture:
    """Everything the reads run on, chosen once (same seed: same hosts and times at 100k and at 1M)."""

    anchor: datetime
    longest: timedelta
    busy: Host
    quiet: Host
    times: list[datetime]
    weeks: list[date]
    environment_id: int
    collision_cases: list[tuple[list[int], datetime, datetime]]
    api: Client
    page: Client
    host_links: dict[str, int] = field(default_factory=dict)


def choose(
    raw: psycopg.Connection,
    *,
    anchor: datetime,
    recent_days: int,
    seed: int,
    longest: timedelta,
    api,
    page,
    cases: int = 16,
) -> Fixture:
    """A random busy host (among the 10 busiest) and a quiet one (around the median), times and weeks.

    Everything lies in the ``recent_days`` before the anchor, which the growth run loads first.
    """
    rng = random.Random(f"{seed}:fixture")
    counts = raw.execute(
        "SELECT host_id, count(*) FROM changes_changehost WHERE eff_start > %s::timestamptz "
        "GROUP BY host_id ORDER BY count(*) DESC, host_id",
        [anchor - timedelta(days=min(recent_days, 30))],
    ).fetchall()
    links = dict(counts)
    busy_id = rng.choice(counts[:10])[0]
    middle, band = len(counts) // 2, len(counts) // 20
    quiet_id = rng.choice(counts[max(0, middle - band) : middle + band + 1])[0]
    hosts = Host.objects.select_related("environment").in_bulk([busy_id, quiet_id])
    span = max(1, min(recent_days - 3, 30)) * 86400
    times = [anchor - timedelta(seconds=rng.randrange(3600, span) // 60 * 60) for _ in range(cases)]
    previous = anchor - timedelta(days=7)
    last_monday = previous.date() - timedelta(days=previous.weekday())
    age = (anchor.date() - last_monday).days
    weeks = [last_monday - timedelta(weeks=n) for n in range(4) if age + 7 * n + 21 < recent_days] or [last_monday]
    peers = [
        pk
        for (pk,) in raw.execute(
            "SELECT id FROM inventory_host WHERE environment_id = %s::bigint AND id <> %s::bigint ORDER BY id",
            [hosts[busy_id].environment_id, busy_id],
        )
    ]
    collision_cases = []
    for _ in range(cases):
        start = anchor + timedelta(minutes=15 * rng.randrange(-7 * 96, 14 * 96))
        collision_cases.append(([busy_id, *rng.sample(peers, 9)], start, start + timedelta(hours=2)))
    row = raw.execute("SELECT id FROM inventory_environment WHERE slug = %s", [WEEK_ENVIRONMENT]).fetchone()
    environment_id = row[0]
    return Fixture(
        anchor=anchor,
        longest=longest,
        busy=hosts[busy_id],
        quiet=hosts[quiet_id],
        times=times,
        weeks=weeks,
        environment_id=environment_id,
        collision_cases=collision_cases,
        api=api,
        page=page,
        host_links={"busy": links[busy_id], "quiet": links[quiet_id]},
    )


def _ok(response):
    if response.status_code != 200:
        raise RuntimeError(f"{response.status_code} from {response.request['PATH_INFO']}: {response.content[:300]!r}")
    return response


def _captured(call: Callable[[object], object], params: list) -> tuple[int, list[list[str]]]:
    """The SQL of one app call per parameter (to replay it raw), and the query count of the first."""
    statements = []
    for argument in params:
        reset_queries()  # a request empties the log as it starts: the capture must start from an empty one too
        with CaptureQueriesContext(connection) as captured:
            call(argument)
        statements.append([query["sql"] for query in captured.captured_queries])
    return len(statements[0]), statements


def _replay(raw: psycopg.Connection, statements: list[list[str]]) -> Callable[[int], None]:
    """Send the captured statements again on the raw connection; a server-side cursor's DECLARE becomes its query
    (its FETCH and CLOSE round trips are not captured, so the replay slightly flatters the app)."""
    plain = [[DECLARE.sub("", sql, count=1) for sql in batch] for batch in statements]

    def replay(index: int) -> None:
        for sql in plain[index]:
            cursor = raw.execute(sql)
            if cursor.description is not None:
                cursor.fetchall()

    return replay


def _with_replay(raw, paths: dict, app_name: str, params: list, budget: Budget) -> tuple[dict[str, Stats], int]:
    """compare() over the paths plus app_name's own SQL replayed raw; params are indexed for the replay."""
    count, statements = _captured(paths[app_name], params)
    indexed = list(range(len(params)))
    wrapped = {name: (lambda i, call=call: call(params[i])) for name, call in paths.items()}
    wrapped[f"{app_name}: its SQL replayed raw"] = _replay(raw, statements)
    return compare(wrapped, indexed, budget), count


def suspects(raw, fx: Fixture, budget: Budget, *, which: str) -> Result:
    host = fx.busy if which == "busy" else fx.quiet
    params = [(host, at) for at in fx.times]
    url = f"/api/v1/hosts/{host.hostname}/suspects"
    paths = {
        "raw SQL": lambda p: queries.run(
            raw, queries.SUSPECTS, queries.suspects_params(p[0].pk, p[1], HOURS, fx.longest)
        ),
        SERVICE: lambda p: suspects_for_host(p[0], at=p[1], hours=HOURS),
        SUSPECTS_API: lambda p: _ok(fx.api.get(url, {"at": p[1].isoformat(), "hours": HOURS})),
    }
    stats, count = _with_replay(raw, paths, SUSPECTS_API, params, budget)
    service_count, _ = _captured(paths[SERVICE], params[:1])
    queries_by_path = {SERVICE: service_count, SUSPECTS_API: count}
    note = f"{host.hostname}: {fx.host_links[which]:,} links in the last 30 days"
    return Result(f"suspects, {which} host, 72 h", "raw SQL", stats, queries_by_path, note)


def week(raw, fx: Fixture, budget: Budget) -> Result:
    def page(monday: date):
        params = {"view": "week", "date": monday.isoformat(), "environment": WEEK_ENVIRONMENT}
        return _ok(fx.page.get("/calendar/", params))

    def raw_week(monday: date):
        start = datetime.combine(monday, datetime.min.time(), fx.anchor.tzinfo)
        params = queries.week_params(fx.environment_id, start, start + timedelta(days=7), fx.longest)
        return queries.run(raw, queries.WEEK, params)

    visible = [len(raw_week(monday)) for monday in fx.weeks]
    paths = {"raw SQL": raw_week, WEEK_PAGE: page}
    stats, count = _with_replay(raw, paths, WEEK_PAGE, fx.weeks, budget)
    note = f"{len(fx.weeks)} weeks, {min(visible)}-{max(visible)} production changes each"
    return Result("calendar week, production", "raw SQL", stats, {WEEK_PAGE: count}, note)


def collisions(raw, fx: Fixture, budget: Budget) -> Result:
    buffer = timedelta(minutes=60)

    def raw_collisions(case):
        host_ids, start, end = case
        return queries.run(raw, queries.COLLISIONS, queries.collision_params(host_ids, start, end, buffer, fx.longest))

    def app(case):
        host_ids, start, end = case
        return find_collisions(start=start, end=end, host_ids=host_ids, buffer=buffer)

    paths = {"raw SQL": raw_collisions, COLLISIONS_APP: app}
    stats, count = _with_replay(raw, paths, COLLISIONS_APP, fx.collision_cases, budget)
    found = [len(raw_collisions(case)) for case in fx.collision_cases]
    note = f"10 hosts (the busy one and 9 peers), 2 h ± 1 h buffer; {min(found)}-{max(found)} colliding changes"
    return Result("collision check, 10 hosts, 2 h", "raw SQL", stats, {COLLISIONS_APP: count}, note)


def floors(raw, fx: Fixture, budget: Budget) -> Result:
    paths = {
        "raw SQL": lambda _: queries.run(raw, queries.SELECT_ONE),
        TRIVIAL_DRF: lambda _: _ok(fx.api.get("/api/v1/environments/prod")),
        PLAIN_VIEW: lambda _: _ok(fx.api.get("/healthz")),
        "ORM: one host by primary key": lambda _: Host.objects.filter(pk=fx.quiet.pk).first(),
    }
    stats = compare(paths, [None], budget)
    return Result(FLOORS, "raw SQL", stats)
