from django.contrib import admin

from apps.approvals.models import Approval, ApprovalPolicy, PolicyRequirement, RequiredApproval
from apps.audit.mixins import AuditedAdmin
from apps.platform.admin_mixins import PortalOnlyAdmin


@admin.register(Approval)
class ApprovalAdmin(PortalOnlyAdmin, admin.ModelAdmin):
    """Decisions are made in the inbox or on the change page (apps.approvals.services.decide), never here."""

    list_display = ["change", "decision", "decided_by", "team", "decided_at", "withdrawn_at"]
    list_filter = ["decision", "team"]
    search_fields = ["change__title", "decided_by__username"]
    list_select_related = ["change", "decided_by", "team"]

    def get_portal_url(self, obj) -> str:
        return obj.change.get_absolute_url()


class PolicyRequirementInline(admin.TabularInline):
    model = PolicyRequirement
    extra = 1
    autocomplete_fields = ["team"]


@admin.register(ApprovalPolicy)
class ApprovalPolicyAdmin(AuditedAdmin, admin.ModelAdmin):
    list_display = ["name", "order", "is_active", "kinds", "risks", "production_only", "freeze_exception_only"]
    list_editable = ["order", "is_active"]
    filter_horizontal = ["environments", "services"]
    search_fields = ["name"]
    inlines = [PolicyRequirementInline]
    audit_related = ("requirements",)  # the inline's rows, as "2 leads of Operations"


@admin.register(RequiredApproval)
class RequiredApprovalAdmin(PortalOnlyAdmin, admin.ModelAdmin):
    """Derived from the policies at submission; shown for support, not edited."""

    list_display = ["change", "team", "count", "leads_only", "reasons"]
    search_fields = ["change__title"]
    list_select_related = ["change", "team"]

    def get_portal_url(self, obj) -> str:
        return obj.change.get_absolute_url()
