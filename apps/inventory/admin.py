from django.contrib import admin

from apps.audit.choices import AuditVia
from apps.audit.mixins import AuditedAdmin
from apps.inventory import services
from apps.inventory.models import Environment, Host, Service, Tag
from apps.inventory.protection import SHOWN, changes_referring_to


@admin.register(Environment)
class EnvironmentAdmin(AuditedAdmin, admin.ModelAdmin):
    list_display = ["name", "slug", "order", "is_production"]
    list_editable = ["order", "is_production"]
    prepopulated_fields = {"slug": ["name"]}
    search_fields = ["name", "slug"]


@admin.register(Service)
class ServiceAdmin(AuditedAdmin, admin.ModelAdmin):
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
class TagAdmin(AuditedAdmin, admin.ModelAdmin):
    list_display = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    search_fields = ["name"]


@admin.register(Host)
class HostAdmin(AuditedAdmin, admin.ModelAdmin):
    list_display = ["hostname", "environment", "ip_address", "is_active", "is_verified", "updated"]
    list_filter = ["environment", "is_active", "is_verified", "services", "tags"]
    search_fields = ["hostname", "fqdn", "ip_address"]
    filter_horizontal = ["services", "tags"]
    actions = ["mark_verified"]

    def get_deleted_objects(self, objs, request):
        """A host that changes use is protected by their (read-only) host links: say that, rather than that the
        links may not be deleted here. The delete is refused either way while anything protects the host."""
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        return deleted, counts, set() if protected else perms_needed, protected

    @admin.action(description="Mark selected hosts as verified")
    def mark_verified(self, request, queryset):
        # One host at a time through the service, so each gets its audit entry.
        hosts = list(queryset.filter(is_verified=False))
        for host in hosts:
            services.update_host(actor=request.user, host=host, via=AuditVia.ADMIN, is_verified=True)
        self.message_user(request, f"{len(hosts)} host(s) marked verified.")
