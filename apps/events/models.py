from django.db import models

from apps.events.choices import DeliveryStatus, EventType


class OutboxEvent(models.Model):
    """An event written in the same transaction as the change that caused it (transactional outbox).

    Nothing is lost when the broker is down: the row stays undispatched until a task picks it up, either
    the one enqueued on commit or the periodic drain (apps.events.tasks.drain_outbox).
    """

    event_type = models.CharField(max_length=64, choices=EventType.choices)
    payload = models.JSONField(default=dict)
    dedup_key = models.CharField(max_length=200, unique=True, null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True)
    dispatched_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created", "id"]
        indexes = [
            models.Index(fields=["created"], condition=models.Q(dispatched_at__isnull=True), name="outbox_pending")
        ]

    def __str__(self) -> str:
        return f"{self.event_type} #{self.pk}"


class EmailNotification(models.Model):
    """One email to one person about one event; unique, so a retried task never sends it twice."""

    event = models.ForeignKey(OutboxEvent, on_delete=models.CASCADE, related_name="emails")
    recipient = models.EmailField()
    subject = models.CharField(max_length=255)
    body = models.TextField()
    status = models.CharField(max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    # Set while a worker sends (outside any transaction); other workers keep off until it passes. A worker killed
    # mid-send leaves it behind, and once it expires the outbox drain sends the email again.
    lease_until = models.DateTimeField(null=True, blank=True, help_text="A claimed attempt holds the email until.")

    class Meta:
        ordering = ["created", "id"]
        constraints = [models.UniqueConstraint(fields=["event", "recipient"], name="unique_email_per_event")]
        indexes = [models.Index(fields=["status", "created"], name="email_status")]

    def __str__(self) -> str:
        return f"{self.subject} → {self.recipient} ({self.status})"
