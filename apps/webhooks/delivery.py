"""The one delivery engine: claim a due delivery with a lease, send it with no transaction open, record the attempt.

Webhook deliveries (apps.webhooks.services) and chat messages (apps.chat.delivery) are both a ``Kind``: which
models hold the deliveries and attempts, whether the target is still on, and what request a delivery makes.
Everything else is shared: the lease (``next_attempt_at`` moved ahead while an attempt runs, so a worker killed
mid-attempt leaves a lease that expires and the retry job sends it again with the same delivery id), the
exponential backoff honouring a 429/5xx's ``Retry-After``, the attempt log and giving up after
WEBHOOK_MAX_ATTEMPTS. A claimed attempt and its result are two short transactions, so no row stays locked while
a receiver is slow.
"""

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from apps.events.choices import DeliveryStatus
from apps.webhooks import sender
from apps.webhooks.choices import AttemptOutcome
from apps.webhooks.models import BaseAttempt, BaseDelivery

MAX_RETRY_DELAY = timedelta(hours=1)
SKIPPED = "skipped"


@dataclass
class Request:
    url: str
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)


class Kind(ABC):
    """What the engine needs to know about one kind of delivery. Subclasses set the models and override the hooks."""

    delivery_model: type[BaseDelivery]
    attempt_model: type[BaseAttempt]
    select_related: tuple[str, ...] = ()

    def inactive_reason(self, delivery) -> str:
        """Why the delivery's target no longer takes messages ('' when it does): the delivery fails unsent."""
        return ""

    @abstractmethod
    def request(self, delivery) -> Request:
        """The HTTP request that delivers it: URL, body and headers (signed, formatted for the receiver)."""

    def after_attempt(self, delivery, result: sender.SendResult) -> None:
        """Called in the recording transaction, after the delivery row is saved (e.g. a channel's health).
        Optional: a kind with nothing to update afterwards keeps this no-op."""
        return None


def retry_delay(attempts: int, retry_after: float | None = None) -> timedelta:
    """30 s after the first failure (WEBHOOK_FIRST_RETRY_SECONDS), doubling each time, at most an hour; never
    sooner than the receiver's Retry-After asked."""
    first = timedelta(seconds=settings.WEBHOOK_FIRST_RETRY_SECONDS)
    delay = min(first * (2 ** max(attempts - 1, 0)), MAX_RETRY_DELAY)
    if retry_after is not None:
        delay = max(delay, min(timedelta(seconds=retry_after), MAX_RETRY_DELAY))
    return delay


def lease() -> timedelta:
    """How long a claimed attempt keeps others off the delivery: both timeouts and a margin."""
    margin = settings.WEBHOOK_LEASE_MARGIN_SECONDS
    return timedelta(seconds=settings.WEBHOOK_CONNECT_TIMEOUT + settings.WEBHOOK_READ_TIMEOUT + margin)


def claim(kind: Kind, delivery_id: int, now: datetime):
    with transaction.atomic():
        delivery = (
            kind.delivery_model.objects.select_for_update(of=("self",))
            .select_related(*kind.select_related)
            .filter(pk=delivery_id)
            .first()
        )
        if delivery is None or delivery.status != DeliveryStatus.PENDING:
            return None
        if delivery.next_attempt_at is not None and delivery.next_attempt_at > now:
            return None
        reason = kind.inactive_reason(delivery)
        if reason:
            delivery.status, delivery.last_error = DeliveryStatus.FAILED, reason
            delivery.save(update_fields=["status", "last_error"])
            return None
        delivery.next_attempt_at = now + lease()
        delivery.save(update_fields=["next_attempt_at"])
    return delivery


def record(kind: Kind, delivery_id: int, result: sender.SendResult):
    with transaction.atomic():
        delivery = (
            kind.delivery_model.objects.select_for_update(of=("self",))
            .select_related(*kind.select_related)
            .get(pk=delivery_id)
        )
        delivery.attempts += 1
        error = result.error or ("" if result.ok else f"HTTP {result.status}")
        if result.retry_after is not None and not result.ok:
            error += f" (Retry-After: {int(result.retry_after)} s)"
        kind.attempt_model.objects.create(
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
        elif result.refused or delivery.attempts >= settings.WEBHOOK_MAX_ATTEMPTS:
            # A refused URL fails at once: retrying the same unsafe address cannot succeed.
            delivery.status, delivery.next_attempt_at = DeliveryStatus.FAILED, None
        else:
            delivery.next_attempt_at = now + retry_delay(delivery.attempts, result.retry_after)
        delivery.save()
        kind.after_attempt(delivery, result)
    return delivery


def attempt(kind: Kind, delivery_id: int, *, now: datetime | None = None) -> tuple[str, sender.SendResult | None]:
    """One attempt if the delivery is pending and due: its status afterwards ('skipped' if none was made)."""
    delivery = claim(kind, delivery_id, now or timezone.now())
    if delivery is None:
        return SKIPPED, None
    outgoing = kind.request(delivery)
    result = sender.post(
        outgoing.url,
        outgoing.body,
        outgoing.headers,
        connect_timeout=settings.WEBHOOK_CONNECT_TIMEOUT,
        read_timeout=settings.WEBHOOK_READ_TIMEOUT,
    )
    delivery = record(kind, delivery_id, result)
    return delivery.status, result


def due(kind: Kind, now: datetime, limit: int = 500) -> list[int]:
    """Pending deliveries whose next attempt is due (lost enqueues, retries, expired leases)."""
    grace = now - timedelta(seconds=20)
    pending = kind.delivery_model.objects.filter(status=DeliveryStatus.PENDING)
    found = pending.filter(next_attempt_at__lte=now) | pending.filter(next_attempt_at__isnull=True, created__lt=grace)
    return list(found.order_by("pk").values_list("pk", flat=True)[:limit])
