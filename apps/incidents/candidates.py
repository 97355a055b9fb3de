"""The bounded, index-backed queries behind the suspects list: a fixed number, however many changes exist.

Every scan on a change's effective start is bounded below by ``window.start - MAX_CHANGE_DURATION_HOURS``
(no change lasts longer, so nothing overlapping the window starts earlier), which lets
- direct links use the covering ChangeHost index (host_id, eff_start, change_id) INCLUDE (eff_end);
- links on the services' hosts use the same index once per host, the link rows alone (index-only), with the few
  in-progress and inactive changes of the range taken from the Change (status, eff_start) index;
- service links use the covering ChangeService index (service_id, eff_start) INCLUDE (eff_end, change_id), and
  environment-wide changes the partial index on Change.environment_wide (kept by apps.changes.environment_wide),
  in one UNION ALL.
Production-only artifacts are looked up further back on the host itself (DRIFT_LOOKBACK): a drift does not
expire when the window ends.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import BigIntegerField, Count, Min, OuterRef, Q, Subquery, Value

from apps.approvals.choices import Decision
from apps.approvals.models import Approval
from apps.changes import state_machine
from apps.changes.choices import ActivityAction, ChangeStatus
from apps.changes.models import Change, ChangeActivity, ChangeHost, ChangeService
from apps.changes.services.review import MATERIAL_FIELDS
from apps.incidents.drift import artifacts_reached_lower
from apps.inventory.models import Host, Service
from apps.platform.sharing import attach_shared

DRIFT_LOOKBACK = timedelta(days=14)
# How far back QA/dev count as having received an artifact before production.
LOWER_ENV_LOOKBACK = timedelta(days=90)
INACTIVE = state_machine.NEVER_RAN  # draft, rejected, cancelled: never suspects


@dataclass(frozen=True)
class Window:
    """[start, at] is looked at; (at, after_end] holds the changes that began after the incident, or (at, resolved_at)
    for an incident resolved by then: what began once it was over is not part of it."""

    at: datetime
    hours: int
    now: datetime
    resolved_at: datetime | None = None

    @property
    def start(self) -> datetime:
        return self.at - timedelta(hours=self.hours)

    @property
    def overlap_floor(self) -> datetime:
        return self.start - timedelta(hours=settings.MAX_CHANGE_DURATION_HOURS)

    @property
    def drift_floor(self) -> datetime:
        return min(self.overlap_floor, self.at - DRIFT_LOOKBACK)

    @property
    def after_end(self) -> datetime:
        end = min(self.now, self.at + timedelta(hours=self.hours))
        if self.resolved_at is not None:
            end = min(end, self.resolved_at)
        return max(self.at, end)

    @property
    def started_by_end(self) -> dict[str, datetime]:
        """The upper bound of every scan on the effective start: after_end, or just before the resolution."""
        end = self.after_end
        if self.resolved_at is not None and self.at < end == self.resolved_at:
            return {"eff_start__lt": end}
        return {"eff_start__lte": end}


@dataclass(frozen=True)
class Target:
    """A host under investigation, with the services and environment its suspects are looked up through."""

    host: Host
    service_ids: frozenset[int]

    @property
    def environment_id(self) -> int:
        return self.host.environment_id

    @property
    def is_production(self) -> bool:
        return self.host.environment.is_production


@dataclass(frozen=True)
class LinkRow:
    change_id: int
    host_id: int
    state: str
    state_changed_at: datetime | None


@dataclass
class Facts:
    """Everything the ranking needs about the candidate changes, fetched in bulk."""

    direct: dict[int, dict[int, LinkRow]] = field(default_factory=dict)  # host_id -> change_id -> link
    service: dict[tuple[int, int], set[int]] = field(default_factory=dict)  # (env, service) -> change ids
    environment: dict[int, set[int]] = field(default_factory=dict)  # env id -> change ids
    changes: dict[int, Change] = field(default_factory=dict)
    state_counts: dict[int, dict[str, int]] = field(default_factory=dict)  # change -> state -> hosts
    first_approval: dict[int, datetime] = field(default_factory=dict)
    material_edits: dict[int, set[str]] = field(default_factory=dict)
    reached_lower: set[tuple[str, int]] = field(default_factory=set)  # (artifact, service) seen in QA/dev
    service_names: dict[int, str] = field(default_factory=dict)
    starts: dict[int, datetime] = field(default_factory=dict)  # change id -> effective start, every candidate
    unlisted_after: int = 0  # changes that began after the incident beyond the listed ones: counted, not loaded


def _overlaps(window: Window, prefix: str = "") -> Q:
    """Overlapping [window.start, ...] or still in progress, among rows whose start is already bounded."""
    return Q(**{f"{prefix}eff_end__gte": window.start}) | Q(**{f"{prefix}status": ChangeStatus.IN_PROGRESS})


def targets_for(hosts, extra_service_ids=()) -> list[Target]:
    """One query: each host's services (plus ``extra_service_ids``, e.g. the incident's services)."""
    hosts = list(hosts)
    rows = Host.services.through.objects.filter(host_id__in=[h.pk for h in hosts]).order_by()
    services: dict[int, set[int]] = defaultdict(set)
    for host_id, service_id in rows.values_list("host_id", "service_id"):
        services[host_id].add(service_id)
    extra = set(extra_service_ids)
    return [Target(host=host, service_ids=frozenset(services[host.pk] | extra)) for host in hosts]


def direct_links(targets: list[Target], window: Window, starts: dict[int, datetime]) -> dict[int, dict[int, LinkRow]]:
    """Links of the targets themselves: overlapping the window, in progress, or a production artifact."""
    drift_candidate = Q(eff_start__gt=window.at - DRIFT_LOOKBACK, change__environment__is_production=True) & ~Q(
        change__artifact=""
    )
    rows = (
        ChangeHost.objects.filter(
            host_id__in=[t.host.pk for t in targets],
            eff_start__gt=window.drift_floor,
            **window.started_by_end,
        )
        .filter(
            (
                Q(eff_start__gt=window.overlap_floor)
                & (Q(eff_end__gte=window.start) | Q(change__status=ChangeStatus.IN_PROGRESS))
            )
            | drift_candidate
        )
        .exclude(change__status__in=INACTIVE)
        .order_by()
        .values_list("change_id", "host_id", "state", "state_changed_at", "eff_start")
    )
    by_host: dict[int, dict[int, LinkRow]] = defaultdict(dict)
    for change_id, host_id, state, state_changed_at, start in rows:
        by_host[host_id][change_id] = LinkRow(change_id, host_id, state, state_changed_at)
        starts[change_id] = start
    return by_host


def service_and_environment_links(
    targets: list[Target], window: Window, starts: dict[int, datetime]
) -> tuple[dict[tuple[int, int], set[int]], dict[int, set[int]]]:
    """Changes linked to the targets' services, or run on any host of those services, in their environments; and
    changes to a whole environment (no hosts and no services listed).

    The first and the last in one query (UNION ALL): the service links through their covering (service_id,
    eff_start) index, the environment-wide changes through the partial index on Change.environment_wide; each
    joins only its few changes for the environment and status. A target's own links show up here too; its direct
    scope wins (see suspects._scope_for)."""
    service_ids = set().union(*(t.service_ids for t in targets))
    env_ids = {t.environment_id for t in targets}
    services: dict[tuple[int, int], set[int]] = defaultdict(set)
    environments: dict[int, set[int]] = defaultdict(set)
    rows = (
        Change.objects.filter(environment_wide=True, environment_id__in=env_ids, eff_start__gt=window.overlap_floor)
        .filter(_overlaps(window), **window.started_by_end)
        .exclude(status__in=INACTIVE)
        .order_by()
        .values_list("environment_id", "pk", "eff_start", Value(None, output_field=BigIntegerField()))
    )
    if service_ids:
        linked = (
            ChangeService.objects.filter(
                service_id__in=service_ids,
                change__environment_id__in=env_ids,
                eff_start__gt=window.overlap_floor,
                **window.started_by_end,
            )
            .filter(_service_link_overlaps(window))
            .exclude(change__status__in=INACTIVE)
            .order_by()
            .values_list("change__environment_id", "change_id", "eff_start", "service_id")
        )
        rows = linked.union(rows, all=True)
    for env_id, change_id, start, service_id in rows:
        if service_id is None:
            environments[env_id].add(change_id)
        else:
            services[(env_id, service_id)].add(change_id)
        starts[change_id] = start
    if service_ids:
        _add_peer_links(services, service_ids, env_ids, window, starts)
    return services, environments


def _service_link_overlaps(window: Window) -> Q:
    """_overlaps for a service link: its own copy of the window, its change's status."""
    return Q(eff_end__gte=window.start) | Q(change__status=ChangeStatus.IN_PROGRESS)


