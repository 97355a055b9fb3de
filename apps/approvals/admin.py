from django.contrib import admin

from apps.approvals.models import Approval, ApprovalPolicy, PolicyRequirement, RequiredApproval


@admin.register(Approval)
class ApprovalAdmin(admin.ModelAdmin):
    list_display = ["change", "decision", "decided_by", "team", "decided_at", "withdrawn_at"]
    list_filter = ["decision", "team"]
    search_fields = ["change__title", "decided_by__username"]
    autocomplete_fields = ["change", "decided_by", "team"]


class PolicyRequirementInline(admin.TabularInline):
    model = PolicyRequirement
    extra = 1
    autocomplete_fields = ["team"]


@admin.register(ApprovalPolicy)
class ApprovalPolicyAdmin(admin.ModelAdmin):
    list_display = ["name", "order", "is_active", "kinds", "risks", "production_only", "freeze_exception_only"]
    list_editable = ["order", "is_active"]
    filter_horizontal = ["environments", "services"]
    search_fields = ["name"]
    inlines = [PolicyRequirementInline]


@admin.register(RequiredApproval)
class RequiredApprovalAdmin(admin.ModelAdmin):
    """Derived from the policies at submission; shown for support, not edited."""

    list_display = ["change", "team", "count", "leads_only", "reasons"]
    search_fields = ["change__title"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
