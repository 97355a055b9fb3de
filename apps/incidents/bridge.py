"""What the bridge page shows, assembled once per request (or poll) from the suspects report."""

from collections import defaultdict
from dataclasses import dataclass

from apps.changes import state_machine
from apps.changes.choices import ChangeStatus, HostExecutionState
from apps.changes.models import ChangeHost
from apps.incidents import permissions
from apps.incidents.choices import INCIDENT_TRANSITIONS, FindingRole, IncidentStatus
from apps.incidents.models import Backout, Incident, IncidentFinding
from apps.incidents.services import UNDONE_STATES, Progress
from apps.incidents.suspects import Suspect, SuspectReport, condition_display, suspects_for_incident
from apps.incidents.timeline import build_timeline

MATRIX_COLUMNS = 6
MATRIX_ROWS = 60


@dataclass
class MatrixRow:
    hostname: str
    environment: str
    cells: list[tuple[str, str, str] | None]  # per top suspect: (condition, label, colour), None if out of scope


@dataclass
class BackoutView:
    backout: Backout
    progress: Progress


def matrix(report: SuspectReport, columns: list[Suspect]) -> list[MatrixRow]:
    rows = []
    for target in report.targets[:MATRIX_ROWS]:
        cells = []
        for suspect in columns:
            if target.host.pk not in suspect.conditions:
                cells.append(None)
            else:
                condition = suspect.conditions[target.host.pk] or "indirect"
                cells.append((condition, *condition_display(condition)))
        rows.append(MatrixRow(target.host.hostname, target.host.environment.name, cells))
    return rows


def column_summary(suspect: Suspect, report: SuspectReport) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    for target in report.targets:
        if target.host.pk in suspect.conditions:
            counts[suspect.conditions[target.host.pk] or "indirect"] += 1
    return dict(counts)


def backouts(incident: Incident) -> list[BackoutView]:
    """Every backout of the incident with its per-host progress: two queries whatever their number."""
    items = list(Backout.objects.filter(incident=incident).select_related("change").order_by("started_at", "id"))
    rows = ChangeHost.objects.filter(change_id__in=[b.change_id for b in items], state__in=UNDONE_STATES)
    by_change: dict[int, list[tuple[str, str]]] = defaultdict(list)
    for change_id, hostname, state in rows.values_list("change_id", "host__hostname", "state"):
        by_change[change_id].append((hostname, state))
    views = []
    for item in items:
        hosts = sorted(by_change[item.change_id])
        done = sum(1 for _host, state in hosts if state == HostExecutionState.ROLLED_BACK)
        remaining = [host for host, state in hosts if state != HostExecutionState.ROLLED_BACK]
        views.append(BackoutView(item, Progress(rolled_back=done, total=len(hosts), remaining=remaining)))
    return views


def can_start_backout(user, incident: Incident, suspect: Suspect, backed: set[int]) -> bool:
    change = suspect.change
    return (
        incident.status != IncidentStatus.RESOLVED
        and change.pk not in backed
        and state_machine.is_allowed(change.status, ChangeStatus.BACKED_OUT)
        and permissions.can_back_out(user, change)
    )


def findings_context(incident: Incident, user, report: SuspectReport) -> dict:
    """The findings section: what stands, what was withdrawn, and what the user may do (two queries)."""
    rows = list(
        IncidentFinding.objects.filter(incident=incident).select_related("change").order_by("recorded_at", "id")
    )
    standing = [f for f in rows if f.is_standing]
    order: dict[str, int] = {FindingRole.CONFIRMED_CAUSE: 0, FindingRole.FIXED_BY: 1}
    standing.sort(key=lambda f: order.get(f.role, 2))
    return {
        "findings": standing,
        "withdrawn_findings": [f for f in rows if not f.is_standing],
        "finding_roles": FindingRole.choices,
        # Findings come once service is back; an open incident shows why the form is not there yet.
        "may_record_finding": incident.status != IncidentStatus.OPEN and permissions.can_record_finding(user),
        "withdrawable": {f.pk for f in standing if permissions.can_withdraw_finding(user, f)},
        # The picker's suggestions: the listed suspects, then what began after the start (often the fix).
        "finding_options": [s.change for s in report.suspects[:20] + report.after[:10]],
    }


def bridge_context(incident: Incident, user) -> dict:
    report = suspects_for_incident(incident)
    columns = report.top(MATRIX_COLUMNS)
    backout_views = backouts(incident)
    backed = {view.backout.change_id for view in backout_views}
    return {
        "incident": incident,
        "report": report,
        "suspects": report.suspects,
        "after": report.after,
        "matrix_columns": [(suspect, column_summary(suspect, report)) for suspect in columns],
        "matrix_rows": matrix(report, columns),
        "drift": report.drift,
        "timeline": build_timeline(incident, report),
        "backouts": backout_views,
        "backoutable": {
            s.change.pk for s in report.suspects + report.after if can_start_backout(user, incident, s, backed)
        },
        "status_moves": [IncidentStatus(s) for s in INCIDENT_TRANSITIONS.get(incident.status, ())],
        "hostnames": [target.host.hostname for target in report.targets],
        **findings_context(incident, user, report),
    }