def _status_exceptions(window: Window) -> tuple[set[int], set[int]]:
    """Changes in the scan range that are in progress, and those that are never suspects (draft, rejected,
    cancelled): a few hundred rows of the (status, eff_start) index."""
    running: set[int] = set()
    inactive: set[int] = set()
    rows = (
        Change.objects.filter(
            status__in=[*INACTIVE, ChangeStatus.IN_PROGRESS],
            eff_start__gt=window.overlap_floor,
            **window.started_by_end,
        )
        .order_by()
        .values_list("pk", "status")
    )
    for change_id, status in rows:
        (running if status == ChangeStatus.IN_PROGRESS else inactive).add(change_id)
    return running, inactive


def _add_peer_links(found, service_ids: set[int], env_ids: set[int], window: Window, starts) -> None:
    """Changes run on any host of the services: the link rows alone (index-only scans per host).

    Whether a change is in progress or inactive comes from _status_exceptions instead of looking up the change
    of every link row (~900 for a busy service). Not as subqueries: with them the planner may switch to a
    sequential scan of all link rows."""
    running, inactive = _status_exceptions(window)
    overlapping = Q(eff_end__gte=window.start) | Q(change_id__in=running) if running else Q(eff_end__gte=window.start)
    peers = (
        ChangeHost.objects.filter(
            host__services__in=service_ids,
            host__environment_id__in=env_ids,
            eff_start__gt=window.overlap_floor,
            **window.started_by_end,
        )
        .filter(overlapping)
        .order_by()
        .values_list("host__environment_id", "host__services", "change_id", "eff_start")
        .distinct()
    )
    for env_id, service_id, change_id, start in peers:
        if service_id in service_ids and change_id not in inactive:
            found[(env_id, service_id)].add(change_id)
            starts[change_id] = start


