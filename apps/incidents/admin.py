from django.contrib import admin

from apps.incidents.models import Backout, Incident, IncidentFinding, IncidentNote, SuspectMark


class IncidentNoteInline(admin.TabularInline):
    model = IncidentNote
    extra = 0
    fields = ["created", "kind", "author_name", "change", "text"]
    readonly_fields = fields
    raw_id_fields = ["change"]
    can_delete = False


class SuspectMarkInline(admin.TabularInline):
    model = SuspectMark
    extra = 0
    fields = ["created", "change", "verdict", "marked_by_name", "note"]
    readonly_fields = fields
    can_delete = False


class FindingInline(admin.TabularInline):
    """Read-only: findings are recorded and withdrawn on the bridge (apps.incidents.findings), which logs them."""

    model = IncidentFinding
    extra = 0
    fields = ["recorded_at", "role", "change", "recorded_by_name", "note", "withdrawn_at", "withdrawn_note"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class BackoutInline(admin.TabularInline):
    model = Backout
    extra = 0
    fields = ["change", "started_at", "started_by_name", "completed_at", "note"]
    readonly_fields = fields
    can_delete = False


@admin.register(Incident)
class IncidentAdmin(admin.ModelAdmin):
    list_display = ["__str__", "severity", "status", "started_at", "resolved_at"]
    list_filter = ["severity", "status"]
    search_fields = ["title"]
    filter_horizontal = ["hosts", "services"]
    inlines = [SuspectMarkInline, FindingInline, BackoutInline, IncidentNoteInline]

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # the bridge's notes and verdicts are the incident's record: they would cascade away


@admin.register(Backout)
class BackoutAdmin(admin.ModelAdmin):
    list_display = ["__str__", "started_at", "started_by_name", "completed_at"]
    raw_id_fields = ["incident", "change"]
    readonly_fields = ["started_by", "completed_by"]

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
