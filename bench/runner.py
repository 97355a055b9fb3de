"""The whole bench run, phase by phase: load, reads, growth, EXPLAIN, ingest, report.

Growth: the recent tenth of the history is loaded first and the reads (a) and (b) measured on it; then the
older nine tenths are COPYed in front of it and everything is measured again. The queries see the same
recent rows both times, so any difference comes from the size of the tables (100k against 1M changes at the
default scale).
"""

from __future__ import annotations

import os
import secrets
import tempfile
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings

from apps.accounts.choices import TokenScope
from apps.accounts.models import Team, TeamMembership, UserProfile
from apps.accounts.tokens import create_api_token
from apps.inventory.models import Host
from bench import axes, bridge, ingest_load, load, queries, report, scenarios
from bench import metrics as metrics_reads
from bench.generate import DAY, HISTORY_COLUMNS, INVENTORY_COLUMNS, SCALES, History, World
from bench.measure import Budget

BUDGETS = {  # (suspects, week page, collisions, floors, bridge poll, other growth axes)
    "full": (Budget(10, 12, 10), Budget(3, 6, 8), Budget(20, 10, 30), Budget(50, 10, 50), Budget(5, 8, 10),
             Budget(4, 6, 8)),
    "tiny": (Budget(2, 2, 3), Budget(1, 2, 2), Budget(2, 2, 3), Budget(2, 2, 5), Budget(1, 2, 2), Budget(1, 2, 2)),
}  # fmt: skip
BENCH_USER = "bench"
INGEST_HOSTS = 5


@dataclass
class Options:
    scale: str
    output: Path
    skip_load: bool = False
    duration: float = 20.0
    seed: int = 8
    growth: bool = True
    clients: int = 8
    workers: int = 4