# Long texts and bookkeeping no suspect shows (the bridge does show the backout plan): not worth fetching for
# hundreds of candidates of which a page lists a few.
UNUSED_FIELDS = (
    "summary",
    "implementation_plan",
    "test_plan",
    "links",
    "freeze_justification",
    "approved_at",
    "approval_due_at",
    "created",
    "updated",
)


def load_changes(change_ids: set[int], known_environments=()) -> dict[int, Change]:
    """The candidate changes, each with its environment: the targets' own (the usual case) or fetched once.

    Sharing the few Environment rows instead of a select_related copy per change: building ~200 model instances
    twice over was the largest Python cost of a lookup."""
    if not change_ids:
        return {}
    changes = list(Change.objects.filter(pk__in=change_ids).defer(*UNUSED_FIELDS).order_by())
    attach_shared(changes, "environment", known=known_environments)
    return {change.pk: change for change in changes}


def host_state_counts(change_ids: set[int]) -> dict[int, dict[str, int]]:
    """Per change, how many of its hosts are in each state: one grouped query for every peer."""
    counts: dict[int, dict[str, int]] = defaultdict(dict)
    if not change_ids:
        return counts
    rows = (
        ChangeHost.objects.filter(change_id__in=change_ids)
        .order_by()
        .values_list("change_id", "state")
        .annotate(total=Count("id"))
    )
    for change_id, state, total in sorted(rows):  # states in a stable order: the API's host_states
        counts[change_id][state] = total
    return counts


