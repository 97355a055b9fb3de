"""Ranked suspect changes for a machine (or an incident's machines) at a moment, each with its reasons.

``suspects_for_host`` answers the 07:30 question "what changed on web07?"; ``suspects_for_incident`` merges
the answer across an incident's affected hosts. Facts come from apps.incidents.candidates in a fixed number
of queries; the points come from the pure functions of apps.incidents.ranking (see docs/suspects.md).
"""

from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property

from django.utils import timezone

from apps.changes.choices import ChangeKind, ChangeStatus, HostExecutionState
from apps.changes.models import Change
from apps.incidents import ranking
from apps.incidents.candidates import Facts, LinkRow, Target, Window, gather, targets_for
from apps.incidents.choices import IncidentStatus, SuspectScope
from apps.incidents.models import DEFAULT_WINDOW_HOURS, MAX_WINDOW_HOURS, Incident, SuspectMark
from apps.inventory.models import Host

__all__ = [
    "DEFAULT_WINDOW_HOURS",
    "MAX_WINDOW_HOURS",
    "Suspect",
    "SuspectReport",
    "incident_hosts",
    "suspects_for_host",
    "suspects_for_hosts",
    "suspects_for_incident",
]

MAX_LISTED = 100  # per list by default (the bridge pages); the total is reported
MAX_INCIDENT_HOSTS = 200
RAN_STATES = (HostExecutionState.APPLIED, HostExecutionState.FAILED, HostExecutionState.ROLLED_BACK)
# How a change stands on a host, as a badge: (label, colour).
CONDITIONS = {
    HostExecutionState.APPLIED: ("applied", "green"),
    HostExecutionState.FAILED: ("failed", "red"),
    "missing": ("missing", "red"),
    HostExecutionState.PENDING: ("pending", "gray"),
    HostExecutionState.SKIPPED: ("skipped", "yellow"),
    HostExecutionState.ROLLED_BACK: ("rolled back", "orange"),
    "indirect": ("via service", "outline"),
}


def condition_display(condition: str | None) -> tuple[str, str]:
    return CONDITIONS.get(condition or "indirect", (condition or "", "gray"))


@dataclass
class Suspect:
    change: Change
    scope: str
    host: Host  # the (affected) host where it scored highest
    host_state: str | None  # raw ChangeHost.state there; None when not linked to it
    condition: str | None  # what to show: the state, or "missing" (pending while peers have it applied)
    host_state_at: datetime | None
    factors: list[ranking.Factor]
    score: int
    after: bool
    in_window: bool
    drift: bool
    via_services: list[str] = field(default_factory=list)
    state_counts: dict[str, int] = field(default_factory=dict)  # every host of the change, by state
    conditions: dict[int, str | None] = field(default_factory=dict)  # affected host id -> condition
    hosts_in_scope: int = 1
    mark: SuspectMark | None = None

    @cached_property
    def summary(self) -> str:
        # Only the listed suspects are ever shown: no need to phrase the rest.
        return ranking.summary(self.factors)

    @property
    def reasons(self) -> list[ranking.Factor]:
        return ranking.ordered(self.factors)

    @property
    def condition_label(self) -> str:
        return condition_display(self.condition)[0] if self.condition else ""

    @property
    def condition_color(self) -> str:
        return condition_display(self.condition)[1]

    @property
    def host_total(self) -> int:
        return sum(self.state_counts.values())

    @property
    def sort_key(self):
        return (-self.score, -self.change.eff_end.timestamp(), -self.change.pk)


@dataclass
class SuspectReport:
    targets: list[Target]
    window: Window
    suspects: list[Suspect]
    after: list[Suspect]
    total_suspects: int
    total_after: int
    facts: Facts

    @property
    def hosts(self) -> list[Host]:
        return [target.host for target in self.targets]

    @property
    def host(self) -> Host | None:
        return self.targets[0].host if self.targets else None

    @property
    def at(self) -> datetime:
        return self.window.at

    @property
    def hours(self) -> int:
        return self.window.hours

    @property
    def drift(self) -> list[Suspect]:
        """Production-only artifacts on the hosts themselves, most suspicious first."""
        return [s for s in self.suspects if s.drift and s.scope == SuspectScope.DIRECT]

    @property
    def empty_message(self) -> str:
        """'No change touched web07 in the 72 hours before 07:00.' (in the user's zone)."""
        at = timezone.localtime(self.at)
        day = "" if at.date() == timezone.localdate() else f"{at:%a %d %b} "
        names = self.hosts[0].hostname if len(self.hosts) == 1 else f"these {len(self.hosts)} hosts"
        return f"No change touched {names} in the {self.hours} hours before {day}{at:%H:%M}."

    def service_names(self, target: Target) -> list[str]:
        """The names of the services a target was looked up through, sorted."""
        return sorted(self.facts.service_names.get(sid, str(sid)) for sid in target.service_ids)

    def top(self, count: int = 6) -> list[Suspect]:
        return self.suspects[:count]


