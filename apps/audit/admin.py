from django.contrib import admin
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html

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
        "object_link",
        "changes",
        "note",
    ]
    readonly_fields = fields

    @admin.display(description="Object")
    def object_link(self, entry):
        """The object's own admin page, while it exists."""
        model = entry.content_type.model_class()
        if model is None or not model._default_manager.filter(pk=entry.object_id).exists():
            return "— (deleted)"
        try:
            url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_change", args=[entry.object_id])
        except NoReverseMatch:
            return "—"
        return format_html('<a href="{}">{}</a>', url, entry.object_repr)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
