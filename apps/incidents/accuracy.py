"""How well does the bridge rank? Where its suspects list, as it stood at each incident's start, placed the cause.

``ranking_accuracy()`` takes the resolved incidents with a standing confirmed cause (apps.incidents.findings) and,
for each, runs the bridge's own ranking (``suspects_for_incident`` at the incident's start, nothing forked) and
finds the cause in it. The report has the top-1 and top-3 shares and the median rank, each with its counts, and
the per-incident list. The metrics page shows it; tests/incidents/test_ranking_accuracy.py guards the ranking with
it on a synthetic history.

Replaying "as at the start" is an approximation (docs/suspects.md, "How well it ranks"): changes recorded after
the start (``Change.created > started_at``: a change event reported late, an emergency fix) are dropped from the
list, but the facts of the changes that stay are today's (their status and per-host states: a cause backed out
during the incident counts as rolled back, which scores less, so its rank is a pessimistic one).

Rules:
- An incident counts when it is resolved (status resolved) and has a standing confirmed cause; ``since`` and
  ``until`` bound its start (since inclusive, until exclusive).
- ``environment``, ``team`` and ``service`` (an object or its primary key, or several in a list) keep the causes in
  those environments, of those teams, and linked to one of those services (or in an incident that names one);
  ``kind`` (a ChangeKind value or several) keeps the causes of those kinds. An incident with no cause left is not
  counted.
- An incident's rank is its best-ranked cause's (several causes: the bridge found the incident's cause when it
  found one of them). A cause the list does not hold is "not listed" with the reason; it counts against the
  top-1 and top-3 shares but not in the median, which is over the listed ones ("median 2, over 3 of 4").
"""

from dataclasses import dataclass
from datetime import datetime
from statistics import median

from django.db.models import Exists, OuterRef, Prefetch, Q

from apps.changes.models import Change
from apps.incidents.choices import FindingRole, IncidentStatus
from apps.incidents.models import Incident, IncidentFinding
from apps.incidents.suspects import MAX_LISTED, suspects_for_incident

__all__ = ["MAX_INCIDENTS", "AccuracyReport", "CauseRank", "RankedIncident", "Share", "ranking_accuracy"]

# The newest this many incidents are ranked (one ranking each, a fixed number of queries per ranking).
MAX_INCIDENTS = 200
# The bridge lists this many suspects: a cause further down is "not listed", as it was for the people on the call.
LISTED = MAX_LISTED

NOT_LISTED_RECORDED_LATER = "recorded after the incident began"
NOT_LISTED_STARTED_LATER = "began after the incident began"
NOT_LISTED_BEYOND = f"ranked below the first {LISTED}"
NOT_LISTED_OUT_OF_SCOPE = "not among the suspects (not on the affected hosts, their services or environment)"


@dataclass(frozen=True)
class Share:
    """``count`` of ``total``; shown as "3 of 4 (75%)", or "no data" when there is nothing to count."""

    count: int
    total: int

    @property
    def percent(self) -> int | None:
        return round(100 * self.count / self.total) if self.total else None

    @property
    def label(self) -> str:
        if not self.total:
            return "no data"
        return f"{self.count} of {self.total} ({self.percent}%)"


@dataclass(frozen=True)
class CauseRank:
    change: Change
    rank: int | None  # 1-based position in the suspects list; None: not listed
    reason: str = ""  # why not listed ("" when ranked)

    @property
    def label(self) -> str:
        return f"#{self.rank}" if self.rank is not None else f"not listed: {self.reason}"


@dataclass(frozen=True)
class RankedIncident:
    incident: Incident
    causes: tuple[CauseRank, ...]  # best-ranked first
    listed: int  # how many suspects the list held at the start (changes recorded later left out)

    @property
    def best(self) -> CauseRank:
        return self.causes[0]

    @property
    def cause(self) -> Change:
        return self.best.change

    @property
    def rank(self) -> int | None:
        return self.best.rank


@dataclass(frozen=True)
class AccuracyReport:
    incidents: tuple[RankedIncident, ...]  # newest start first
    top1: Share
    top3: Share
    listed: Share  # found at all in the list
    median_rank: float | None  # over the incidents whose cause was listed
    truncated: bool  # more than MAX_INCIDENTS matched: the newest were ranked

    @property
    def total(self) -> int:
        return len(self.incidents)

    @property
    def median_label(self) -> str:
        """'2, over 3 of 4 incidents (1 not listed)' or 'no data'."""
        if self.median_rank is None:
            return "no data" if not self.total else f"none listed (0 of {self.total})"
        value = f"{self.median_rank:g}"
        missing = self.total - self.listed.count
        tail = f" ({missing} not listed)" if missing else ""
        return f"{value}, over {self.listed.count} of {self.total} incident{'s' if self.total != 1 else ''}{tail}"


def _ids(value) -> frozenset | None:
    """None or an empty collection: no filter; one object, key or value; or several of them."""
    if value is None:
        return None
    if isinstance(value, str | int) or hasattr(value, "pk"):
        value = [value]
    found = frozenset(getattr(item, "pk", item) for item in value)
    return found or None


