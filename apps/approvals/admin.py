from django.contrib import admin

from apps.approvals.models import Approval


@admin.register(Approval)
class ApprovalAdmin(admin.ModelAdmin):
    list_display = ["change", "decision", "decided_by", "team", "decided_at", "withdrawn_at"]
    list_filter = ["decision", "team"]
    search_fields = ["change__title", "decided_by__username"]
    autocomplete_fields = ["change", "decided_by", "team"]
