"""Outbound webhooks: endpoints configured in the admin, one delivery per (endpoint, event), every attempt logged."""

import secrets
import uuid

from django.core.exceptions import ValidationError
from django.db import models

from apps.events.choices import DeliveryStatus, EventType
from apps.platform import outbound
from apps.platform.fields import HttpsURLField
from apps.webhooks.choices import AttemptOutcome


def new_secret() -> str:
    return secrets.token_urlsafe(32)


class WebhookEndpoint(models.Model):
    name = models.CharField(max_length=100)
    url = HttpsURLField(max_length=500, help_text="Receives a JSON POST per event.")
    secret = models.CharField(
        max_length=128,
        default=new_secret,
        help_text="Shared secret: each request carries X-ChangePortal-Signature: sha256=HMAC-SHA256(secret, body).",
    )
    event_types = models.JSONField(
        default=list, blank=True, help_text='Event names, e.g. ["change.approved", "change.failed"]. Empty: all.'
    )
    is_active = models.BooleanField(default=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.url:
            try:
                outbound.check(self.url)
            except outbound.UnsafeURL as exc:
                raise ValidationError({"url": str(exc)}) from exc
        names = self.event_types
        if not isinstance(names, list) or any(name not in EventType.values for name in names):
            raise ValidationError({"event_types": f"Give a list of event names: {', '.join(EventType.values)}."})

    def wants(self, event_type: str) -> bool:
        return not self.event_types or event_type in self.event_types


class BaseDelivery(models.Model):
    """One message to one target, sent by apps.webhooks.delivery (leased, retried with backoff, every attempt
    logged). Webhook deliveries and chat deliveries (apps.chat) are both this; the subclass adds its target."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    status = models.CharField(max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    response_code = models.PositiveSmallIntegerField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True, help_text="Empty: due now.")
    delivered_at = models.DateTimeField(null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        abstract = True


class WebhookDelivery(BaseDelivery):
    """One event to one endpoint. ``uuid`` goes out as X-ChangePortal-Delivery so receivers can drop repeats."""

    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries")
    event = models.ForeignKey("events.OutboxEvent", on_delete=models.CASCADE, related_name="webhook_deliveries")

    class Meta:
        ordering = ["-created", "-id"]
        verbose_name_plural = "webhook deliveries"
        constraints = [models.UniqueConstraint(fields=["endpoint", "event"], name="unique_webhook_delivery")]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="webhook_delivery_due")]

    def __str__(self) -> str:
        return f"{self.event} → {self.endpoint} ({self.status})"


class BaseAttempt(models.Model):
    """One try at a delivery: what came back, how long it took."""

    number = models.PositiveIntegerField()
    outcome = models.CharField(max_length=10, choices=AttemptOutcome.choices)
    response_code = models.PositiveSmallIntegerField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField()
    error = models.TextField(blank=True)
    response_excerpt = models.TextField(blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"Attempt {self.number} of delivery {self.delivery_id}: {self.outcome}"  # type: ignore[attr-defined]


class WebhookAttempt(BaseAttempt):
    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="attempt_log")

    class Meta:
        ordering = ["delivery", "number"]
