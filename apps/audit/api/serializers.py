from rest_framework import serializers

from apps.audit.models import AuditEntry


class AuditEntrySerializer(serializers.ModelSerializer):
    """One entry of an object's history: who (their name, kept if the user is deleted), through which edge, what."""

    actor = serializers.CharField(source="actor_name", read_only=True, help_text="Empty or 'system: …' for the system.")
    changes = serializers.JSONField(read_only=True, help_text='{"field": {"before": …, "after": …}}')

    class Meta:
        model = AuditEntry
        fields = ["id", "actor", "via", "action", "changes", "note", "created"]
        read_only_fields = fields
