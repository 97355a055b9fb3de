from django.contrib import admin

from apps.audit.mixins import AuditedAdmin
from apps.changes.models import Change, ChangeActivity, ChangeHost, ChangeService, ChangeTemplate, FreezeWindow
from apps.platform.admin_mixins import PortalOnlyAdmin, ViewOnlyAdmin

# A change, its host and service links and its approvals are written only by the portal (apps.changes.services):
# a raw admin edit would move an approved window without withdrawing the approval, skip the freeze check and the
# activity log. The admin shows them, with a link to the change page.


class ChangeHostInline(ViewOnlyAdmin, admin.TabularInline):
    model = ChangeHost
    extra = 0
    fields = ["host", "state", "state_changed_at", "state_changed_by", "note"]


class ChangeServiceInline(ViewOnlyAdmin, admin.TabularInline):
    model = ChangeService
    extra = 0
    fields = ["service"]


class ChangeActivityInline(admin.TabularInline):
    """Shown for context; the log is append-only, so nothing here can be edited or removed."""

    model = ChangeActivity
    extra = 0
    can_delete = False
    fields = ["created", "actor_name", "action", "from_status", "to_status", "changes", "note"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Change)
class ChangeAdmin(PortalOnlyAdmin, admin.ModelAdmin):
    list_display = ["__str__", "kind", "status", "risk", "environment", "team", "planned_start", "planned_end"]
    list_filter = ["status", "kind", "risk", "change_type", "environment", "team", "is_unplanned"]
    search_fields = ["title", "artifact", "summary"]
    date_hierarchy = "planned_start"
    # Shown besides the form fields (all read-only here): the service-kept fields.
    readonly_fields = [
        "status",
        "eff_start",
        "eff_end",
        "version",
        "approved_at",
        "approval_due_at",
        "created",
        "updated",
    ]
    inlines = [ChangeHostInline, ChangeServiceInline, ChangeActivityInline]


@admin.register(ChangeActivity)
class ChangeActivityAdmin(admin.ModelAdmin):
    list_display = ["created", "change", "actor_name", "action", "from_status", "to_status"]
    list_filter = ["action"]
    search_fields = ["change__title", "actor_name", "note"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(FreezeWindow)
class FreezeWindowAdmin(AuditedAdmin, admin.ModelAdmin):
    list_display = ["name", "start", "end", "reason"]
    filter_horizontal = ["environments"]
    search_fields = ["name", "reason"]
    date_hierarchy = "start"


@admin.register(ChangeHost)
class ChangeHostAdmin(PortalOnlyAdmin, admin.ModelAdmin):
    """Execution states are recorded on the change page (logged, permission-checked), never edited here."""

    list_display = ["change", "host", "state", "state_changed_at"]
    list_filter = ["state"]
    search_fields = ["host__hostname", "change__title"]
    list_select_related = ["change", "host"]
    fields = ["change", "host", "state", "state_changed_at", "state_changed_by", "note", "eff_start", "eff_end"]
    readonly_fields = fields

    def get_portal_url(self, obj) -> str:
        return obj.change.get_absolute_url()


@admin.register(ChangeTemplate)
class ChangeTemplateAdmin(AuditedAdmin, admin.ModelAdmin):
    list_display = ["name", "kind", "is_standard", "is_active", "environment", "team"]
    list_filter = ["is_standard", "is_active", "kind"]
    search_fields = ["name", "title"]
    filter_horizontal = ["services"]
