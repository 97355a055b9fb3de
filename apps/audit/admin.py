from django.contrib import admin

from apps.audit.models import AuditEntry


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """The audit log, for reading: it is append-only, so nothing here adds, edits or removes an entry."""

    list_display = ["created", "action", "object_repr", "content_type", "actor_name", "via"]
    list_filter = ["content_type", "action", "via"]
    search_fields = ["object_repr", "actor_name"]
    date_hierarchy = "created"
    ordering = ["-created", "-id"]
    list_select_related = ["content_type"]
    fields = [
        "created",
        "actor",
        "actor_name",
        "via",
        "action",
        "content_type",
        "object_id",
        "object_repr",
        "changes",
        "note",
    ]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
