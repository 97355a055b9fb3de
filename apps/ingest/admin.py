from django.contrib import admin

from apps.ingest.models import IngestRecord, IntegrationKey


@admin.register(IngestRecord)
class IngestRecordAdmin(admin.ModelAdmin):
    list_display = ["created", "kind", "change", "source", "dedup_key", "actor"]
    list_filter = ["kind"]
    search_fields = ["dedup_key", "source"]
    list_select_related = ["change", "actor"]
    readonly_fields = [field.name for field in IngestRecord._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(IntegrationKey)
class IntegrationKeyAdmin(admin.ModelAdmin):
    """Read-only: keys are created (shown once) and revoked on /integrations/, where it is audited."""

    list_display = ["name", "display_prefix", "environment", "team", "service", "created_by", "revoked_at"]
    list_filter = ["environment", "team"]
    search_fields = ["name", "prefix"]
    list_select_related = ["environment", "team", "service", "created_by"]
    readonly_fields = [field.name for field in IntegrationKey._meta.fields if field.name != "key_hash"]
    exclude = ["key_hash"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
