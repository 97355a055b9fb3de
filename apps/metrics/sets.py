"""The sets of changes every metric counts, as querysets and boolean SQL expressions (docs/metrics.md says each rule).

A *deployment* is a change that ran to an end: completed, failed or backed out, with an actual end recorded; it
belongs to the week (and the period) of its actual end. Every flag below is an expression evaluated in the database
on those rows, so a metric is one GROUP BY, never a loop over changes in Python.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db.models import BooleanField, Exists, ExpressionWrapper, F, OuterRef, Q, QuerySet

from apps.changes.choices import ActivityAction, ChangeKind, ChangeStatus, ChangeType, HostExecutionState
from apps.changes.models import Change, ChangeActivity, ChangeHost, ChangeService
from apps.changes.services.ingest import UNPLANNED_HOSTS_NOTE
from apps.incidents.choices import FindingRole
from apps.incidents.models import Backout, IncidentFinding
from apps.metrics.period import MetricsQuery

# The statuses of a change that ran to an end (in_progress → backed_out without an end is not a deployment).
DEPLOYED = (ChangeStatus.COMPLETED, ChangeStatus.FAILED, ChangeStatus.BACKED_OUT)
# A host of a change marked completed that never got it.
MISSING_STATES = (HostExecutionState.PENDING, HostExecutionState.FAILED)


def deployments(query: MetricsQuery) -> QuerySet[Change]:
    """The deployments of the period, filtered; unordered (callers group or order)."""
    changes = Change.objects.filter(
        environment__in=query.environments,
        status__in=DEPLOYED,
        actual_end__gte=query.start,
        actual_end__lt=query.end,
    )
    if query.teams:
        changes = changes.filter(team__in=query.teams)
    if query.kinds:
        changes = changes.filter(kind__in=query.kinds)
    if query.services:
        linked = ChangeService.objects.filter(change_id=OuterRef("pk"), service__in=query.services)
        changes = changes.filter(Exists(linked))
    return changes.order_by()


def standing_causes():
    """Standing confirmed-cause findings of the outer change."""
    return IncidentFinding.objects.filter(
        change_id=OuterRef("pk"), role=FindingRole.CONFIRMED_CAUSE, withdrawn_at__isnull=True
    )


def _flag(condition) -> ExpressionWrapper:
    return ExpressionWrapper(condition, output_field=BooleanField())


def flags() -> dict[str, ExpressionWrapper]:
    """Name → boolean expression on a deployment. A change matching several reasons is still one change."""
    buffer = timedelta(minutes=settings.EXECUTION_WINDOW_BUFFER_MINUTES)
    backed_out = Q(status=ChangeStatus.BACKED_OUT) | Exists(Backout.objects.filter(change_id=OuterRef("pk")))
    caused = Exists(standing_causes())
    failing = Q(status=ChangeStatus.FAILED) | backed_out | caused
    emergency = Q(change_type=ChangeType.EMERGENCY)
    planned = Q(is_unplanned=False)
    extra_hosts = ChangeActivity.objects.filter(
        change_id=OuterRef("pk"), action=ActivityAction.HOSTS, note=UNPLANNED_HOSTS_NOTE
    )
    missing = ChangeHost.objects.filter(change_id=OuterRef("pk"), state__in=MISSING_STATES)
    return {
        "is_release": _flag(Q(kind=ChangeKind.RELEASE)),
        "is_failing": _flag(failing),
        "is_caused": _flag(caused),
        "is_emergency": _flag(emergency),
        "is_backed_out": _flag(backed_out),
        "is_rework": _flag(emergency | backed_out),
        "was_unplanned": _flag(Q(is_unplanned=True)),
        # Planned changes that started with no approval recorded before their start (an emergency change
        # approved afterwards is one of them).
        "is_unapproved": _flag(planned & (Q(approved_at__isnull=True) | Q(approved_at__gt=F("actual_start")))),
        # The same tolerance as the execution reports' warning (settings.EXECUTION_WINDOW_BUFFER_MINUTES).
        "is_outside_window": _flag(
            planned & (Q(actual_start__lt=F("planned_start") - buffer) | Q(actual_end__gt=F("planned_end") + buffer))
        ),
        "is_extra_hosts": _flag(Exists(extra_hosts)),
        "is_hosts_missing": _flag(Q(status=ChangeStatus.COMPLETED) & Exists(missing)),
    }


# The lists one click away from a figure: set name → (flag, what the list shows).
LISTS: dict[str, tuple[str | None, str]] = {
    "deployments": (None, "Deployments (changes that ran to an end)"),
    "releases": ("is_release", "Release deployments"),
    "failing": ("is_failing", "Failing changes: failed, backed out, or the confirmed cause of an incident"),
    "emergency": ("is_emergency", "Emergency changes"),
    "backed_out": ("is_backed_out", "Backed-out changes"),
    "rework": ("is_rework", "Rework: emergency or backed-out changes"),
    "unplanned": ("was_unplanned", "Recorded unplanned (change events, Ansible, the CLI)"),
    "unapproved": ("is_unapproved", "Executed without approval"),
    "outside_window": ("is_outside_window", "Executed outside the approved window"),
    "extra_hosts": ("is_extra_hosts", "Executed on hosts not in the plan"),
    "hosts_missing": ("is_hosts_missing", "Marked completed with hosts still pending or failed"),
}


def listed(query: MetricsQuery, name: str) -> QuerySet[Change]:
    """The changes of one list, newest end first."""
    flag, _label = LISTS[name]
    changes = deployments(query)
    if flag is not None:
        changes = changes.alias(**{flag: flags()[flag]}).filter(**{flag: True})
    return changes.select_related("team", "environment").order_by("-actual_end", "-id")
