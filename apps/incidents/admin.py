from django.contrib import admin

from apps.incidents.models import Incident


@admin.register(Incident)
class IncidentAdmin(admin.ModelAdmin):
    list_display = ["__str__", "severity", "status", "started_at", "resolved_at"]
    list_filter = ["severity", "status"]
    search_fields = ["title"]
    filter_horizontal = ["hosts", "services"]
