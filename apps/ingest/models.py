from django.conf import settings
from django.db import models

from apps.changes.choices import ChangeKind


class IngestKind(models.TextChoices):
    UNPLANNED = "unplanned", "Unplanned change recorded"
    EXECUTION = "execution", "Execution report of a planned change"


class IntegrationKey(models.Model):
    """The credential of a tool that speaks PagerDuty's Events API v2 (POST /v2/change/enqueue, ``routing_key``).

    Like a PagerDuty integration key it names where its events go: the service, the default environment, team and
    kind of the changes it records, and where the event carries hostnames. Only a SHA-256 of the key is stored; the
    key is shown once (apps.ingest.keys). Revoked keys stay, so the changes they recorded still name them.
    """

    name = models.CharField(max_length=100, help_text="What sends with it, e.g. 'GitHub Actions: billing'.")
    prefix = models.CharField(max_length=8, editable=False, help_text="The first characters, to tell keys apart.")
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    service = models.ForeignKey(
        "inventory.Service",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="integration_keys",
        help_text="Its changes are linked to this service.",
    )
    environment = models.ForeignKey(
        "inventory.Environment",
        on_delete=models.PROTECT,
        related_name="integration_keys",
        help_text="Environment of its changes (an event's custom_details.environment may name another).",
    )
    team = models.ForeignKey(
        "accounts.Team", on_delete=models.PROTECT, null=True, blank=True, related_name="integration_keys"
    )
    kind = models.CharField(max_length=20, choices=ChangeKind.choices, default=ChangeKind.RELEASE)
    host_field = models.CharField(
        max_length=100,
        blank=True,
        default="custom_details.hosts",
        help_text="Where an event names its hosts: custom_details.<key> (a list or a comma-separated string) or "
        "payload.source (one hostname). Empty: the changes name no hosts.",
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created", "-id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.display_prefix})"

    @property
    def display_prefix(self) -> str:
        return f"{self.prefix}…"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class IngestRecord(models.Model):
    """One change event received by POST /api/v1/change-events or POST /v2/change/enqueue.

    ``dedup_key`` is unique: a retried event finds its record and gets the same answer, creating nothing. PagerDuty
    change events carry no key: ``fingerprint`` (a hash of the key and the body) finds a retry within a short
    window instead.
    """

    dedup_key = models.CharField(max_length=255, unique=True, null=True, blank=True)
    kind = models.CharField(max_length=12, choices=IngestKind.choices)
    change = models.ForeignKey("changes.Change", on_delete=models.CASCADE, related_name="ingest_records")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    integration = models.ForeignKey(
        IntegrationKey, on_delete=models.PROTECT, null=True, blank=True, related_name="records"
    )
    fingerprint = models.CharField(max_length=64, blank=True)
    source = models.CharField(max_length=255, blank=True)
    payload = models.JSONField(default=dict, help_text="The event as received.")
    unverified_hosts = models.JSONField(default=list, help_text="Hosts this event created, unverified.")
    warnings = models.JSONField(default=list)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created", "-id"]
        indexes = [
            models.Index(fields=["change", "created"], name="ingest_change_created"),
            models.Index(
                fields=["fingerprint", "created"],
                name="ingest_fingerprint_created",
                condition=~models.Q(fingerprint=""),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: CHG-{self.change_id} ({self.dedup_key or 'no dedup key'})"
