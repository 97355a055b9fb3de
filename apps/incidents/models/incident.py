from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone

from apps.incidents.choices import IncidentStatus, Severity
from apps.platform.fields import HttpsURLField

DEFAULT_WINDOW_HOURS = 72
MAX_WINDOW_HOURS = 24 * 14


class Incident(models.Model):
    title = models.CharField(max_length=200)
    severity = models.CharField(max_length=10, choices=Severity.choices, default=Severity.SEV2)
    status = models.CharField(max_length=20, choices=IncidentStatus.choices, default=IncidentStatus.OPEN)
    started_at = models.DateTimeField(help_text="When the symptoms began: suspects are ranked against this time.")
    mitigated_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    window_hours = models.PositiveSmallIntegerField(
        default=DEFAULT_WINDOW_HOURS,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_WINDOW_HOURS)],
        help_text="How far before the start to look for suspect changes.",
    )
    hosts = models.ManyToManyField("inventory.Host", blank=True, related_name="incidents")
    services = models.ManyToManyField("inventory.Service", blank=True, related_name="incidents")
    bridge_url = HttpsURLField(blank=True, help_text="Link to the bridge call or chat room.")
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created = models.DateTimeField(default=timezone.now, editable=False)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return f"{self.reference}: {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("incidents:incident_detail", args=[self.pk])

    @property
    def reference(self) -> str:
        return f"INC-{self.pk}"

    def get_severity_color(self) -> str:
        return Severity.colors().get(self.severity, "gray")

    def get_status_color(self) -> str:
        return IncidentStatus.colors().get(self.status, "gray")
