"""What the post-incident review concluded: which change caused the incident and which one restored service."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from apps.incidents.choices import FindingRole


class IncidentFinding(models.Model):
    """One conclusion about one change. It stands while ``withdrawn_at`` is empty; withdrawing keeps the row,
    so the history of what was concluded, by whom and when, is never lost."""

    incident = models.ForeignKey("incidents.Incident", on_delete=models.CASCADE, related_name="findings")
    change = models.ForeignKey("changes.Change", on_delete=models.CASCADE, related_name="incident_findings")
    role = models.CharField(max_length=20, choices=FindingRole.choices)
    note = models.TextField(blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    recorded_by_name = models.CharField(max_length=150, blank=True, help_text="Kept even if the user is deleted.")
    recorded_at = models.DateTimeField(default=timezone.now)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    withdrawn_by_name = models.CharField(max_length=150, blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_note = models.TextField(blank=True, help_text="Why the finding no longer stands.")

    class Meta:
        ordering = ["recorded_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["incident", "change", "role"],
                condition=Q(withdrawn_at__isnull=True),
                name="one_standing_finding_per_role",
            )
        ]
        indexes = [
            models.Index(fields=["role", "change"], name="finding_role_change"),
            models.Index(fields=["incident", "role"], name="finding_incident_role"),
        ]

    def __str__(self) -> str:
        return f"{self.get_role_display()}: CHG-{self.change_id} on INC-{self.incident_id}"

    @property
    def is_standing(self) -> bool:
        return self.withdrawn_at is None

    def get_role_color(self) -> str:
        return FindingRole.colors().get(self.role, "gray")
