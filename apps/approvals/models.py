from django.conf import settings
from django.db import models

from apps.approvals.choices import Decision


class Approval(models.Model):
    """A lead's decision on a change. Withdrawn (not deleted) when a material edit follows it."""

    change = models.ForeignKey("changes.Change", on_delete=models.CASCADE, related_name="approvals")
    team = models.ForeignKey(
        "accounts.Team",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="approvals",
        help_text="The team this decision was given for.",
    )
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="approvals")
    decision = models.CharField(max_length=10, choices=Decision.choices)
    comment = models.TextField(blank=True)
    decided_at = models.DateTimeField(auto_now_add=True)
    change_version = models.PositiveIntegerField(help_text="The change's version the decision was made on.")
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["decided_at", "id"]
        indexes = [models.Index(fields=["change", "withdrawn_at"], name="approval_change_current")]

    def __str__(self) -> str:
        return f"{self.get_decision_display()} by {self.decided_by} on CHG-{self.change_id}"

    @property
    def is_current(self) -> bool:
        return self.withdrawn_at is None

    def get_decision_color(self) -> str:
        return Decision.colors().get(self.decision, "gray")