def _matches(finding: IncidentFinding, incident: Incident, *, environments, teams, services, kinds) -> bool:
    change = finding.change
    if environments is not None and change.environment_id not in environments:
        return False
    if teams is not None and change.team_id not in teams:
        return False
    if kinds is not None and change.kind not in kinds:
        return False
    if services is not None:
        linked = {service.pk for service in change.services.all()} | {s.pk for s in incident.services.all()}
        if not linked & services:
            return False
    return True


def _rank_causes(incident: Incident, causes: list[Change]) -> RankedIncident:
    start = incident.started_at
    # Room for the changes dropped below: the list is cut to LISTED after they are left out.
    report = suspects_for_incident(incident, now=start, limit=2 * LISTED)
    # The ranking does not load Change.created (candidates.UNUSED_FIELDS): one query for the listed ones.
    recorded = dict(Change.objects.filter(pk__in=[s.change.pk for s in report.suspects]).values_list("pk", "created"))
    visible = [suspect.change for suspect in report.suspects if recorded[suspect.change.pk] <= start][:LISTED]
    position = {change.pk: index for index, change in enumerate(visible, start=1)}
    loaded = {suspect.change.pk for suspect in report.suspects}
    ranked = []
    for change in causes:
        if change.pk in position:
            ranked.append(CauseRank(change, position[change.pk]))
        elif change.created > start:
            ranked.append(CauseRank(change, None, NOT_LISTED_RECORDED_LATER))
        elif change.eff_start > start:
            ranked.append(CauseRank(change, None, NOT_LISTED_STARTED_LATER))
        elif change.pk in loaded or report.total_suspects > len(report.suspects):
            ranked.append(CauseRank(change, None, NOT_LISTED_BEYOND))
        else:
            ranked.append(CauseRank(change, None, NOT_LISTED_OUT_OF_SCOPE))
    ranked.sort(key=lambda cause: (cause.rank is None, cause.rank or 0, cause.change.pk))
    return RankedIncident(incident=incident, causes=tuple(ranked), listed=len(visible))


def ranking_accuracy(
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    environment=None,
    team=None,
    service=None,
    kind=None,
) -> AccuracyReport:
    """Where the bridge's ranking placed the confirmed cause of each resolved incident (see the module docstring).

    ``environment``, ``team``, ``service``: an Environment, Team or Service, or its primary key, or a list of them;
    ``kind``: a ChangeKind value or a list of them. None or an empty list: not filtered.
    """
    filters = {
        "environments": _ids(environment),
        "teams": _ids(team),
        "services": _ids(service),
        "kinds": _ids(kind),
    }
    standing_causes = IncidentFinding.objects.filter(role=FindingRole.CONFIRMED_CAUSE, withdrawn_at__isnull=True)
    # The filters in SQL too, so the MAX_INCIDENTS newest are the newest that match; _matches keeps the causes.
    matching = standing_causes
    if filters["environments"] is not None:
        matching = matching.filter(change__environment_id__in=filters["environments"])
    if filters["teams"] is not None:
        matching = matching.filter(change__team_id__in=filters["teams"])
    if filters["kinds"] is not None:
        matching = matching.filter(change__kind__in=filters["kinds"])
    if filters["services"] is not None:
        matching = matching.filter(
            Q(change__services__in=filters["services"]) | Q(incident__services__in=filters["services"])
        )
    incidents = Incident.objects.filter(status=IncidentStatus.RESOLVED).filter(
        Exists(matching.filter(incident=OuterRef("pk")))
    )
    if since is not None:
        incidents = incidents.filter(started_at__gte=since)
    if until is not None:
        incidents = incidents.filter(started_at__lt=until)
    causes = standing_causes.select_related("change", "change__environment").order_by("change_id")
    if filters["services"] is not None:
        causes = causes.prefetch_related("change__services")
    prefetch: list[str | Prefetch] = [Prefetch("findings", queryset=causes, to_attr="standing_causes")]
    if filters["services"] is not None:
        prefetch.append("services")
    rows = list(incidents.order_by("-started_at", "-id").prefetch_related(*prefetch)[: MAX_INCIDENTS + 1])
    truncated = len(rows) > MAX_INCIDENTS
    ranked = []
    for incident in rows[:MAX_INCIDENTS]:
        kept = [
            finding.change
            for finding in incident.standing_causes  # type: ignore[attr-defined]
            if _matches(finding, incident, **filters)
        ]
        if kept:
            ranked.append(_rank_causes(incident, kept))
    ranks = [item.rank for item in ranked if item.rank is not None]
    total = len(ranked)
    return AccuracyReport(
        incidents=tuple(ranked),
        top1=Share(sum(1 for rank in ranks if rank == 1), total),
        top3=Share(sum(1 for rank in ranks if rank <= 3), total),
        listed=Share(len(ranks), total),
        median_rank=float(median(ranks)) if ranks else None,
        truncated=truncated,
    )