def _scope_for(change_id: int, target: Target, facts: Facts) -> tuple[str | None, list[str]]:
    if change_id in facts.direct.get(target.host.pk, {}):
        return SuspectScope.DIRECT, []
    via = sorted(
        facts.service_names.get(sid, str(sid))
        for sid in target.service_ids
        if change_id in facts.service.get((target.environment_id, sid), ())
    )
    if via:
        return SuspectScope.SERVICE, via
    if change_id in facts.environment.get(target.environment_id, ()):
        return SuspectScope.ENVIRONMENT, []
    return None, []


def _reached_lower(artifact: str, target: Target, facts: Facts) -> bool:
    return any((artifact, sid) in facts.reached_lower for sid in target.service_ids)


def _later_release(change: Change, target: Target, facts: Facts, at: datetime) -> str:
    """A release applied on this host after ``change`` ended and that QA/dev did get: tested without ``change``."""
    for link in sorted(facts.direct.get(target.host.pk, {}).values(), key=lambda row: row.change_id):
        other = facts.changes.get(link.change_id)
        if (
            other is not None
            and other.pk != change.pk
            and other.kind == ChangeKind.RELEASE
            and link.state == HostExecutionState.APPLIED
            and link.state_changed_at is not None
            and change.eff_end <= link.state_changed_at <= at
            and other.artifact
            and _reached_lower(other.artifact, target, facts)
        ):
            return f"{other.reference} ({other.artifact})"
    return ""


def _factors(
    change: Change, target: Target, scope: str, via: list[str], link: LinkRow | None, facts: Facts, window: Window
) -> list[ranking.Factor]:
    counts = facts.state_counts.get(change.pk, {})
    state = link.state if link else None
    peers_applied = counts.get(HostExecutionState.APPLIED, 0) - (1 if state == HostExecutionState.APPLIED else 0)
    peers_total = sum(counts.values()) - (1 if link else 0)
    ran = change.actual_start is not None or any(counts.get(s, 0) for s in RAN_STATES) or change.is_unplanned
    drift = None
    started_before = change.eff_start <= window.at  # what began after the incident is listed, not suspected
    if started_before and change.environment.is_production and target.is_production and change.artifact:
        drift = ranking.drift_factor(
            artifact=change.artifact,
            services=[facts.service_names.get(sid, str(sid)) for sid in target.service_ids],
            reached_lower=_reached_lower(change.artifact, target, facts),
            later_release=_later_release(change, target, facts, window.at),
        )
    candidates = [
        ranking.scope_factor(scope, services=via, environment=change.environment.name),
        ranking.timing_factor(
            at=window.at,
            start=change.eff_start,
            end=change.eff_end,
            in_progress=change.status == ChangeStatus.IN_PROGRESS,
            window_start=window.start,
            host_state=state,
            host_state_at=link.state_changed_at if link else None,
        ),
        ranking.host_state_factor(state, peers_applied=peers_applied, peers_total=peers_total),
        ranking.risk_factor(change.risk),
        ranking.unplanned_factor(change.is_unplanned),
        ranking.emergency_factor(change.change_type),
        ranking.unapproved_factor(
            change_type=change.change_type,
            ever_approved=change.pk in facts.first_approval,
            status=change.status,
            ran=ran,
        ),
        ranking.edited_after_approval_factor(facts.material_edits.get(change.pk, ())),
        ranking.kind_factor(change.kind),
        drift,
        ranking.not_started_factor(status=change.status, started=ran, start=change.eff_start, at=window.at),
    ]
    return [factor for factor in candidates if factor is not None]


def _evaluate(change: Change, target: Target, facts: Facts, window: Window) -> Suspect | None:
    scope, via = _scope_for(change.pk, target, facts)
    if scope is None:
        return None
    link = facts.direct.get(target.host.pk, {}).get(change.pk) if scope == SuspectScope.DIRECT else None
    after = change.eff_start > window.at
    in_window = after or change.eff_end >= window.start or change.status == ChangeStatus.IN_PROGRESS
    factors = _factors(change, target, scope, via, link, facts, window)
    drift = any(f.name == "drift" for f in factors)
    if not in_window and not drift:
        return None  # looked up further back only for its production-only artifact, and it has none
    counts = facts.state_counts.get(change.pk, {})
    peers_applied = counts.get(HostExecutionState.APPLIED, 0) - (
        1 if link and link.state == HostExecutionState.APPLIED else 0
    )
    return Suspect(
        change=change,
        scope=scope,
        host=target.host,
        host_state=link.state if link else None,
        condition=ranking.host_condition(link.state, peers_applied=peers_applied) if link else None,
        host_state_at=link.state_changed_at if link else None,
        factors=factors,
        score=ranking.total(factors),
        after=after,
        in_window=in_window,
        drift=drift,
        via_services=via,
        state_counts=dict(counts),
    )


