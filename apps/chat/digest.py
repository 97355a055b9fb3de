"""The daily "production changes today" digest, per channel, at its ``digest_hour`` in its own time zone.

A beat job (apps.chat.tasks.post_daily_digests) runs every 15 minutes; a channel gets one digest per local day
(``key`` "digest:<date>"), at the first run at or after its hour that is outside its quiet hours. A digest is
never held for the end of the quiet hours like other messages: if quiet hours cover the rest of the day, that day's
digest is dropped (a "today" digest that arrives tomorrow morning would be wrong).
"""

from datetime import datetime

from apps.chat.choices import ChatTopic
from apps.chat.formats import render
from apps.chat.messages import digest_message
from apps.chat.models import ChatChannel, ChatDelivery


def create_digests(now: datetime) -> list[int]:
    created = []
    for channel in ChatChannel.objects.filter(is_active=True).order_by("pk"):
        if not channel.wants(ChatTopic.DIGEST):
            continue
        local = now.astimezone(channel.zone)
        if local.hour < channel.digest_hour or channel.quiet_until(now) is not None:
            continue
        key = f"digest:{local.date().isoformat()}"
        if ChatDelivery.objects.filter(channel=channel, key=key).exists():
            continue
        start, end = channel.local_day_bounds(now)
        message = digest_message(start=start, end=end, zone=channel.zone, team_id=channel.team_id)
        delivery, is_new = ChatDelivery.objects.get_or_create(
            channel=channel, key=key, defaults={"topic": ChatTopic.DIGEST, "body": render(channel.kind, message)}
        )
        if is_new:
            created.append(delivery.pk)
    return created
