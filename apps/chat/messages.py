"""What a channel is told about an event, as a platform-neutral apps.chat.formats.Message. Pure reads."""

import logging
from datetime import datetime

from django.apps import apps as django_apps
from django.conf import settings
from django.utils.module_loading import import_string

from apps.approvals.models import RequiredApproval
from apps.changes.choices import ChangeStatus
from apps.changes.models import Change
from apps.chat.choices import ChatTopic
from apps.chat.formats import Button, Item, Message

logger = logging.getLogger(__name__)
# The incidents app sits above chat in the layers (it reads changes, approvals, notifications): the suspects of an
# incident are looked up by name, as the outbox names its dispatch task (apps.events.enqueue.DISPATCH_TASK).
SUSPECTS_FUNCTION = "apps.incidents.suspects.suspects_for_incident"
TOP_SUSPECTS = 3

HEADLINES = {
    ChatTopic.APPROVAL_REQUESTED: ("Approval needed", "blue"),
    ChatTopic.APPROVAL_WITHDRAWN: ("Approval withdrawn by an edit: re-approval needed", "orange"),
    ChatTopic.FREEZE_EXCEPTION: ("Freeze exception requested", "orange"),
    ChatTopic.STARTED: ("Change started", "blue"),
    ChatTopic.FAILED: ("Change failed", "red"),
    ChatTopic.BACKED_OUT: ("Change backed out", "orange"),
    ChatTopic.UNPLANNED_PRODUCTION: ("Unplanned change recorded in production", "red"),
}
APPROVAL_TOPICS = {ChatTopic.APPROVAL_REQUESTED, ChatTopic.APPROVAL_WITHDRAWN, ChatTopic.FREEZE_EXCEPTION}


def window_text(change: Change, zone) -> str:
    start, end = change.planned_start.astimezone(zone), change.planned_end.astimezone(zone)
    end_format = "%H:%M" if start.date() == end.date() else "%Y-%m-%d %H:%M"
    return f"{start:%Y-%m-%d %H:%M} – {end.strftime(end_format)} {start.tzname()}"


def approval_buttons(change: Change, team_id: int | None) -> list[Button]:
    """Approve / Reject for the slot this channel's team fills (a portal-wide channel: the first open slot)."""
    slots = list(RequiredApproval.objects.filter(change=change).select_related("team").order_by("id"))
    mine = [slot for slot in slots if team_id is None or slot.team_id in (team_id, None)]
    if not mine:
        return []
    slot = mine[0]
    who = f" for {slot.team.name}" if slot.team else ""
    return [
        Button(action_id="approve", text=f"Approve{who}", value=str(slot.pk), style="primary"),
        Button(action_id="reject", text="Reject…", value=str(slot.pk), style="danger"),
    ]


def change_message(change: Change, topic: str, *, zone, payload: dict | None = None, team_id=None) -> Message:
    payload = payload or {}
    headline, color = HEADLINES.get(topic, ("Change updated", "blue"))
    if topic == ChatTopic.DECIDED:
        approved = (payload.get("change") or {}).get("status", change.status) != ChangeStatus.REJECTED
        headline, color = ("Change approved", "green") if approved else ("Change rejected", "red")
    facts = [
        ("Environment", change.environment.name),
        ("Risk", change.get_risk_display()),
        ("Window", window_text(change, zone)),
        ("Team", change.team.name if change.team_id else "—"),
        ("Requested by", change.requester.get_username() if change.requester_id else "—"),
    ]
    if change.needs_freeze_exception:
        facts.append(("Freeze exception", change.freeze_justification or "no justification given"))
    message = Message(
        headline=headline,
        reference=change.reference,
        url=settings.SITE_URL + change.get_absolute_url(),
        title=change.title,
        facts=facts,
        note=str(payload.get("note") or ""),
        color=color,
    )
    if topic in APPROVAL_TOPICS:
        message.buttons = approval_buttons(change, team_id)
    return message


def decided_message(change: Change, *, zone, outcome: str, still_open: bool) -> Message:
    """The approval message once decided from Slack (the in-place update): the outcome underneath, and the buttons
    only while other required approvals are still open."""
    message = change_message(change, ChatTopic.APPROVAL_REQUESTED, zone=zone)
    message.outcome = outcome + (" (other approvals are still needed)" if still_open else "")
    if not still_open:
        message.buttons = []
    return message


def top_suspects(incident_id: int) -> list[Change]:
    incident = django_apps.get_model("incidents", "Incident").objects.filter(pk=incident_id).first()
    if incident is None:
        return []
    try:
        report = import_string(SUSPECTS_FUNCTION)(incident, limit=TOP_SUSPECTS)
    except Exception:  # noqa: BLE001 - a message without suspects beats no message about the incident
        logger.warning("Could not rank the suspects of incident %s for chat", incident_id, exc_info=True)
        return []
    for suspect in report.suspects:
        suspect.change.suspect_summary = suspect.summary
    return [suspect.change for suspect in report.suspects[:TOP_SUSPECTS]]


def incident_message(payload: dict, suspects: list[Change]) -> Message:
    incident = payload.get("incident") or {}
    where = ", ".join((incident.get("hosts") or [])[:5] + (incident.get("services") or [])[:5])
    items = [
        Item(
            text=change.title,
            url=settings.SITE_URL + change.get_absolute_url(),
            label=change.reference,
            detail=getattr(change, "suspect_summary", ""),
        )
        for change in suspects
    ]
    return Message(
        headline="Incident opened",
        reference=str(incident.get("reference") or "incident"),
        url=str(incident.get("url") or settings.SITE_URL),
        title=str(incident.get("title") or ""),
        facts=[("Severity", str(incident.get("severity") or "")), ("Affected", where or "—")],
        items=items,
        items_heading="Top suspects" if items else "",
        color="red",
    )


def digest_changes(start: datetime, end: datetime, team_id: int | None):
    changes = (
        Change.objects.filter(environment__is_production=True, planned_start__lt=end, planned_end__gt=start)
        .exclude(status__in=[ChangeStatus.DRAFT, ChangeStatus.CANCELLED, ChangeStatus.REJECTED])
        .select_related("team", "environment")
        .order_by("planned_start", "id")
    )
    return changes.filter(team_id=team_id) if team_id is not None else changes


def digest_message(*, start: datetime, end: datetime, zone, team_id: int | None) -> Message:
    changes = list(digest_changes(start, end, team_id)[:51])
    items = [
        Item(
            text=change.title,
            url=settings.SITE_URL + change.get_absolute_url(),
            label=change.reference,
            detail=f"{window_text(change, zone)}, {change.get_status_display().lower()}"
            + (f", {change.team.name}" if change.team_id else ""),
        )
        for change in changes[:50]
    ]
    day = start.astimezone(zone).date()
    return Message(
        headline=f"Production changes today ({day:%A %d %B})",
        reference="Calendar",
        url=f"{settings.SITE_URL}/calendar/",
        title="",
        note="" if items else "No production changes are planned today.",
        items=items,
        items_heading=f"{len(items)}{'+' if len(changes) > 50 else ''} planned" if items else "",
        color="blue",
    )