def _merge(targets: list[Target], facts: Facts, window: Window) -> list[Suspect]:
    """The best evaluation of each change over the targets, with its condition on every target."""
    best: dict[int, Suspect] = {}
    conditions: dict[int, dict[int, str | None]] = {}
    in_scope: dict[int, int] = {}
    for change_id in sorted(facts.changes):
        change = facts.changes[change_id]
        for target in targets:
            suspect = _evaluate(change, target, facts, window)
            if suspect is None:
                continue
            conditions.setdefault(change_id, {})[target.host.pk] = suspect.condition
            in_scope[change_id] = in_scope.get(change_id, 0) + 1
            current = best.get(change_id)
            if current is None or suspect.score > current.score:
                best[change_id] = suspect
    for change_id, suspect in best.items():
        suspect.conditions = conditions[change_id]
        suspect.hosts_in_scope = in_scope[change_id]
    return list(best.values())


def suspects_for_hosts(
    hosts,
    *,
    at: datetime,
    hours: int = DEFAULT_WINDOW_HOURS,
    now: datetime | None = None,
    extra_service_ids=(),
    limit: int = MAX_LISTED,
    resolved_at: datetime | None = None,
) -> SuspectReport:
    """Suspects for ``hosts`` (environment loaded) at ``at``, looking back ``hours``; merged across hosts.

    Every candidate is ranked (the totals count them all); ``suspects`` and ``after`` keep the first ``limit``.
    With ``resolved_at`` (a resolved incident), ``after`` holds only the changes that began before it.
    """
    if not 1 <= hours <= MAX_WINDOW_HOURS:
        raise ValueError(f"hours must be between 1 and {MAX_WINDOW_HOURS}.")
    if limit < 1:
        raise ValueError("limit must be at least 1.")
    window = Window(at=at, hours=hours, now=now or timezone.now(), resolved_at=resolved_at)
    targets = targets_for(hosts, extra_service_ids)
    facts = gather(targets, window, after_limit=limit)
    merged = _merge(targets, facts, window)
    suspects = sorted((s for s in merged if not s.after), key=lambda s: s.sort_key)
    after = sorted((s for s in merged if s.after), key=lambda s: (s.change.eff_start, s.change.pk))
    return SuspectReport(
        targets=targets,
        window=window,
        suspects=suspects[:limit],
        after=after[:limit],
        total_suspects=len(suspects),
        total_after=len(after) + facts.unlisted_after,
        facts=facts,
    )


def suspects_for_host(
    host: Host,
    *,
    at: datetime | None = None,
    hours: int = DEFAULT_WINDOW_HOURS,
    now: datetime | None = None,
    limit: int = MAX_LISTED,
) -> SuspectReport:
    now = now or timezone.now()
    return suspects_for_hosts([host], at=at or now, hours=hours, now=now, limit=limit)


def incident_hosts(incident: Incident) -> tuple[list[Host], list[int]]:
    """The incident's hosts, or, when it names only services, those services' production hosts."""
    service_ids = list(incident.services.values_list("pk", flat=True))
    hosts = list(incident.hosts.select_related("environment").order_by("hostname")[:MAX_INCIDENT_HOSTS])
    if not hosts and service_ids:
        hosts = list(
            Host.objects.active()
            .filter(services__in=service_ids, environment__is_production=True)
            .select_related("environment")
            .distinct()
            .order_by("hostname")[:MAX_INCIDENT_HOSTS]
        )
    return hosts, service_ids


def latest_marks(incident: Incident) -> dict[int, SuspectMark]:
    marks: dict[int, SuspectMark] = {}
    for mark in SuspectMark.objects.filter(incident=incident).order_by("created", "id"):
        marks[mark.change_id] = mark
    return marks


def suspects_for_incident(incident: Incident, *, now: datetime | None = None, limit: int = MAX_LISTED) -> SuspectReport:
    hosts, service_ids = incident_hosts(incident)
    report = suspects_for_hosts(
        hosts,
        at=incident.started_at,
        hours=incident.window_hours,
        now=now,
        extra_service_ids=service_ids,
        limit=limit,
        resolved_at=incident.resolved_at if incident.status == IncidentStatus.RESOLVED else None,
    )
    marks = latest_marks(incident)
    for suspect in report.suspects + report.after:
        suspect.mark = marks.get(suspect.change.pk)
    return report
