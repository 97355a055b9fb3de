from django.contrib import admin

from apps.changes.choices import ActivityAction
from apps.changes.models import Change, ChangeActivity, ChangeHost, ChangeService, ChangeTemplate, FreezeWindow
from apps.changes.services import audit_value, record_activity


class ChangeHostInline(admin.TabularInline):
    model = ChangeHost
    extra = 0
    autocomplete_fields = ["host"]
    fields = ["host", "state", "state_changed_at", "note"]


class ChangeServiceInline(admin.TabularInline):
    model = ChangeService
    extra = 0
    autocomplete_fields = ["service"]
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
class ChangeAdmin(admin.ModelAdmin):
    list_display = ["__str__", "kind", "status", "risk", "environment", "team", "planned_start", "planned_end"]
    list_filter = ["status", "kind", "risk", "change_type", "environment", "team", "is_unplanned"]
    search_fields = ["title", "artifact", "summary"]
    date_hierarchy = "planned_start"
    autocomplete_fields = ["team", "requester", "environment"]
    # Status moves only through the state machine (the change page), never by a raw edit here.
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

    def save_model(self, request, obj, form, change):
        if change and form.changed_data:
            obj.version += 1
        super().save_model(request, obj, form, change)
        if not change:
            record_activity(change=obj, actor=request.user, action=ActivityAction.CREATED, note="Created in the admin")
        elif form.changed_data:
            diff = {
                name: {"before": audit_value(form.initial.get(name)), "after": audit_value(form.cleaned_data.get(name))}
                for name in form.changed_data
            }
            record_activity(
                change=obj, actor=request.user, action=ActivityAction.EDIT, changes=diff, note="Edited in the admin"
            )

    def has_delete_permission(self, request, obj=None):
        # Changes carry audit history: cancel them instead.
        return False


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
class FreezeWindowAdmin(admin.ModelAdmin):
    list_display = ["name", "start", "end", "reason"]
    filter_horizontal = ["environments"]
    search_fields = ["name", "reason"]
    date_hierarchy = "start"


@admin.register(ChangeHost)
class ChangeHostAdmin(admin.ModelAdmin):
    list_display = ["change", "host", "state", "state_changed_at"]
    list_filter = ["state"]
    search_fields = ["host__hostname", "change__title"]
    autocomplete_fields = ["change", "host"]
    readonly_fields = ["eff_start", "eff_end"]


@admin.register(ChangeTemplate)
class ChangeTemplateAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "is_standard", "is_active", "environment", "team"]
    list_filter = ["is_standard", "is_active", "kind"]
    search_fields = ["name", "title"]
    filter_horizontal = ["services"]
