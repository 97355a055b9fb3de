from django.db import models

from apps.changes.choices import ChangeKind, ChangeRisk


class ChangeTemplate(models.Model):
    """A recurring change written once. A standard template is pre-approved: a change made from it and left
    unchanged in what defines its risk (kind, risk, environment, plans) is approved on submit."""

    # The fields whose values define what leads approved in advance.
    PINNED_FIELDS = ("kind", "risk", "environment_id", "implementation_plan", "backout_plan")

    name = models.CharField(max_length=200, unique=True)
    is_standard = models.BooleanField(
        default=False, help_text="Pre-approved: changes made from it skip the approval round."
    )
    is_active = models.BooleanField(default=True)
    kind = models.CharField(max_length=20, choices=ChangeKind.choices, default=ChangeKind.OTHER)
    title = models.CharField(max_length=200)
    summary = models.TextField(blank=True)
    implementation_plan = models.TextField(blank=True)
    backout_plan = models.TextField(blank=True)
    test_plan = models.TextField(blank=True)
    risk = models.CharField(max_length=10, choices=ChangeRisk.choices, default=ChangeRisk.LOW)
    environment = models.ForeignKey("inventory.Environment", on_delete=models.PROTECT, related_name="+")
    team = models.ForeignKey("accounts.Team", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    services = models.ManyToManyField("inventory.Service", blank=True, related_name="+")
    duration_minutes = models.PositiveIntegerField(default=120)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def matches(self, change) -> bool:
        """Whether ``change`` still is what this template pre-approved."""
        return all(getattr(change, name) == getattr(self, name) for name in self.PINNED_FIELDS)
