from django.contrib import admin

from apps.ingest.models import IngestRecord


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
