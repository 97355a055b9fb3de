"""Webhook fan-out and delivery: signed JSON POSTs, each attempt logged, retried with exponential backoff.

Deliveries only run in Celery tasks (apps.webhooks.tasks); the request path merely creates the rows and
enqueues on commit, so a slow or dead endpoint never holds up the app. The lease, the retries and the attempt
log are apps.webhooks.delivery's, shared with the chat channels (apps.chat).
"""

import hashlib
import hmac
import json
import logging
from datetime import datetime, timedelta

from django.core.serializers.json import DjangoJSONEncoder

from apps.events.models import OutboxEvent
from apps.webhooks import delivery
from apps.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint

logger = logging.getLogger(__name__)
SIGNATURE_HEADER = "X-ChangePortal-Signature"


def create_deliveries(event: OutboxEvent) -> list[int]:
    """A pending delivery per active endpoint that wants this event; returns the ids of the new ones."""
    created = []
    for endpoint in WebhookEndpoint.objects.filter(is_active=True).order_by("pk"):
        if not endpoint.wants(event.event_type):
            continue
        item, is_new = WebhookDelivery.objects.get_or_create(endpoint=endpoint, event=event)
        if is_new:
            created.append(item.pk)
    return created


def event_body(event: OutboxEvent) -> bytes:
    body = {"id": event.pk, "type": event.event_type, "created": event.created, "data": event.payload}
    return json.dumps(body, cls=DjangoJSONEncoder, separators=(",", ":"), sort_keys=True).encode()


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def retry_delay(attempts: int, retry_after: float | None = None) -> timedelta:
    return delivery.retry_delay(attempts, retry_after)


class WebhookKind(delivery.Kind):
    delivery_model = WebhookDelivery
    attempt_model = WebhookAttempt
    select_related = ("endpoint", "event")

    def inactive_reason(self, item) -> str:
        return "" if item.endpoint.is_active else "The endpoint was disabled."

    def request(self, item) -> delivery.Request:
        body = event_body(item.event)
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "ChangePortal-Webhooks/1",
            "X-ChangePortal-Event": item.event.event_type,
            "X-ChangePortal-Delivery": str(item.uuid),
            SIGNATURE_HEADER: sign(item.endpoint.secret, body),
        }
        return delivery.Request(url=item.endpoint.url, body=body, headers=headers)


WEBHOOKS = WebhookKind()


def attempt_delivery(delivery_id: int, *, now: datetime | None = None) -> str:
    """One attempt if the delivery is pending and due; returns its status afterwards ('skipped' if none made)."""
    status, result = delivery.attempt(WEBHOOKS, delivery_id, now=now)
    if result is not None and not result.ok:
        logger.info("Webhook delivery %s failed: %s", delivery_id, result.error or f"HTTP {result.status}")
    return status


def due_deliveries(now: datetime, limit: int = 500) -> list[int]:
    """Pending deliveries whose next attempt is due (lost enqueues, retries, expired leases)."""
    return delivery.due(WEBHOOKS, now, limit)
