from django.conf import settings
from django.db import models
from django.utils import timezone

from apps.changes.choices import ActivityAction
from apps.platform.append_only import AppendOnlyModel, AppendOnlyQuerySet


class ChangeActivity(AppendOnlyModel):
    """One entry of a change's append-only history, written by the services."""

    change = models.ForeignKey("changes.Change", on_delete=models.PROTECT, related_name="activities")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    actor_name = models.CharField(max_length=150, blank=True, help_text="Kept even if the user is deleted.")
    acting_as = models.CharField(
        max_length=200, blank=True, help_text="'system: <what>' when no person acted, or the right a person used."
    )
    action = models.CharField(max_length=20, choices=ActivityAction.choices)
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20, blank=True)
    # {"field": {"before": ..., "after": ...}} for edits; free structure for host-state entries.
    changes = models.JSONField(default=dict, blank=True)
    note = models.TextField(blank=True)
    # When it happened: the services pass the moment they record (a replayed history passes past ones).
    created = models.DateTimeField(default=timezone.now, editable=False, db_index=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["created", "id"]
        verbose_name_plural = "change activities"
        indexes = [models.Index(fields=["change", "created"], name="activity_change_created")]

    def __str__(self) -> str:
        return f"{self.get_action_display()} on CHG-{self.change_id} by {self.actor_name or 'system'}"
