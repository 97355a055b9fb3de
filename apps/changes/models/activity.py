from django.conf import settings
from django.db import models
from django.utils import timezone

from apps.changes.choices import ActivityAction


class AppendOnlyError(Exception):
    """Raised when code tries to rewrite or delete audit history."""


class ActivityQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError("The activity log is append-only.")

    def delete(self):
        raise AppendOnlyError("The activity log is append-only.")


class ChangeActivity(models.Model):
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

    objects = ActivityQuerySet.as_manager()

    class Meta:
        ordering = ["created", "id"]
        verbose_name_plural = "change activities"
        indexes = [models.Index(fields=["change", "created"], name="activity_change_created")]

    def __str__(self) -> str:
        return f"{self.get_action_display()} on CHG-{self.change_id} by {self.actor_name or 'system'}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise AppendOnlyError("The activity log is append-only.")
        if self.actor is not None and not self.actor_name:
            self.actor_name = self.actor.get_username()
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("The activity log is append-only.")
