"""The suspicion factors: small pure functions, each worth some points and explained in a few words.

A suspect's score is the sum of its factors' points (docs/suspects.md has the table and a worked example).
Nothing here touches the database; apps.incidents.suspects gathers the facts and calls these.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from apps.changes import state_machine
from apps.changes.choices import ChangeKind, ChangeRisk, ChangeStatus, ChangeType, HostExecutionState
from apps.incidents.choices import SuspectScope

# Ran while still a draft or awaiting its decision.
NOT_APPROVED_YET = frozenset({ChangeStatus.DRAFT}) | state_machine.AWAITING_DECISION

FACTOR_LABELS = {
    "state": "On this host",
    "timing": "Timing",
    "scope": "Scope",
    "drift": "Drift",
    "edited_after_approval": "Edited after approval",
    "unapproved": "Approval",
    "unplanned": "Unplanned",
    "emergency": "Emergency",
    "risk": "Risk",
    "kind": "Kind",
    "not_started": "Not started",
}


@dataclass(frozen=True)
class Factor:
    name: str
    points: int
    text: str

    @property
    def label(self) -> str:
        return FACTOR_LABELS.get(self.name, self.name)


SCOPE_POINTS = {SuspectScope.DIRECT: 30, SuspectScope.SERVICE: 15, SuspectScope.ENVIRONMENT: 8}

# (at most this long before the incident, points). A change still running when it began gets RUNNING_POINTS.
RUNNING_POINTS = 35
TIMING_TIERS: tuple[tuple[timedelta, int], ...] = (
    (timedelta(hours=6), 30),
    (timedelta(hours=24), 20),
    (timedelta(hours=72), 10),
    (timedelta(days=7), 5),
)

STATE_POINTS = {
    HostExecutionState.FAILED: 25,
    HostExecutionState.APPLIED: 18,
    "missing": 15,  # pending here while other hosts of the same change have it applied
    HostExecutionState.PENDING: 4,
    HostExecutionState.ROLLED_BACK: 2,
    HostExecutionState.SKIPPED: 0,
}

RISK_POINTS = {ChangeRisk.LOW: 0, ChangeRisk.MEDIUM: 4, ChangeRisk.HIGH: 8, ChangeRisk.CRITICAL: 12}
UNPLANNED_POINTS = 10
EMERGENCY_POINTS = 6
UNAPPROVED_POINTS = 10
EDITED_AFTER_APPROVAL_POINTS = 12
NOT_STARTED_POINTS = -15
KIND_POINTS = {
    ChangeKind.RELEASE: 8,
    ChangeKind.MANUAL: 8,
    ChangeKind.CONFIG: 6,
    ChangeKind.PATCH: 6,
    ChangeKind.OS_UPDATE: 5,
    ChangeKind.DATABASE: 5,
    ChangeKind.FIREWALL: 5,
    ChangeKind.INFRASTRUCTURE: 4,
    ChangeKind.OTHER: 2,
}
DRIFT_POINTS = 20
UNTESTED_COMBINATION_POINTS = 10

# The order factors are listed in when their points tie (and in the API's reasons list).
FACTOR_ORDER = (
    "state",
    "timing",
    "scope",
    "drift",
    "edited_after_approval",
    "unapproved",
    "unplanned",
    "emergency",
    "risk",
    "kind",
    "not_started",
)
# Shown as badges next to the title, so left out of the one-line summary.
NOT_IN_SUMMARY = {"kind"}


def human_duration(delta: timedelta) -> str:
    """'45 min', '5 h 40 min', '23 h', '1 day', '4 days 8 h'."""
    minutes = max(0, int(delta.total_seconds() // 60))
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    if days:
        text = f"{days} day{'s' if days != 1 else ''}"
        return f"{text} {hours} h" if hours else text
    if hours:
        return f"{hours} h {minutes} min" if minutes and hours < 10 else f"{hours} h"
    return f"{minutes} min"


def _label(choices, value: str) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return value


def scope_factor(scope: str, *, services: Sequence[str] = (), environment: str = "") -> Factor:
    """Direct links weigh most: the change was recorded against this very host."""
    points = SCOPE_POINTS[scope]
    if scope == SuspectScope.DIRECT:
        return Factor("scope", points, "linked to this host")
    if scope == SuspectScope.SERVICE:
        names = ", ".join(sorted(services)) or "its service"
        return Factor("scope", points, f"via its service {names}")
    return Factor("scope", points, f"{environment or 'environment'}-wide (no hosts or services listed)")


def timing_factor(
    *,
    at: datetime,
    start: datetime,
    end: datetime,
    in_progress: bool,
    window_start: datetime,
    host_state: str | None = None,
    host_state_at: datetime | None = None,
) -> Factor:
    """How close the change came to the incident start: running at that moment scores most.

    The reference time is when it was applied (or failed) on this host if known, else the change's end.
    """
    if start > at:
        return Factor("timing", 0, f"started {human_duration(start - at)} after the incident began")
    if in_progress or end >= at:
        return Factor("timing", RUNNING_POINTS, "still running when the incident began")
    on_host = host_state in (HostExecutionState.APPLIED, HostExecutionState.FAILED) and (
        host_state_at is not None and host_state_at <= at
    )
    reference = host_state_at if on_host else end
    gap = at - reference
    points = next((tier_points for limit, tier_points in TIMING_TIERS if gap <= limit), 0)
    if on_host:
        text = (
            f"{_label(HostExecutionState, host_state).lower()} on this host {human_duration(gap)} before the incident"
        )
    else:
        text = f"ended {human_duration(gap)} before the incident"
    if end < window_start:
        hours = round((at - window_start).total_seconds() / 3600)
        text += f" (before the {hours} h window)"
    return Factor("timing", points, text)


def host_condition(state: str | None, *, peers_applied: int) -> str | None:
    """The state shown for this host: 'missing' is pending here while other hosts have it applied."""
    if state == HostExecutionState.PENDING and peers_applied:
        return "missing"
    return state


def host_state_factor(state: str | None, *, peers_applied: int, peers_total: int) -> Factor | None:
    """failed > applied > missing while peers applied > pending everywhere > rolled back > skipped."""
    if state is None:
        return None
    condition = host_condition(state, peers_applied=peers_applied)
    points = STATE_POINTS.get(condition, 0)
    if condition == "missing":
        plural = "host has" if peers_applied == 1 else "hosts have"
        text = f"missing on this host while {peers_applied} of {peers_total} other {plural} it applied"
    elif condition == HostExecutionState.PENDING:
        text = "pending on this host and not recorded as applied anywhere"
    else:
        text = f"{_label(HostExecutionState, condition).lower()} on this host"
    return Factor("state", points, text)


def risk_factor(risk: str) -> Factor | None:
    points = RISK_POINTS.get(risk, 0)
    return Factor("risk", points, f"{_label(ChangeRisk, risk).lower()} risk") if points else None


def unplanned_factor(is_unplanned: bool) -> Factor | None:
    if not is_unplanned:
        return None
    return Factor("unplanned", UNPLANNED_POINTS, "unplanned: recorded after the fact from a change event")


def emergency_factor(change_type: str) -> Factor | None:
    if change_type != ChangeType.EMERGENCY:
        return None
    return Factor("emergency", EMERGENCY_POINTS, "emergency change")


def unapproved_factor(*, change_type: str, ever_approved: bool, status: str, ran: bool) -> Factor | None:
    """Never approved (standard changes are pre-approved), or it ran while still a draft or submitted."""
    if ran and status in NOT_APPROVED_YET:
        return Factor("unapproved", UNAPPROVED_POINTS, f"ran while still {_label(ChangeStatus, status).lower()}")
    if not ever_approved and change_type != ChangeType.STANDARD:
        return Factor("unapproved", UNAPPROVED_POINTS, "never approved")
    return None


def edited_after_approval_factor(fields: Iterable[str]) -> Factor | None:
    """Material fields edited after the first approval: what ran is not what the leads looked at."""
    names = sorted(set(fields))
    if not names:
        return None
    pretty = ", ".join(name.replace("_", " ") for name in names)
    return Factor("edited_after_approval", EDITED_AFTER_APPROVAL_POINTS, f"edited after approval ({pretty})")


def kind_factor(kind: str) -> Factor:
    return Factor("kind", KIND_POINTS.get(kind, 0), _label(ChangeKind, kind).lower())


def drift_factor(
    *, artifact: str, services: Sequence[str], reached_lower: bool, later_release: str = ""
) -> Factor | None:
    """Production only: the artifact never reached a QA/dev host of the same service.

    Worth more when a release ran here after it: that release was tested in QA without this artifact.
    """
    if not artifact or not services or reached_lower:
        return None
    text = f"production only: {artifact} never applied in QA or dev ({', '.join(sorted(services))})"
    if later_release:
        return Factor(
            "drift",
            DRIFT_POINTS + UNTESTED_COMBINATION_POINTS,
            f"{text}; {later_release} ran here after it but was tested without it",
        )
    return Factor("drift", DRIFT_POINTS, text)


def not_started_factor(*, status: str, started: bool, start: datetime, at: datetime) -> Factor | None:
    """Planned in the window but with no sign it ran: less likely, still listed."""
    if started or start > at or status not in state_machine.PLANNED:
        return None
    return Factor("not_started", NOT_STARTED_POINTS, "planned in the window but never recorded as started")


def total(factors: Iterable[Factor]) -> int:
    return sum(factor.points for factor in factors)


def ordered(factors: Iterable[Factor]) -> list[Factor]:
    """Biggest contribution first; ties in FACTOR_ORDER."""
    return sorted(factors, key=lambda f: (-abs(f.points), FACTOR_ORDER.index(f.name)))


def summary(factors: Sequence[Factor]) -> str:
    """One human line: where and when first, then the flags, biggest first."""
    by_name = {factor.name: factor for factor in factors}
    timing, state, scope = by_name.get("timing"), by_name.get("state"), by_name.get("scope")
    parts = []
    if state is not None and timing is not None and timing.text.startswith(state.text):
        parts.append(timing.text)
    elif state is not None:
        parts.append(f"{state.text}, {timing.text}" if timing else state.text)
    elif scope is not None:
        parts.append(f"{scope.text}, {timing.text}" if timing else scope.text)
    skip = {"timing", "state", "scope", *NOT_IN_SUMMARY}
    parts.extend(factor.text for factor in ordered(factors) if factor.name not in skip and factor.points)
    return "; ".join(parts)
