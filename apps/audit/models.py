from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models

from apps.audit.choices import AuditAction, AuditVia
from apps.platform.append_only import AppendOnlyModel, AppendOnlyQuerySet


class AuditEntryQuerySet(AppendOnlyQuerySet):
    def for_object(self, obj):
        """The entries of one object, newest first."""
        content_type = ContentType.objects.get_for_model(obj)
        return self.filter(content_type=content_type, object_id=str(obj.pk)).order_by("-created", "-id")


class AuditEntry(AppendOnlyModel):
    """Who created, edited or deleted a configuration object, when, through which edge, and what changed.

    Written by apps.audit.services.record (called by the admin mixin and the apps' services), never rewritten."""

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    actor_name = models.CharField(max_length=150, blank=True, help_text="Kept even if the user is deleted.")
    via = models.CharField(max_length=10, choices=AuditVia.choices)
    action = models.CharField(max_length=10, choices=AuditAction.choices)
    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    object_id = models.CharField(max_length=64)
    object_repr = models.CharField(max_length=200)
    # {"field": {"before": ..., "after": ...}}, only the fields that changed; JSON-safe values.
    changes = models.JSONField(default=dict, blank=True)
    note = models.TextField(blank=True)
    created = models.DateTimeField(auto_now_add=True, db_index=True)

    objects = AuditEntryQuerySet.as_manager()

    class Meta:
        ordering = ["created", "id"]
        verbose_name_plural = "audit entries"
        indexes = [models.Index(fields=["content_type", "object_id", "created"], name="audit_object_created")]

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.object_repr} by {self.actor_name or 'system'} ({self.via})"

    def get_action_color(self) -> str:
        return AuditAction.colors().get(self.action, "gray")
