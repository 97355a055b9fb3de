from django.contrib import admin

from apps.events.choices import DeliveryStatus
from apps.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    list_display = ["name", "url", "is_active", "event_types", "created"]
    list_filter = ["is_active"]
    search_fields = ["name", "url"]

    def has_delete_permission(self, request, obj=None) -> bool:
        # Deleting would cascade the delivery and attempt log; an endpoint that has deliveries is deactivated instead.
        return obj is None or not obj.deliveries.exists()


class WebhookAttemptInline(admin.TabularInline):
    model = WebhookAttempt
    extra = 0
    can_delete = False
    fields = ["number", "outcome", "response_code", "duration_ms", "error", "response_excerpt", "created"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = ["id", "endpoint", "event", "status", "attempts", "response_code", "next_attempt_at", "delivered_at"]
    list_filter = ["status", "endpoint"]
    list_select_related = ["endpoint", "event"]
    readonly_fields = [
        "uuid",
        "endpoint",
        "event",
        "status",
        "attempts",
        "response_code",
        "duration_ms",
        "last_error",
        "next_attempt_at",
        "delivered_at",
        "created",
    ]
    inlines = [WebhookAttemptInline]
    actions = ["retry_now"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # the attempt log is the audit record of what was sent

    @admin.action(description="Try once more now (failed or pending deliveries)")
    def retry_now(self, request, queryset):
        count = queryset.exclude(status=DeliveryStatus.SENT).update(status=DeliveryStatus.PENDING, next_attempt_at=None)
        self.message_user(request, f"{count} deliveries queued; the retry job sends them within a minute.")
