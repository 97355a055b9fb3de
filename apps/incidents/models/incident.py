from django.conf import settings
from django.db import models

from apps.incidents.choices import IncidentStatus, Severity


class Incident(models.Model):
    title = models.CharField(max_length=200)
    severity = models.CharField(max_length=10, choices=Severity.choices, default=Severity.SEV2)
    status = models.CharField(max_length=20, choices=IncidentStatus.choices, default=IncidentStatus.OPEN)
    started_at = models.DateTimeField(help_text="When the symptoms began: suspects are ranked against this time.")
    resolved_at = models.DateTimeField(null=True, blank=True)
    hosts = models.ManyToManyField("inventory.Host", blank=True, related_name="incidents")
    services = models.ManyToManyField("inventory.Service", blank=True, related_name="incidents")
    bridge_url = models.URLField(blank=True, help_text="Link to the bridge call or chat room.")
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return f"INC-{self.pk}: {self.title}"

    def get_severity_color(self) -> str:
        return Severity.colors().get(self.severity, "gray")

    def get_status_color(self) -> str:
        return IncidentStatus.colors().get(self.status, "gray")
