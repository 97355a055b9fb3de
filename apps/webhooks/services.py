"""Webhook fan-out and delivery: signed JSON POSTs, each attempt logged, retried with exponential backoff.

Deliveries only run in Celery tasks (apps.webhooks.tasks); the request path merely creates the rows and
enqueues on commit, so a slow or dead endpoint never holds up the app. A delivery is claimed with a short
lease (``next_attempt_at`` moved ahead) in one transaction and its result recorded in another, so no
database transaction stays open while a receiver is slow.
"""

import hashlib
import hmac
import json
import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone

from apps.events.choices import DeliveryStatus
from apps.events.models import OutboxEvent
from apps.webhooks import sender
from apps.webhooks.choices import AttemptOutcome
from apps.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint

logger = logging.getLogger(__name__)
SIGNATURE_HEADER = "X-ChangePortal-Signature"
MAX_RETRY_DELAY = timedelta(hours=1)


def create_deliveries(event: OutboxEvent) -> list[int]:
    """A pending delivery per active endpoint that wants this event; returns the ids of the new ones."""
    created = []
    for endpoint in WebhookEndpoint.objects.filter(is_active=True).order_by("pk"):
        if not endpoint.wants(event.event_type):
            continue
        delivery, is_new = WebhookDelivery.objects.get_or_create(endpoint=endpoint, event=event)
        if is_new:
            created.append(delivery.pk)
    return created


def event_body(event: OutboxEvent) -> bytes:
    body = {"id": event.pk, "type": event.event_type, "created": event.created, "data": event.payload}
    return json.dumps(body, cls=DjangoJSONEncoder, separators=(",", ":"), sort_keys=True).encode()


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def retry_delay(attempts: int) -> timedelta:
    """30 s after the first failure (WEBHOOK_FIRST_RETRY_SECONDS), doubling each time, at most an hour."""
    first = timedelta(seconds=settings.WEBHOOK_FIRST_RETRY_SECONDS)
    return min(first * (2 ** max(attempts - 1, 0)), MAX_RETRY_DELAY)


def _lease() -> timedelta:
    """How long a claimed attempt keeps others off the delivery. A worker killed mid-attempt leaves the lease
    behind; once it expires the retry job sends the delivery again (same X-ChangePortal-Delivery id)."""
    margin = settings.WEBHOOK_LEASE_MARGIN_SECONDS
    return timedelta(seconds=settings.WEBHOOK_CONNECT_TIMEOUT + settings.WEBHOOK_READ_TIMEOUT + margin)


def _claim(delivery_id: int, now: datetime) -> WebhookDelivery | None:
    with transaction.atomic():
        delivery = (
            WebhookDelivery.objects.select_for_update()
            .select_related("endpoint", "event")
            .filter(pk=delivery_id)
            .first()
        )
        if delivery is None or delivery.status != DeliveryStatus.PENDING:
            return None
        if delivery.next_attempt_at is not None and delivery.next_attempt_at > now:
            return None
        if not delivery.endpoint.is_active:
            delivery.status, delivery.last_error = DeliveryStatus.FAILED, "The endpoint was disabled."
            delivery.save(update_fields=["status", "last_error"])
            return None
        delivery.next_attempt_at = now + _lease()
        delivery.save(update_fields=["next_attempt_at"])
    return delivery


def _record(delivery_id: int, result: sender.SendResult) -> WebhookDelivery:
    with transaction.atomic():
        delivery = WebhookDelivery.objects.select_for_update().get(pk=delivery_id)
        delivery.attempts += 1
        error = result.error or ("" if result.ok else f"HTTP {result.status}")
        WebhookAttempt.objects.create(
            delivery=delivery,
            number=delivery.attempts,
            outcome=AttemptOutcome.SUCCEEDED if result.ok else AttemptOutcome.FAILED,
            response_code=result.status,
            duration_ms=result.duration_ms,
            error=error,
            response_excerpt=result.excerpt,
        )
        delivery.response_code, delivery.duration_ms, delivery.last_error = result.status, result.duration_ms, error
        now = timezone.now()
        if result.ok:
            delivery.status, delivery.delivered_at, delivery.next_attempt_at = DeliveryStatus.SENT, now, None
        elif delivery.attempts >= settings.WEBHOOK_MAX_ATTEMPTS:
            delivery.status, delivery.next_attempt_at = DeliveryStatus.FAILED, None
        else:
            delivery.next_attempt_at = now + retry_delay(delivery.attempts)
        delivery.save()
    return delivery


def attempt_delivery(delivery_id: int, *, now: datetime | None = None) -> str:
    """One attempt if the delivery is pending and due; returns its status afterwards ('skipped' if none made)."""
    delivery = _claim(delivery_id, now or timezone.now())
    if delivery is None:
        return "skipped"
    body = event_body(delivery.event)
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "ChangePortal-Webhooks/1",
        "X-ChangePortal-Event": delivery.event.event_type,
        "X-ChangePortal-Delivery": str(delivery.uuid),
        SIGNATURE_HEADER: sign(delivery.endpoint.secret, body),
    }
    result = sender.post(
        delivery.endpoint.url,
        body,
        headers,
        connect_timeout=settings.WEBHOOK_CONNECT_TIMEOUT,
        read_timeout=settings.WEBHOOK_READ_TIMEOUT,
    )
    delivery = _record(delivery_id, result)
    if not result.ok:
        logger.info("Webhook delivery %s to %s failed: %s", delivery.pk, delivery.endpoint_id, delivery.last_error)
    return delivery.status


def due_deliveries(now: datetime, limit: int = 500) -> list[int]:
    """Pending deliveries whose next attempt is due (lost enqueues, retries, expired leases)."""
    grace = now - timedelta(seconds=20)
    pending = WebhookDelivery.objects.filter(status=DeliveryStatus.PENDING)
    due = pending.filter(next_attempt_at__lte=now) | pending.filter(next_attempt_at__isnull=True, created__lt=grace)
    return list(due.order_by("pk").values_list("pk", flat=True)[:limit])
