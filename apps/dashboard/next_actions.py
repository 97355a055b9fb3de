"""The dashboard's "what can I do next" lines: one sentence and one link per thing waiting for this user.

Read-only questions asked of the layers below (the approval inbox, the user's own changes, open incidents), in a
fixed order of urgency: an open incident first, then decisions, then work that is due.
"""

from dataclasses import dataclass
from datetime import datetime

from django.urls import reverse

from apps.approvals.inbox import inbox_count
from apps.changes import permissions
from apps.changes.choices import ChangeStatus
from apps.changes.models import Change
from apps.incidents.choices import IncidentStatus
from apps.incidents.models import Incident

MAX_LINES = 4


@dataclass(frozen=True)
class NextAction:
    text: str
    link: str
    label: str  # the link's words ("join the bridge"), after the sentence
    kind: str  # incident, approve, run, submit, plan: a CSS hook, never the only carrier of meaning


def next_actions_for(user, *, now: datetime) -> list[NextAction]:
    actions: list[NextAction] = []
    incident = Incident.objects.filter(status=IncidentStatus.OPEN).order_by("-started_at", "-id").first()
    if incident is not None:
        actions.append(
            NextAction(
                f"{incident.reference} is open: {incident.title}.",
                incident.get_absolute_url(),
                "join the bridge",
                "incident",
            )
        )
    waiting = inbox_count(user)
    if waiting:
        actions.append(
            NextAction(
                f"{waiting} change{'s' if waiting != 1 else ''} wait{'' if waiting != 1 else 's'} for your approval.",
                reverse("approvals:inbox"),
                "decide",
                "approve",
            )
        )
    mine = Change.objects.filter(requester=user).order_by("planned_start", "id")
    for change in mine.filter(status=ChangeStatus.IN_PROGRESS)[:1]:
        actions.append(
            NextAction(f"{change.reference} is in progress.", change.get_absolute_url(), "record how it went", "run")
        )
    for change in mine.filter(status=ChangeStatus.APPROVED, planned_start__lte=now, planned_end__gte=now)[:1]:
        actions.append(
            NextAction(f"{change.reference} is approved and due now.", change.get_absolute_url(), "start it", "run")
        )
    for change in mine.filter(status=ChangeStatus.DRAFT)[:1]:
        actions.append(
            NextAction(f"{change.reference} is still a draft.", change.get_absolute_url(), "submit it", "submit")
        )
    if len(actions) <= 1:
        if permissions.can_create(user):
            actions.append(NextAction("Planning work?", reverse("changes:change_create"), "request a change", "plan"))
        else:  # no team yet: requesting would be refused, reading is not
            calendar = reverse("schedule:calendar")
            actions.append(NextAction("See what is planned.", calendar, "open the calendar", "plan"))
    return actions[:MAX_LINES]
