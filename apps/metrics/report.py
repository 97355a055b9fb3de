"""Every metric of one MetricsQuery, per week and over the period, in a fixed number of queries.

One GROUP BY week counts the deployments and every flag (apps.metrics.sets); three duration spreads (lead time,
approval to start, recovery) take two queries each on PostgreSQL (apps.metrics.durations); one GROUP BY team gives
the per-team success. The definitions are in docs/metrics.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from django.db.models import Count, F, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce, Trunc

from apps.approvals.choices import Decision
from apps.approvals.models import Approval
from apps.changes.choices import ActivityAction, ChangeStatus
from apps.changes.models import ChangeActivity
from apps.incidents.models import Backout
from apps.metrics import sets
from apps.metrics.durations import Spread, spreads
from apps.metrics.period import MetricsQuery

# Counts field → the flag it counts (apps.metrics.sets.flags).
COUNTED = {
    "releases": "is_release",
    "failing": "is_failing",
    "emergency": "is_emergency",
    "backed_out": "is_backed_out",
    "rework": "is_rework",
    "unplanned": "was_unplanned",
    "unapproved": "is_unapproved",
    "outside_window": "is_outside_window",
    "extra_hosts": "is_extra_hosts",
    "hosts_missing": "is_hosts_missing",
}


@dataclass(frozen=True)
class Ratio:
    """``part`` of ``whole``: always both counts; no percentage when there is nothing to divide by."""

    part: int
    whole: int

    @property
    def percent(self) -> float | None:
        return None if not self.whole else round(100 * self.part / self.whole, 1)

    def __str__(self) -> str:
        if not self.whole:
            return "no data"
        return f"{self.part} of {self.whole}, {round(100 * self.part / self.whole)}%"


@dataclass
class Counts:
    deployments: int = 0
    releases: int = 0
    failing: int = 0
    emergency: int = 0
    backed_out: int = 0
    rework: int = 0
    unplanned: int = 0
    unapproved: int = 0
    outside_window: int = 0
    extra_hosts: int = 0
    hosts_missing: int = 0

    def add(self, other: Counts) -> None:
        for name in vars(self):
            setattr(self, name, getattr(self, name) + getattr(other, name))

    @property
    def fail_rate(self) -> Ratio:
        return Ratio(self.failing, self.deployments)

    @property
    def rework_rate(self) -> Ratio:
        return Ratio(self.rework, self.deployments)

    @property
    def success(self) -> Ratio:
        return Ratio(self.deployments - self.failing, self.deployments)


@dataclass
class Week:
    start: date
    partial: bool
    counts: Counts = field(default_factory=Counts)
    lead: Spread = field(default_factory=Spread.empty)
    approval_to_start: Spread = field(default_factory=Spread.empty)
    recovery: Spread = field(default_factory=Spread.empty)


@dataclass(frozen=True)
class TeamRow:
    slug: str
    name: str
    deployments: int
    failing: int

    @property
    def success(self) -> Ratio:
        return Ratio(self.deployments - self.failing, self.deployments)


@dataclass
class Report:
    query: MetricsQuery
    weeks: list[Week]
    totals: Counts
    lead: Spread
    approval_to_start: Spread
    recovery: Spread
    teams: list[TeamRow]

    @property
    def is_empty(self) -> bool:
        return not self.totals.deployments

    @property
    def frequency_per_week(self) -> float | None:
        """Deployments counted per week of the period (partial weeks weigh their days)."""
        days = (self.query.last - self.query.first).days + 1
        counted = self.totals.releases if self.query.frequency == "release" else self.totals.deployments
        return round(counted * 7 / days, 1) if counted else None

    def counted(self, counts: Counts) -> int:
        return counts.releases if self.query.frequency == "release" else counts.deployments

    @property
    def unrecovered(self) -> int:
        return self.totals.failing - self.recovery.count


def _weekly_counts(query: MetricsQuery) -> dict[date, Counts]:
    flags = sets.flags()
    rows = sets.deployments(query).alias(**{flag: flags[flag] for flag in COUNTED.values()})
    aggregates = {name: Count("pk", filter=Q(**{flag: True})) for name, flag in COUNTED.items()}
    weekly = (
        rows.annotate(_week=Trunc("actual_end", "week", tzinfo=query.zone))
        .values("_week")
        .annotate(deployments=Count("pk"), **aggregates)
        .order_by("_week")
    )
    found = {}
    for row in weekly:
        week = row.pop("_week").astimezone(query.zone).date()
        found[week] = Counts(**row)
    return found


def _first_submitted():
    """When the change was first submitted for approval, from its activity log (none for recorded changes)."""
    entries = ChangeActivity.objects.filter(
        change_id=OuterRef("pk"), action=ActivityAction.TRANSITION, to_status=ChangeStatus.SUBMITTED
    )
    return Subquery(entries.order_by("created").values("created")[:1])


def _first_approval():
    decisions = Approval.objects.filter(change_id=OuterRef("pk"), decision=Decision.APPROVED)
    return Subquery(decisions.order_by("decided_at").values("decided_at")[:1])


def _failure_start():
    """The earliest start of an incident the change is the standing confirmed cause of, else its end."""
    incident_start = sets.standing_causes().order_by("incident__started_at").values("incident__started_at")[:1]
    return Coalesce(Subquery(incident_start), F("actual_end"))


def _recovered_at():
    """The backout's completion, else the earliest resolution of an incident the change is the cause of."""
    backout = Backout.objects.filter(change_id=OuterRef("pk"), completed_at__isnull=False).values("completed_at")[:1]
    resolved = (
        sets.standing_causes()
        .filter(incident__resolved_at__isnull=False)
        .order_by("incident__resolved_at")
        .values("incident__resolved_at")[:1]
    )
    return Coalesce(Subquery(backout), Subquery(resolved))


