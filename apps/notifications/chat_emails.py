"""The one email chat sends itself: a channel that keeps failing is reported to whoever set it up (else staff)."""

from django.contrib.auth import get_user_model

from apps.events.choices import EventType


def emails_for_event(event) -> list[tuple[str, str, str]]:
    if event.event_type != EventType.CHAT_CHANNEL_UNHEALTHY:
        return []
    channel = event.payload.get("channel") or {}
    users = get_user_model().objects.filter(is_active=True).exclude(email="")
    owner = users.filter(username=channel.get("owner")).first() if channel.get("owner") else None
    recipients = [owner.email] if owner else list(users.filter(is_staff=True).values_list("email", flat=True))
    subject = f"[ChangePortal] Chat channel “{channel.get('name')}” keeps failing"
    body = (
        f"The last {channel.get('failures')} messages to the chat channel “{channel.get('name')}” "
        f"({channel.get('kind')}, {channel.get('team') or 'portal-wide'}) could not be delivered.\n"
        f"Last error: {channel.get('last_error') or 'unknown'}\n\n"
        "Messages are still retried. Check the webhook URL (was it revoked or the channel archived?), then save the "
        f"channel with a new URL or switch it off and on again: {channel.get('url')}\n"
        "You are told once; after the next successful message a new run of failures is reported again.\n"
    )
    return [(recipient, subject, body) for recipient in sorted(set(recipients))]
