"""Staff see every channel, the attempt log of every message and every Slack action. URLs stay masked here too."""

from django.contrib import admin

from apps.chat.models import ChatAttempt, ChatChannel, ChatDelivery, SlackAction, SlackUserLink
from apps.events.choices import DeliveryStatus


@admin.register(ChatChannel)
class ChatChannelAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "team", "url_hint", "is_active", "consecutive_failures", "unhealthy_since"]
    list_filter = ["kind", "is_active", "team"]
    search_fields = ["name"]
    # Set up (and the URL replaced) on the chat page, where it is checked and encrypted: here it is read-only.
    readonly_fields = ["url_hint", "owner", "consecutive_failures", "unhealthy_since", "created"]
    fields = [
        "name",
        "kind",
        "team",
        "url_hint",
        "topics",
        "timezone",
        "quiet_start",
        "quiet_end",
        "digest_hour",
        "is_active",
        "owner",
        "consecutive_failures",
        "unhealthy_since",
        "created",
    ]

    def has_add_permission(self, request) -> bool:
        return False


class ChatAttemptInline(admin.TabularInline):
    model = ChatAttempt
    extra = 0
    can_delete = False
    fields = ["number", "outcome", "response_code", "duration_ms", "error", "response_excerpt", "created"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(ChatDelivery)
class ChatDeliveryAdmin(admin.ModelAdmin):
    list_display = ["id", "channel", "topic", "status", "attempts", "response_code", "next_attempt_at", "delivered_at"]
    list_filter = ["status", "topic", "channel"]
    list_select_related = ["channel"]
    readonly_fields = [
        "uuid",
        "channel",
        "event",
        "key",
        "topic",
        "body",
        "status",
        "attempts",
        "response_code",
        "duration_ms",
        "last_error",
        "next_attempt_at",
        "held_for_quiet_hours",
        "delivered_at",
        "created",
    ]
    inlines = [ChatAttemptInline]
    actions = ["retry_now"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # the attempt log is the record of what was sent

    @admin.action(description="Try once more now (failed or pending messages)")
    def retry_now(self, request, queryset):
        count = queryset.exclude(status=DeliveryStatus.SENT).update(status=DeliveryStatus.PENDING, next_attempt_at=None)
        self.message_user(request, f"{count} messages queued; the retry job sends them within a minute.")


@admin.register(SlackUserLink)
class SlackUserLinkAdmin(admin.ModelAdmin):
    list_display = ["user", "slack_user_id", "created"]
    search_fields = ["user__username", "slack_user_id"]


@admin.register(SlackAction)
class SlackActionAdmin(admin.ModelAdmin):
    list_display = ["created", "slack_user_id", "user", "change", "action", "outcome", "message"]
    list_filter = ["outcome", "action"]
    readonly_fields = ["slack_user_id", "user", "change", "action", "outcome", "message", "created"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
