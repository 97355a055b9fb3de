"""Which channels hear about an outbox event, and the message each gets: one ChatDelivery per (channel, event).

Called by apps.notifications.dispatch in the transaction that marks the event dispatched, so the rows are created
once; the body is rendered here, once, so every retry sends the same message.

Quiet hours: a message created during a channel's quiet hours is held (``next_attempt_at`` = the end of the quiet
hours, in the channel's time zone) and sent then. The daily digest is not held: see apps.chat.digest.
"""

from django.db.models import Q

from apps.changes.models import Change
from apps.chat.choices import ChatTopic
from apps.chat.formats import Message, render
from apps.chat.messages import change_message, incident_message, top_suspects
from apps.chat.models import ChatChannel, ChatDelivery
from apps.events.choices import EventType
from apps.events.models import OutboxEvent

TOPIC_FOR_EVENT = {
    EventType.CHANGE_SUBMITTED: ChatTopic.APPROVAL_REQUESTED,
    EventType.CHANGE_REAPPROVAL: ChatTopic.APPROVAL_WITHDRAWN,
    EventType.CHANGE_APPROVED: ChatTopic.DECIDED,
    EventType.CHANGE_REJECTED: ChatTopic.DECIDED,
    EventType.CHANGE_STARTED: ChatTopic.STARTED,
    EventType.CHANGE_FAILED: ChatTopic.FAILED,
    EventType.CHANGE_BACKED_OUT: ChatTopic.BACKED_OUT,
    EventType.CHANGE_RECORDED: ChatTopic.UNPLANNED_PRODUCTION,
    EventType.INCIDENT_OPENED: ChatTopic.INCIDENT_OPENED,
}


def topics_for(event: OutboxEvent, change: Change | None) -> list[str]:
    topic = TOPIC_FOR_EVENT.get(event.event_type)
    if topic is None:
        return []
    if topic == ChatTopic.UNPLANNED_PRODUCTION and (change is None or not change.environment.is_production):
        return []
    topics = [topic]
    if event.event_type == EventType.CHANGE_SUBMITTED and change is not None and change.needs_freeze_exception:
        topics.append(ChatTopic.FREEZE_EXCEPTION)
    return topics


def _team_ids(change: Change | None, topics: list[str], message_teams: set[int]) -> set[int]:
    """The teams whose channels hear it: the change's team, and for approvals the teams asked to decide."""
    ids = set(message_teams)
    if change is not None and change.team_id:
        ids.add(change.team_id)
    if change is not None and {ChatTopic.APPROVAL_REQUESTED, ChatTopic.APPROVAL_WITHDRAWN} & set(topics):
        ids |= {team_id for team_id in change.required_approvals.values_list("team_id", flat=True) if team_id}
    return ids


def _channels(team_ids: set[int], topics: list[str]) -> list[tuple[ChatChannel, str]]:
    found = []
    for channel in ChatChannel.objects.filter(Q(team__isnull=True) | Q(team_id__in=team_ids), is_active=True):
        # One message per channel: an approval request that also needs a freeze exception is one message.
        topic = next((topic for topic in topics if channel.wants(topic)), None)
        if topic is not None:
            found.append((channel, topic))
    return found


def create_deliveries(event: OutboxEvent) -> list[int]:
    change_id = (event.payload.get("change") or {}).get("id")
    change = None
    if change_id is not None:
        change = Change.objects.select_related("environment", "team", "requester").filter(pk=change_id).first()
        if change is None:
            return []
    topics = topics_for(event, change)
    if not topics:
        return []
    incident: Message | None = None
    suspect_teams: set[int] = set()
    if event.event_type == EventType.INCIDENT_OPENED:
        # The portal-wide channels, and the channels of the teams whose changes are the top suspects.
        suspects = (
            top_suspects(event.payload["incident"]["id"]) if (event.payload.get("incident") or {}).get("id") else []
        )
        incident = incident_message(event.payload, suspects)
        suspect_teams = {change.team_id for change in suspects if change.team_id}
    created = []
    for channel, topic in _channels(_team_ids(change, topics, suspect_teams), topics):
        if incident is not None:
            message = incident
        else:
            assert change is not None
            message = change_message(change, topic, zone=channel.zone, payload=event.payload, team_id=channel.team_id)
        held_until = channel.quiet_until(event.created)
        delivery, is_new = ChatDelivery.objects.get_or_create(
            channel=channel,
            key=f"event:{event.pk}",
            defaults={
                "event": event,
                "topic": topic,
                "body": render(channel.kind, message),
                "next_attempt_at": held_until,
                "held_for_quiet_hours": held_until is not None,
            },
        )
        if is_new and held_until is None:
            created.append(delivery.pk)
    return created
