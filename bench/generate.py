"""A synthetic inventory and change history, as COPY text lines for the app's own tables.

Deterministic: the world (hosts, services, teams) comes from the seed, and each day's changes from the seed and
the day's index, counted back from the anchor (day 0 holds the anchor, negative days are planned changes still
to come). So the most recent 110 days are the same rows at the ``small`` and the ``default`` scale, and growing
a loaded history (``load.extend``) only adds older days: the queries of the growth comparison see identical
recent data at 100k and at 1M changes.

Shape (default): 10,000 hosts in dev/qa/prod, 100 services, ~913 changes a day over 3 years (~1M), each linked
to 1-20 hosts of its environment: a few hosts are very busy (a Zipf head), the rest follow a log-normal
spread. Production takes 7% of the changes (about 450 a week, the calendar's "up to 500") but each touches
more hosts. Effective times follow Change.save (actual when known, else planned) and are copied onto the link
rows; no change lasts longer than settings.MAX_CHANGE_DURATION_HOURS.
"""

from __future__ import annotations

import bisect
import itertools
import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache

DAY = 86400
NULL = "\\N"
PER_DAY = 1_000_000 / 1095


@dataclass(frozen=True)
class Scale:
    name: str
    hosts: int
    services: int
    per_day: float
    days: int  # history before the anchor
    future_days: int  # planned changes after it

    @property
    def growth_days(self) -> int:
        """The recent tenth of the history: the first phase of a growth run (100k of the default 1M)."""
        return max(1, self.days // 10)

    @property
    def expected_changes(self) -> int:
        return round(self.per_day * (self.days + self.future_days))


SCALES = {
    "tiny": Scale("tiny", hosts=300, services=12, per_day=100, days=30, future_days=3),
    "small": Scale("small", hosts=10_000, services=100, per_day=PER_DAY, days=110, future_days=14),
    "default": Scale("default", hosts=10_000, services=100, per_day=PER_DAY, days=1095, future_days=14),
    # Issue #17's optional run: 10M changes (~50M host links) on five times the inventory.
    "large": Scale("large", hosts=50_000, services=500, per_day=10 * PER_DAY, days=1095, future_days=14),
}

# (slug, share of hosts, share of changes, mean hosts per change)
ENVIRONMENTS = (("dev", 0.40, 0.50, 4.3), ("qa", 0.30, 0.43, 4.3), ("prod", 0.30, 0.07, 9.0))
HEAD_SHARE, HEAD_EXPONENT, SPREAD_SIGMA = 0.12, 1.15, 0.6
MAX_HOSTS_PER_CHANGE = 20
WEEKDAY_WEIGHT = (1.2, 1.2, 1.2, 1.15, 0.85, 0.2, 0.2)
HOUR_WEIGHT = (1, 1, 1, 1, 1, 1, 2, 2, 2, 4, 4, 4, 4, 4, 4, 4, 4, 3, 2.5, 2.5, 2.5, 2.5, 1.5, 1.5)
DOMAINS = (
    "billing search checkout catalog auth payments orders stock shipping pricing reviews profile notify reports "
    "ledger media gateway cart loyalty tax fraud support partner analytics mail"
).split()
TIERS = ("web", "api", "worker", "db")
KINDS = ("release", "patch", "os_update", "config", "firewall", "database", "infrastructure", "manual", "other")
KIND_WEIGHTS = (25, 15, 12, 18, 5, 7, 8, 5, 5)
KIND_TITLES = {
    "release": "Release",
    "patch": "Patch",
    "os_update": "OS update",
    "config": "Config",
    "firewall": "Firewall",
    "database": "Schema",
    "infrastructure": "Infra",
    "manual": "Tweak",
    "other": "Misc",
}
# (statuses, weights) of changes that ended before the anchor and of those still to start.
PAST_STATUSES = (("completed", "failed", "backed_out", "cancelled", "rejected", "approved"), (84, 3, 2, 6, 3, 2))
FUTURE_STATUSES = (("draft", "submitted", "approved", "cancelled"), (10, 33, 54, 3))
RAN = frozenset({"completed", "failed", "backed_out", "in_progress"})
APPROVED = RAN | {"approved"}
LINK_STATES = {
    "completed": (("applied", "skipped", "failed"), (95, 3, 2)),
    "failed": (("failed", "applied", "pending"), (40, 50, 10)),
    "backed_out": (("rolled_back", "applied"), (80, 20)),
    "in_progress": (("applied", "pending"), (40, 60)),
}
TEAMS = (
    ("platform-ops", "Platform ops", "ops"),
    ("network-ops", "Network ops", "ops"),
    ("release", "Release management", "release"),
)
USERS_PER_TEAM, LEADS_PER_TEAM = 10, 2
PLAN = "1. Drain the host from the pool. 2. Apply. 3. Smoke test. 4. Put it back."
BACKOUT = "Reinstall the previous package version and restart the service."
EDIT_JSON = '{"implementation_plan": {"before": "v1 of the plan", "after": "v2 of the plan"}}'


_CLOCK = [f" {minute // 60:02d}:{minute % 60:02d}:00+00" for minute in range(24 * 60)]


@cache
def _date_text(day: int) -> str:
    return (date(1970, 1, 1) + timedelta(days=day)).isoformat()


def ts(seconds: int | None) -> str:
    """COPY text for an epoch-seconds UTC time on a whole minute (or NULL): much cheaper than isoformat()."""
    if seconds is None:
        return NULL
    day, rest = divmod(seconds, DAY)
    return _date_text(day) + _CLOCK[rest // 60]


class Draw:
    """Weighted choice by bisecting precomputed cumulative weights (random.choices recomputes them per call)."""

    __slots__ = ("names", "cumulative", "total")

    def __init__(self, names, weights):
        self.names = tuple(names)
        self.cumulative = list(itertools.accumulate(weights))
        self.total = self.cumulative[-1]

    def __call__(self, rng: random.Random):
        return self.names[bisect.bisect(self.cumulative, rng.random() * self.total)]


def line(*values) -> str:
    return "\t".join(values) + "\n"


@dataclass
class World:
    """Hosts, services, teams and users, with the host weights the changes are drawn with."""

    scale: Scale
    seed: int
    environment_ids: dict[str, int]
    services: list[str] = field(default_factory=list)  # index = id - 1
    hosts: list[tuple[int, str, str, int]] = field(default_factory=list)  # id, hostname, env slug, service id
    second_service: dict[int, int] = field(default_factory=dict)
    pickers: dict[str, tuple[list[int], list[float], list[float]]] = field(default_factory=dict)
    teams: list[tuple[int, str, str, str]] = field(default_factory=list)  # id, slug, name, kind
    users: list[tuple[int, str, int, bool]] = field(default_factory=list)  # id, username, team id, is lead

    @classmethod
    def build(cls, scale: Scale, seed: int, environment_ids: dict[str, int]) -> World:
        world = cls(scale=scale, seed=seed, environment_ids=environment_ids)
        rng = random.Random(f"{seed}:world")
        names = len(DOMAINS) * len(TIERS)  # 100; past them (the large scale) a round number keeps names unique
        world.services = [
            f"{DOMAINS[i % len(DOMAINS)]}-{TIERS[i // len(DOMAINS) % len(TIERS)]}"
            + (f"-{i // names + 1}" if i >= names else "")
            for i in range(scale.services)
        ]
        counters: dict[tuple[int, str], int] = {}
        next_id = 1
        for slug, host_share, _change_share, _mean in ENVIRONMENTS:
            ids = []
            for _ in range(round(scale.hosts * host_share)):
                service_id = rng.randrange(scale.services) + 1
                number = counters[(service_id, slug)] = counters.get((service_id, slug), 0) + 1
                world.hosts.append((next_id, f"{world.services[service_id - 1]}-{slug}-{number:03d}", slug, service_id))
                if rng.random() < 0.15:
                    world.second_service[next_id] = rng.randrange(scale.services) + 1
                ids.append(next_id)
                next_id += 1
            rng.shuffle(ids)  # rank order of the Zipf head: the busy hosts are random ones
            head = list(itertools.accumulate(1.0 / (rank + 1) ** HEAD_EXPONENT for rank in range(len(ids))))
            spread = list(itertools.accumulate(rng.lognormvariate(0, SPREAD_SIGMA) for _ in ids))
            world.pickers[slug] = (ids, head, spread)
        dev_teams = [(f"{d}-dev", f"{d.capitalize()} dev", "dev") for d in DOMAINS[:6]]
        for team_id, (slug, name, kind) in enumerate(dev_teams + list(TEAMS), start=1):
            world.teams.append((team_id, slug, name, kind))
            for n in range(USERS_PER_TEAM):
                world.users.append((len(world.users) + 1, f"{slug}-{n + 1:02d}", team_id, n < LEADS_PER_TEAM))
        return world

    def host_service(self, host_id: int) -> int:
        return self.hosts[host_id - 1][3]

    def members(self, team_id: int) -> list[tuple[int, str, int, bool]]:
        return self.users[(team_id - 1) * USERS_PER_TEAM : team_id * USERS_PER_TEAM]

    def inventory_lines(self) -> dict[str, list[str]]:
        when = ts(0)
        out: dict[str, list[str]] = {t: [] for t in INVENTORY_COLUMNS}
        for team_id, slug, name, kind in self.teams:
            out["accounts_team"].append(line(str(team_id), name, slug, kind, ""))
        for user_id, username, team_id, is_lead in self.users:
            out["auth_user"].append(line(str(user_id), "!", "f", username, "", "", "", "f", "t", when))
            out["accounts_teammembership"].append(line("t" if is_lead else "f", when, str(team_id), str(user_id)))
        for service_id, name in enumerate(self.services, start=1):
            out["inventory_service"].append(line(str(service_id), name, name, "", str(1 + service_id % 6)))
        for host_id, hostname, slug, service_id in self.hosts:
            env_id = str(self.environment_ids[slug])
            out["inventory_host"].append(line(str(host_id), hostname, "", NULL, "t", "t", when, when, env_id))
            out["inventory_host_services"].append(line(str(host_id), str(service_id)))
            second = self.second_service.get(host_id)
            if second and second != service_id:
                out["inventory_host_services"].append(line(str(host_id), str(second)))
        return out


# Column lists of every table written by COPY (ids given explicitly where other rows refer to them).
INVENTORY_COLUMNS = {
    "accounts_team": ("id", "name", "slug", "kind", "description"),
    "auth_user": (
        "id", "password", "is_superuser", "username", "first_name", "last_name", "email", "is_staff", "is_active",
        "date_joined",
    ),
    "accounts_teammembership": ("is_lead", "joined", "team_id", "user_id"),
    "inventory_service": ("id", "name", "slug", "description", "owner_team_id"),
    "inventory_host": (
        "id", "hostname", "fqdn", "ip_address", "is_active", "is_verified", "created", "updated", "environment_id",
    ),
    "inventory_host_services": ("host_id", "service_id"),
}  # fmt: skip
HISTORY_COLUMNS = {
    "changes_change": (
        "id", "kind", "change_type", "title", "summary", "implementation_plan", "backout_plan", "test_plan", "risk",
        "planned_start", "planned_end", "actual_start", "actual_end", "eff_start", "eff_end", "status", "artifact",
        "links", "is_unplanned", "version", "created", "updated", "environment_id", "requester_id", "team_id",
        "freeze_justification", "needs_freeze_exception", "approval_due_at", "approved_at",
    ),
    "changes_changehost": (
        "state", "state_changed_at", "note", "eff_start", "eff_end", "created", "change_id", "host_id",
        "state_changed_by_id",
    ),
    "changes_change_services": ("change_id", "service_id", "eff_start", "eff_end"),
    "changes_changeactivity": (
        "actor_name", "action", "from_status", "to_status", "changes", "note", "created", "actor_id", "change_id",
    ),
    "approvals_approval": (
        "decision", "comment", "decided_at", "change_version", "withdrawn_reason", "change_id", "decided_by_id",
        "team_id",
    ),
}  # fmt: skip


def _duration(rng: random.Random, longest: int) -> int:
    roll = rng.random()
    if roll < 0.70:
        seconds = rng.randint(1, 8) * 900
    elif roll < 0.92:
        seconds = rng.randint(2, 8) * 3600
    elif roll < 0.98:
        seconds = rng.randint(8, 48) * 3600
    else:
        seconds = rng.randint(48, 14 * 24) * 3600
    return min(seconds, longest - 3600)


ENV_DRAW = Draw((spec[0] for spec in ENVIRONMENTS), (spec[2] for spec in ENVIRONMENTS))
MEAN_HOSTS = {spec[0]: spec[3] for spec in ENVIRONMENTS}
KIND_DRAW = Draw(KINDS, KIND_WEIGHTS)
TYPE_DRAW = Draw(("normal", "standard", "emergency"), (70, 25, 5))
RISK_DRAW = Draw(("low", "medium", "high", "critical"), (50, 30, 15, 5))
HOUR_DRAW = Draw(range(24), HOUR_WEIGHT)
PAST_DRAW, FUTURE_DRAW = Draw(*PAST_STATUSES), Draw(*FUTURE_STATUSES)
STATE_DRAWS = {status: Draw(names, weights) for status, (names, weights) in LINK_STATES.items()}


@dataclass
class History:
    """The changes of one day at a time, as COPY lines for HISTORY_COLUMNS' tables."""

    world: World
    anchor: int  # epoch seconds: "now" of the loaded history
    longest: int  # settings.MAX_CHANGE_DURATION_HOURS in seconds

    def day_start(self, day: int) -> int:
        return (self.anchor // DAY - day) * DAY

    def day_count(self, day: int) -> int:
        """How many changes are planned on ``day`` (weekday-weighted, ±10%)."""
        weekday = (date(1970, 1, 1) + timedelta(days=self.day_start(day) // DAY)).weekday()
        factor = WEEKDAY_WEIGHT[weekday] / (sum(WEEKDAY_WEIGHT) / 7)
        noise = random.Random(f"{self.world.seed}:count:{day}").uniform(0.9, 1.1)
        return round(self.world.scale.per_day * factor * noise)

    def generate_day(self, day: int, first_id: int) -> dict[str, list[str]]:
        world, now = self.world, self.anchor
        rng = random.Random(f"{world.seed}:day:{day}")
        out: dict[str, list[str]] = {table: [] for table in HISTORY_COLUMNS}
        start_of_day = self.day_start(day)
        week = start_of_day // (7 * DAY)
        for change_id in range(first_id, first_id + self.day_count(day)):
            env = ENV_DRAW(rng)
            host_ids = self._hosts(rng, env, MEAN_HOSTS[env])
            service_id = world.host_service(host_ids[0])
            service = world.services[service_id - 1]
            team_id, team_slug, _name, team_kind = rng.choice(world.teams)
            members = world.members(team_id)
            requester = rng.choice(members)
            kind, change_type, risk = KIND_DRAW(rng), TYPE_DRAW(rng), RISK_DRAW(rng)
            planned_start = start_of_day + HOUR_DRAW(rng) * 3600 + rng.randrange(4) * 900
            planned_end = planned_start + _duration(rng, self.longest)
            unplanned = planned_end < now and rng.random() < 0.03
            if unplanned:
                status, change_type = "completed", "normal"
            elif planned_end <= now:
                status = PAST_DRAW(rng)
            elif planned_start > now:
                status = FUTURE_DRAW(rng)
            else:
                status = "in_progress" if rng.random() < 0.7 else "approved"
            actual_start = actual_end = None
            if status in RAN:
                actual_start = min(now, planned_start + rng.randint(-10, 30) * 60)
                if status != "in_progress":
                    length = int((planned_end - planned_start) * rng.uniform(0.6, 1.3)) // 60 * 60
                    actual_end = max(actual_start, min(now, actual_start + length, actual_start + self.longest))
            eff_start = actual_start if actual_start is not None else planned_start
            eff_end = actual_end if actual_end is not None else planned_end
            eff_end = min(max(eff_end, eff_start), eff_start + self.longest)
            created = eff_end if unplanned else min(now - 60, planned_start - rng.randint(1, 14 * 24) * 3600)
            approved_at = due = None
            if status in APPROVED and not unplanned:
                if change_type == "emergency":
                    due = eff_start + 24 * 3600
                    approved_at = eff_start + rng.randint(1, 20) * 3600 if rng.random() < 0.95 else None
                    approved_at = approved_at if approved_at is None or approved_at < now else None
                else:
                    approved_at = max(created, min(created + rng.randint(1, 48) * 3600, planned_start - 600, now))
            artifact = ""
            if kind == "release":
                artifact = f"{service} 1.{week % 500}.{rng.randrange(4)}"
            elif kind == "patch":
                artifact = f"openssl 3.0.{week % 40}"
            prefix = "Unplanned: " if unplanned else ""
            title = f"{prefix}{KIND_TITLES[kind]} {service} {artifact.split(' ')[-1] if artifact else ''}".strip()
            start_text, end_text, created_text = ts(eff_start), ts(eff_end), ts(created)
            requester_id, team_text = str(requester[0]), str(team_id)
            out["changes_change"].append(
                line(
                    str(change_id), kind, change_type, title, f"{title} on {len(host_ids)} hosts ({team_slug}).",
                    PLAN, BACKOUT, "Smoke tests pass.", risk, ts(planned_start), ts(planned_end), ts(actual_start),
                    ts(actual_end), start_text, end_text, status, artifact, "[]", "t" if unplanned else "f",
                    str(1 + (rng.random() < 0.2)), created_text, ts(min(now, max(created, eff_end))),
                    str(world.environment_ids[env]), requester_id, team_text, "", "f", ts(due), ts(approved_at),
                )
            )  # fmt: skip
            draw_state, span = STATE_DRAWS.get(status), eff_end - eff_start
            for host_id in host_ids:
                state = draw_state(rng) if draw_state else "pending"
                changed = None if state == "pending" else eff_start + int(span * rng.random()) // 60 * 60
                out["changes_changehost"].append(
                    line(
                        state, ts(changed), "", start_text, end_text, created_text, str(change_id), str(host_id),
                        NULL if changed is None else requester_id,
                    )
                )  # fmt: skip
            if rng.random() < 0.8:
                out["changes_change_services"].append(line(str(change_id), str(service_id), start_text, end_text))
            to_status = "completed" if unplanned else "draft"
            actor = requester[1]
            out["changes_changeactivity"].append(
                line(actor, "created", "", to_status, "{}", "", created_text, requester_id, str(change_id))
            )
            if (approved_at is not None and change_type != "standard") or status == "rejected":
                lead = members[0] if members[0] != requester else members[1]
                decided = approved_at if approved_at is not None else created + 3600
                decision = "rejected" if status == "rejected" else "approved"
                out["approvals_approval"].append(
                    line(decision, "", ts(decided), "1", "", str(change_id), str(lead[0]), team_text)
                )
                if decision == "approved" and rng.random() < 0.04 and team_kind == "dev":
                    out["changes_changeactivity"].append(
                        line(actor, "edit", "", "", EDIT_JSON, "", ts(decided + 600), requester_id, str(change_id))
                    )
        return out

    def _hosts(self, rng: random.Random, env: str, mean: float) -> list[int]:
        ids, head, spread = self.world.pickers[env]
        wanted = min(MAX_HOSTS_PER_CHANGE, 1 + int(rng.expovariate(1 / mean)), len(ids))
        chosen: dict[int, None] = {}
        while len(chosen) < wanted:
            cumulative = head if rng.random() < HEAD_SHARE else spread
            chosen[ids[bisect.bisect(cumulative, rng.random() * cumulative[-1])]] = None
        return list(chosen)
