"""Chat messages go through the webhook delivery engine (apps.webhooks.delivery): the same lease, retries with
backoff honouring Retry-After, attempt log and outbound URL checks. What is chat's own: the JSON body rendered for
the platform, and the channel's health.

A channel whose last CHAT_UNHEALTHY_AFTER attempts all failed is marked unhealthy, and its owner (or, without one,
the staff) is emailed once, through the outbox (event ``chat.channel_unhealthy``). One success makes it healthy
again; the next run of failures emails again.
"""

import json

from django.conf import settings
from django.db.models import F
from django.utils import timezone

from apps.chat import crypto
from apps.chat.models import ChatAttempt, ChatChannel, ChatDelivery
from apps.events.choices import EventType
from apps.events.services import publish_event
from apps.webhooks import delivery, sender


class ChatKind(delivery.Kind):
    delivery_model = ChatDelivery
    attempt_model = ChatAttempt
    select_related = ("channel",)

    def inactive_reason(self, item) -> str:
        if not item.channel.is_active:
            return "The channel was switched off."
        try:
            item.channel.url  # noqa: B018 - decrypts, or says why it cannot
        except crypto.UndecryptableURL as exc:
            return str(exc)
        return ""

    def request(self, item) -> delivery.Request:
        url = item.channel.url
        body = json.dumps(item.body, separators=(",", ":")).encode()
        headers = {"Content-Type": "application/json", "User-Agent": "ChangePortal-Chat/1"}
        return delivery.Request(url=url, body=body, headers=headers)

    def after_attempt(self, item, result: sender.SendResult) -> None:
        record_health(item.channel_id, ok=result.ok)


CHAT = ChatKind()


def record_health(channel_id: int, *, ok: bool) -> None:
    """In the recording transaction: count consecutive failed attempts, flag the channel once it crosses the bar."""
    if ok:
        ChatChannel.objects.filter(pk=channel_id).update(consecutive_failures=0, unhealthy_since=None)
        return
    ChatChannel.objects.filter(pk=channel_id).update(consecutive_failures=F("consecutive_failures") + 1)
    channel = ChatChannel.objects.select_related("team", "owner").get(pk=channel_id)
    if channel.unhealthy_since is None and channel.consecutive_failures >= settings.CHAT_UNHEALTHY_AFTER:
        now = timezone.now()
        channel.unhealthy_since = now
        channel.save(update_fields=["unhealthy_since"])
        publish_event(
            event_type=EventType.CHAT_CHANNEL_UNHEALTHY,
            payload={
                "channel": {
                    "id": channel.pk,
                    "name": channel.name,
                    "kind": channel.kind,
                    "team": channel.team.slug if channel.team_id else None,
                    "owner": channel.owner.get_username() if channel.owner_id else None,
                    "failures": channel.consecutive_failures,
                    "last_error": ChatAttempt.objects.filter(delivery__channel=channel)
                    .order_by("-id")
                    .values_list("error", flat=True)
                    .first()
                    or "",
                    "url": f"{settings.SITE_URL}/chat/{channel.pk}/",
                }
            },
            dedup_key=f"chat-unhealthy:{channel.pk}:{now.isoformat()}",
        )


def attempt(delivery_id: int) -> str:
    status, _result = delivery.attempt(CHAT, delivery_id)
    return status


def due(limit: int = 500) -> list[int]:
    return delivery.due(CHAT, timezone.now(), limit)
