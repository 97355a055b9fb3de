from django.contrib import admin

from apps.inventory.models import Environment, Host, Service, Tag


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