def _teams(query: MetricsQuery) -> list[TeamRow]:
    rows = (
        sets.deployments(query)
        .alias(is_failing=sets.flags()["is_failing"])
        .values("team__slug", "team__name")
        .annotate(deployments=Count("pk"), failing=Count("pk", filter=Q(is_failing=True)))
        .order_by(F("team__name").asc(nulls_last=True))
    )
    return [
        TeamRow(row["team__slug"] or "", row["team__name"] or "No team", row["deployments"], row["failing"])
        for row in rows
    ]


def build_report(query: MetricsQuery) -> Report:
    counts = _weekly_counts(query)
    base = sets.deployments(query)
    zone = query.zone
    lead_weeks, lead = spreads(
        base, start=Coalesce(_first_submitted(), F("created")), end=F("actual_end"), week_of="actual_end", zone=zone
    )
    # Only changes approved before they started: an emergency change's approval afterwards has no "to start".
    approved = base.alias(_approved=_first_approval()).filter(_approved__lte=F("actual_start"))
    approval_weeks, approval = spreads(
        approved, start=_first_approval(), end=F("actual_start"), week_of="actual_end", zone=zone
    )
    failing = base.alias(is_failing=sets.flags()["is_failing"]).filter(is_failing=True)
    recovery_weeks, recovery = spreads(
        failing, start=_failure_start(), end=_recovered_at(), week_of="actual_end", zone=zone
    )
    weeks = []
    totals = Counts()
    for start in query.weeks:
        week = Week(start=start, partial=query.is_partial(start), counts=counts.get(start, Counts()))
        week.lead = lead_weeks.get(start, Spread.empty())
        week.approval_to_start = approval_weeks.get(start, Spread.empty())
        week.recovery = recovery_weeks.get(start, Spread.empty())
        totals.add(week.counts)
        weeks.append(week)
    return Report(
        query=query,
        weeks=weeks,
        totals=totals,
        lead=lead,
        approval_to_start=approval,
        recovery=recovery,
        teams=_teams(query),
    )
