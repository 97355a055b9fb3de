"""Admin pages that show records whose only write path is the portal (a change, its links, its approvals)."""

from django.contrib import admin
from django.utils.html import format_html


class ViewOnlyAdmin:
    """Put before ``admin.ModelAdmin`` / ``admin.TabularInline`` in the bases: the admin may view the records but
    never add, edit or delete them (a raw edit would skip the services: withdrawing approvals, re-checking freezes,
    writing the activity log). A POST to the change form is then a 403."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class PortalOnlyAdmin(ViewOnlyAdmin):
    """A view-only ModelAdmin whose form starts with an "Edit on the portal" link, to ``get_portal_url(obj)``."""

    def get_portal_url(self, obj) -> str:
        return obj.get_absolute_url()

    @admin.display(description="Portal")
    def portal_link(self, obj):
        if obj is None or obj.pk is None:
            return "—"
        return format_html('<a href="{}">Edit on the portal</a>', self.get_portal_url(obj))

    def get_readonly_fields(self, request, obj=None):
        return ["portal_link", *(name for name in super().get_readonly_fields(request, obj) if name != "portal_link")]

    def get_fields(self, request, obj=None):
        return ["portal_link", *(name for name in super().get_fields(request, obj) if name != "portal_link")]