class Runner:
    def __init__(self, options: Options, out: Callable[[str], None]):
        self.options, self.out = options, out
        self.scale = SCALES[options.scale]
        self.db = connection.settings_dict
        self.longest = timedelta(hours=settings.MAX_CHANGE_DURATION_HOURS)
        self.raw = psycopg.connect(load.conninfo(self.db), autocommit=True)
        self.tiny = options.scale == "tiny"
        self.budgets = BUDGETS["tiny" if self.tiny else "full"]
        self.load_seconds = 0.0
        self.user = None  # the bench user, once clients() made it

    # --- loading ------------------------------------------------------------------------------------------
    def _load(self, history: History, days: list[int], first_ids: dict[int, int]) -> None:
        started = time.monotonic()
        load.drop_constraints(self.raw, HISTORY_COLUMNS)
        counts = load.load_days(self.db, history, days, first_ids, self.out)
        self.out("Rebuilding indexes and constraints")
        load.restore_constraints(self.raw, self.out)
        load.finish(self.db, [*INVENTORY_COLUMNS, *HISTORY_COLUMNS], self.out)
        seconds = time.monotonic() - started
        self.load_seconds += seconds
        total = counts["changes_change"] + counts["changes_changehost"]
        self.out(
            f"Loaded {counts['changes_change']:,} changes, {counts['changes_changehost']:,} links in {seconds:.0f} s"
        )
        self.out(f"  ({total / seconds:,.0f} change and link rows/s, indexes and VACUUM included)")

    def _plan(self, anchor: int, environment_ids: dict[str, int]) -> tuple[History, list[int], dict[int, int]]:
        world = World.build(self.scale, self.options.seed, environment_ids)
        history = History(world, anchor, int(self.longest.total_seconds()))
        days = list(range(self.scale.days - 1, -self.scale.future_days - 1, -1))  # oldest first
        first_ids, next_id = {}, 1
        for day in days:
            first_ids[day] = next_id
            next_id += history.day_count(day)
        return history, days, first_ids

    def load_first(self) -> tuple[int, History, list[int], dict[int, int]]:
        anchor = int(time.time()) // 60 * 60
        name, seed = self.db["NAME"], self.options.seed
        self.out(f"Emptying {name} and loading the inventory (scale {self.scale.name}, seed {seed})")
        history, days, first_ids = self._plan(anchor, load.reset(self.raw))
        load.load_inventory(self.raw, history.world, anchor)
        self._meta(anchor, complete=not self.options.growth)
        recent = [day for day in days if day < self.scale.growth_days] if self.options.growth else days
        self.out(f"Loading {'the recent tenth of ' if self.options.growth else ''}the history by COPY")
        self._load(history, recent, first_ids)
        return anchor, history, days, first_ids

    def load_rest(self, anchor: int, history: History, days: list[int], first_ids: dict[int, int]) -> None:
        self.out("Growing the history to the full scale: COPY of the older days")
        self._load(history, [day for day in days if day >= self.scale.growth_days], first_ids)
        self._meta(anchor, complete=True)

    def _meta(self, anchor: int, *, complete: bool) -> None:
        state = {"scale": self.scale.name, "seed": self.options.seed, "anchor": anchor, "complete": complete}
        load.write_meta(self.raw, state)

    # --- the app side -------------------------------------------------------------------------------------
    def clients(self) -> tuple[Client, Client, str, object]:
        """A team member with a read-write API token (through the token service) and a logged-in session."""
        user, _ = get_user_model().objects.get_or_create(username=BENCH_USER, defaults={"email": "bench@localhost"})
        team = Team.objects.order_by("id").first()
        if team is not None:
            TeamMembership.objects.get_or_create(team=team, user=user)
        UserProfile.objects.get_or_create(user=user, defaults={"time_zone": "UTC"})
        token = create_api_token(user=user, name=f"bench {secrets.token_hex(3)}", scope=TokenScope.READ_WRITE).plaintext
        api = Client(SERVER_NAME="127.0.0.1", HTTP_AUTHORIZATION=f"Bearer {token}")
        page = Client(SERVER_NAME="127.0.0.1")
        page.force_login(user)
        return api, page, token, user

    def reads(self, fx: scenarios.Fixture, *, growth_only: bool = False) -> list[scenarios.Result]:
        suspects_budget, week_budget, collision_budget, floor_budget, *_rest = self.budgets
        results = []
        for which in ("busy", "quiet"):
            self.out(f"  suspects, {which} host")
            results.append(scenarios.suspects(self.raw, fx, suspects_budget, which=which))
        self.out("  calendar week")
        results.append(scenarios.week(self.raw, fx, week_budget))
        self.out("  metrics")
        results.extend(metrics_reads.reads(self.raw, fx, week_budget))  # in the growth comparison too
        if not growth_only:
            self.out("  collisions")
            results.append(scenarios.collisions(self.raw, fx, collision_budget))
            self.out("  floors")
            results.append(scenarios.floors(self.raw, fx, floor_budget))
            self.out("  bridge poll")
            results.append(bridge.poll(self.raw, fx, self.budgets[4], self.user))
        return results

    def explain(self, fx: scenarios.Fixture) -> dict[str, str]:
        at = fx.times[0]
        start = datetime.combine(fx.weeks[0], datetime.min.time(), UTC)
        host_ids, c_start, c_end = fx.collision_cases[0]
        plans = {
            f"suspects raw SQL (busy host {fx.busy.hostname})": (
                queries.SUSPECTS, queries.suspects_params(fx.busy.pk, at, scenarios.HOURS, self.longest)),
            f"calendar week raw SQL (production, week of {fx.weeks[0]})": (
                queries.WEEK, queries.week_params(fx.environment_id, start, start + timedelta(days=7), self.longest)),
            "collisions raw SQL (10 hosts, 2 h)": (
                queries.COLLISIONS,
                queries.collision_params(host_ids, c_start, c_end, timedelta(minutes=60), self.longest)),
        }  # fmt: skip
        texts = {name: queries.explain(self.raw, sql, params) for name, (sql, params) in plans.items()}
        week_query = {"view": "week", "date": fx.weeks[0].isoformat(), "environment": scenarios.WEEK_ENVIRONMENT}
        app_calls = {
            "suspects_for_host (busy host)": lambda: scenarios.suspects_for_host(fx.busy, at=at, hours=scenarios.HOURS),
            "calendar week page": lambda: fx.page.get("/calendar/", week_query),
            "find_collisions": lambda: scenarios.find_collisions(start=c_start, end=c_end, host_ids=host_ids),
        }
        for name, call in app_calls.items():
            with CaptureQueriesContext(connection) as captured:
                call()
            slowest = max(captured.captured_queries, key=lambda query: float(query["time"]))
            sql = slowest["sql"] if len(slowest["sql"]) < 900 else slowest["sql"][:900] + " …"
            texts[f"{name}: its slowest query of {len(captured.captured_queries)}"] = (
                sql + "\n\n" + queries.explain(self.raw, slowest["sql"])
            )
        return texts

    def ingest(self, token: str, user, anchor: int) -> dict:
        """(d): events through gunicorn against raw inserts of the same rows, each for ``duration`` seconds."""
        run_id = secrets.token_hex(4)
        dev = Host.objects.filter(environment__slug="dev").order_by("id")
        groups = [list(dev[offset : offset + INGEST_HOSTS]) for offset in range(0, 200, INGEST_HOSTS)]
        groups = [group for group in groups if len(group) == INGEST_HOSTS]
        past = datetime.fromtimestamp(anchor - (self.scale.days + 60) * DAY, UTC)
        env_id = groups[0][0].environment_id

        def event(key: str) -> dict:
            group = groups[hash(key) % len(groups)]
            return {
                "payload": {"summary": f"bench event {key}", "source": "bench"}, "hosts": [h.hostname for h in group],
                "environment": "dev", "kind": "release", "status": "completed", "started_at": past.isoformat(),
                "ended_at": (past + timedelta(minutes=10)).isoformat(), "dedup_key": f"bench-{run_id}-{key}",
            }  # fmt: skip

        def raw_params(key: str) -> dict:
            group = groups[hash(key) % len(groups)]
            return {
                "title": f"bench raw {key}", "start": past, "end": past + timedelta(minutes=10), "env": env_id,
                "user": user.pk, "hosts": [h.pk for h in group], "key": f"bench-{run_id}-{key}",
            }  # fmt: skip

        api = Client(SERVER_NAME="127.0.0.1", HTTP_AUTHORIZATION=f"Bearer {token}")
        with CaptureQueriesContext(connection) as captured:
            response = api.post(ingest_load.EVENTS_PATH, event("probe"), content_type="application/json")
        if response.status_code != 202:
            raise RuntimeError(f"ingest probe answered {response.status_code}: {response.content[:300]!r}")
        seconds, workers, clients = self.options.duration, self.options.workers, self.options.clients
        log = Path(tempfile.gettempdir()) / "changeportal-bench-gunicorn.log"
        self.out(f"  gunicorn ({workers} workers), {clients} clients, {seconds:g} s")
        with ingest_load.gunicorn(self.db, workers=workers, log=log) as port:
            ingest_load.post_events(port, token, event, clients=clients, seconds=min(2.0, seconds))  # warm-up
            app = ingest_load.post_events(port, token, event, clients=clients, seconds=seconds)
            self.out(f"  floor: GET {ingest_load.FLOOR_PATH} through the same gunicorn, {seconds / 2:g} s")
            floor = ingest_load.get_requests(port, token, clients=clients, seconds=seconds / 2)
            self.out(f"  floor: no-op authenticated POST {ingest_load.BATCH_PATH} (empty batch), {seconds / 2:g} s")
            noop = ingest_load.noop_posts(port, token, clients=clients, seconds=seconds / 2)
            self.out(f"  batches of {ingest_load.BATCH_SIZE} events, {seconds:g} s")
            batch = ingest_load.post_batches(port, token, lambda key: event(f"b-{key}"), clients=clients,
                                             seconds=seconds)  # fmt: skip
        self.out(f"  raw inserts, {workers} connections, {seconds:g} s")
        raw = ingest_load.raw_inserts(self.db, raw_params, connections=workers, seconds=seconds)
        description = (
            f"Each event: {INGEST_HOSTS} existing hosts, a new unplanned completed change. The app ran "
            f"{len(captured.captured_queries)} queries per event (one probe, in-process, where the outbox's dispatch "
            "runs inside the request; the gunicorn workers hand it to a broker as production does). Raw: the "
            "change, its "
            f"{INGEST_HOSTS} host links, its activity entry and its ingest record in one INSERT statement, "
            f"autocommit, on {workers} connections (one per gunicorn worker). {seconds:g} s each."
        )
        description += (
            f" Batches: {ingest_load.BATCH_SIZE} events per POST {ingest_load.BATCH_PATH} (each event checked on its "
            "own, a run of unplanned events written in one transaction), counted in events; their latency is per "
            "request."
        )
        return {"app": app, "raw": raw, "floor": floor, "noop": noop, "batch": batch, "clients": clients,
                "workers": workers, "path": ingest_load.EVENTS_PATH, "description": description}  # fmt: skip

    # --- the run ------------------------------------------------------------------------------------------
    def data_facts(self) -> dict:
        changes, links = self.raw.execute(
            "SELECT (SELECT count(*) FROM changes_change), (SELECT count(*) FROM changes_changehost)"
        ).fetchone()
        busiest, median = self.raw.execute(
            "SELECT max(n), percentile_disc(0.5) WITHIN GROUP (ORDER BY n) "
            "FROM (SELECT count(*) AS n FROM changes_changehost GROUP BY host_id) per_host"
        ).fetchone()
        hosts = self.raw.execute("SELECT count(*) FROM inventory_host").fetchone()[0]
        return {"changes": changes, "host links": links, "hosts": hosts, "links of the busiest host": busiest,
                "median links per host": median, "load time": f"{self.load_seconds:.0f} s"}  # fmt: skip

    def run(self) -> report.Run:
        versions = self.raw.execute("SHOW server_version").fetchone()[0]
        pg_settings = ", ".join(
            f"{name} {self.raw.execute(f'SHOW {name}').fetchone()[0]}" for name in ("shared_buffers", "work_mem")
        )
        machine = report.machine(versions, pg_settings)
        growth = self.options.growth and not self.options.skip_load
        plan = None
        if self.options.skip_load:
            meta = load.read_meta(self.raw)
            if not meta or meta.get("scale") != self.scale.name or not meta.get("complete"):
                name = self.db["NAME"]
                raise RuntimeError(f"--skip-load needs a complete {self.scale.name} load in {name}; found {meta}")
            anchor = meta["anchor"]
        else:
            anchor, *plan = self.load_first()
        api, page, token, user = self.clients()
        self.user = user
        rest_framework = dict(settings.REST_FRAMEWORK)
        rates = dict(rest_framework["DEFAULT_THROTTLE_RATES"], token="100000/s", user="100000/s")
        rest_framework["DEFAULT_THROTTLE_RATES"] = rates  # counted as usual, never refused
        growth_results: dict[str, list[scenarios.Result]] = {}
        warnings.filterwarnings("ignore", message="No directory at")  # whitenoise, once DEBUG is off
        with override_settings(DEBUG=False, REST_FRAMEWORK=rest_framework):
            fx = scenarios.choose(
                self.raw, anchor=datetime.fromtimestamp(anchor, UTC), recent_days=self.scale.growth_days,
                seed=self.options.seed, longest=self.longest, api=api, page=page, cases=4 if self.tiny else 16,
            )  # fmt: skip
            if growth:
                label = f"{self._count():,} changes"
                self.out(f"Measuring the reads at {label}")
                growth_results[label] = self.reads(fx, growth_only=True)
                self.load_rest(anchor, *plan)
            self.out(f"Measuring every read at {self._count():,} changes")
            reads = self.reads(fx)
            if growth:
                growth_results[f"{self._count():,} changes"] = reads[: 3 + metrics_reads.RESULTS]
            self.out("Growth along other axes")
            axis_rows, axis_text = axes.measure(fx, self.budgets[5], self.out, user_id=user.pk)
            self.out("EXPLAIN")
            plans = self.explain(fx)
            data = self.data_facts()  # before the ingest adds its changes
            self.out("Ingest")
            ingest = self.ingest(token, user, anchor)
        machine["load average at the end"] = " ".join(f"{value:.2f}" for value in os.getloadavg())
        return report.Run(
            scale=self.scale.name, date=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"), machine=machine,
            data=data, reads=reads, growth=growth_results, ingest=ingest, explain=plans, axes=axis_rows,
            axes_text=axis_text,
        )  # fmt: skip

    def _count(self) -> int:
        return self.raw.execute("SELECT count(*) FROM changes_change").fetchone()[0]

    def close(self) -> None:
        self.raw.close()
