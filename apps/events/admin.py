from django.contrib import admin

from apps.events.models import EmailNotification, OutboxEvent


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(OutboxEvent)
class OutboxEventAdmin(ReadOnlyAdmin):
    list_display = ["id", "event_type", "created", "dispatched_at"]
    list_filter = ["event_type"]
    date_hierarchy = "created"


@admin.register(EmailNotification)
class EmailNotificationAdmin(ReadOnlyAdmin):
    list_display = ["subject", "recipient", "status", "attempts", "created", "sent_at"]
    list_filter = ["status"]
    search_fields = ["recipient", "subject"]
