from django.contrib import admin

from apps.inventory.models import Environment, Host, Service, Tag
from apps.inventory.protection import SHOWN, changes_referring_to


@admin.register(Environment)
class EnvironmentAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "order", "is_production"]
    list_editable = ["order", "is_production"]
    prepopulated_fields = {"slug": ["name"]}
    search_fields = ["name", "slug"]


@admin.register(Service)
class ServiceAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "owner_team"]
    list_filter = ["owner_team"]
    prepopulated_fields = {"slug": ["name"]}
    search_fields = ["name", "slug"]

    def get_deleted_objects(self, objs, request):
        """List the changes that refer to a service as protected, so the admin refuses instead of deleting."""
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        for service in objs:
            referring = changes_referring_to(service)
            total = referring.count()
            protected += [f"Change: {change} (uses service {service.name})" for change in referring[:SHOWN]]
            if total > SHOWN:
                protected.append(f"… and {total - SHOWN} more change(s) using service {service.name}")
        return deleted, counts, perms_needed, protected


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    search_fields = ["name"]


@admin.register(Host)
class HostAdmin(admin.ModelAdmin):
    list_display = ["hostname", "environment", "ip_address", "is_active", "is_verified", "updated"]
    list_filter = ["environment", "is_active", "is_verified", "services", "tags"]
    search_fields = ["hostname", "fqdn", "ip_address"]
    filter_horizontal = ["services", "tags"]
    actions = ["mark_verified"]

    @admin.action(description="Mark selected hosts as verified")
    def mark_verified(self, request, queryset):
        updated = queryset.update(is_verified=True)
        self.message_user(request, f"{updated} host(s) marked verified.")