def first_approvals(change_ids: set[int]) -> dict[int, datetime]:
    if not change_ids:
        return {}
    rows = (
        Approval.objects.filter(change_id__in=change_ids, decision=Decision.APPROVED)
        .order_by()
        .values_list("change_id")
        .annotate(first=Min("decided_at"))
    )
    return dict(rows)


def material_edits_after_approval(change_ids: set[int], *, before: datetime) -> dict[int, set[str]]:
    """Material fields edited after each change's first approval (and before ``before``)."""
    found: dict[int, set[str]] = defaultdict(set)
    if not change_ids:
        return found
    first = (
        Approval.objects.filter(change_id=OuterRef("change_id"), decision=Decision.APPROVED)
        .order_by("decided_at")
        .values("decided_at")[:1]
    )
    edits = (
        ChangeActivity.objects.filter(
            change_id__in=change_ids, action=ActivityAction.EDIT, created__gt=Subquery(first), created__lte=before
        )
        .order_by()
        .values_list("change_id", "changes")
    )
    for change_id, diff in edits:
        found[change_id] |= set(diff or {}) & MATERIAL_FIELDS
    return found


def service_names(service_ids: set[int]) -> dict[int, str]:
    if not service_ids:
        return {}
    return dict(Service.objects.filter(pk__in=service_ids).order_by().values_list("pk", "name"))


def reaches(change_id: int, target: Target, facts: Facts) -> bool:
    """Whether the change reaches the target in any scope (see suspects._scope_for for which one counts)."""
    return (
        change_id in facts.direct.get(target.host.pk, {})
        or change_id in facts.environment.get(target.environment_id, ())
        or any(change_id in facts.service.get((target.environment_id, sid), ()) for sid in target.service_ids)
    )


def _beyond_listed_after(targets: list[Target], facts: Facts, window: Window, after_limit: int) -> set[int]:
    """The changes that began after the incident and come after the first ``after_limit`` of them.

    That list is ordered by start alone, so these are known from the candidate queries: they are counted but
    neither loaded nor ranked (a busy host has more of them than suspects)."""
    later = sorted(
        (start, change_id)
        for change_id, start in facts.starts.items()
        if start > window.at and any(reaches(change_id, target, facts) for target in targets)
    )
    return {change_id for _start, change_id in later[after_limit:]}


def gather(targets: list[Target], window: Window, *, after_limit: int | None = None) -> Facts:
    """All facts for the targets in a fixed number of queries (11, fewer when there is nothing to ask).

    With ``after_limit``, only that many of the changes that began after the incident are loaded and ranked.
    """
    facts = Facts()
    if not targets:
        return facts
    facts.direct = direct_links(targets, window, facts.starts)
    facts.service, facts.environment = service_and_environment_links(targets, window, facts.starts)
    ids = set(facts.starts)
    if after_limit is not None:
        beyond = _beyond_listed_after(targets, facts, window, after_limit)
        facts.unlisted_after = len(beyond)
        ids -= beyond
    known = [t.host.environment for t in targets if Host.environment.is_cached(t.host)]
    facts.changes = load_changes(ids, known)
    facts.state_counts = host_state_counts(ids)
    facts.first_approval = first_approvals(ids)
    facts.material_edits = material_edits_after_approval(ids, before=window.at)
    all_services = set().union(*(t.service_ids for t in targets))
    # Drift only concerns production hosts: what reached them and not their QA/dev counterparts.
    production_services = set().union(*(t.service_ids for t in targets if t.is_production))
    artifacts = {c.artifact for c in facts.changes.values() if c.artifact and c.environment.is_production}
    facts.reached_lower = artifacts_reached_lower(artifacts, production_services, since=window.at - LOWER_ENV_LOOKBACK)
    facts.service_names = service_names(all_services)
    return facts
