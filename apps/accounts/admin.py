from django.contrib import admin

from apps.accounts.models import Team, TeamMembership, UserProfile
from apps.audit.mixins import AuditedAdmin


class TeamMembershipInline(admin.TabularInline):
    model = TeamMembership
    extra = 1
    autocomplete_fields = ["user"]


@admin.register(Team)
class TeamAdmin(AuditedAdmin, admin.ModelAdmin):
    list_display = ["name", "kind", "slug"]
    list_filter = ["kind"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [TeamMembershipInline]
    audit_related = ("memberships",)  # the inline's rows, as "dana (lead of Billing dev)"


@admin.register(TeamMembership)
class TeamMembershipAdmin(AuditedAdmin, admin.ModelAdmin):
    list_display = ["user", "team", "is_lead"]
    list_filter = ["team", "is_lead"]
    search_fields = ["user__username", "team__name"]
    autocomplete_fields = ["user", "team"]


@admin.register(UserProfile)
class UserProfileAdmin(admin.ModelAdmin):
    list_display = ["user", "time_zone"]
    search_fields = ["user__username"]
