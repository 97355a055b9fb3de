from django.db import models


class EventType(models.TextChoices):
    """Everything other systems may hear about. Webhooks subscribe to these names."""

    CHANGE_CREATED = "change.created", "Change created (form or API)"
    CHANGE_RECORDED = "change.recorded", "Unplanned change recorded from a change event"
    CHANGE_SUBMITTED = "change.submitted", "Change submitted for approval"
    CHANGE_REAPPROVAL = "change.reapproval_requested", "Re-approval requested after a material edit"
    CHANGE_APPROVED = "change.approved", "Change approved"
    CHANGE_REJECTED = "change.rejected", "Change rejected"
    CHANGE_DECISION = "change.decision", "Approval decision recorded"
    CHANGE_STARTED = "change.started", "Change started"
    CHANGE_COMPLETED = "change.completed", "Change completed"
    CHANGE_FAILED = "change.failed", "Change failed"
    CHANGE_BACKED_OUT = "change.backed_out", "Change backed out"
    CHANGE_CANCELLED = "change.cancelled", "Change cancelled"
    CHANGE_HOST_STATES = "change.host_states", "Per-host execution states recorded"
    APPROVAL_REMINDER = "approval.reminder", "Approval reminder"
    EMERGENCY_OVERDUE = "approval.emergency_overdue", "Emergency change awaiting retroactive approval"
    INCIDENT_OPENED = "incident.opened", "Incident opened"
    INCIDENT_RESOLVED = "incident.resolved", "Incident resolved"
    CHAT_CHANNEL_UNHEALTHY = "chat.channel_unhealthy", "A chat channel keeps failing (its owner is emailed)"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed (gave up)"
