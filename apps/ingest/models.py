from django.conf import settings
from django.db import models


class IngestKind(models.TextChoices):
    UNPLANNED = "unplanned", "Unplanned change recorded"
    EXECUTION = "execution", "Execution report of a planned change"


class IngestRecord(models.Model):
    """One change event received by POST /api/v1/change-events.

    ``dedup_key`` is unique: a retried event finds its record and gets the same answer, creating nothing.
    """

    dedup_key = models.CharField(max_length=255, unique=True, null=True, blank=True)
    kind = models.CharField(max_length=12, choices=IngestKind.choices)
    change = models.ForeignKey("changes.Change", on_delete=models.CASCADE, related_name="ingest_records")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    source = models.CharField(max_length=255, blank=True)
    payload = models.JSONField(default=dict, help_text="The event as received.")
    unverified_hosts = models.JSONField(default=list, help_text="Hosts this event created, unverified.")
    warnings = models.JSONField(default=list)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created", "-id"]
        indexes = [models.Index(fields=["change", "created"], name="ingest_change_created")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: CHG-{self.change_id} ({self.dedup_key or 'no dedup key'})"
