"""Chat channels, the messages sent to them (deliveries of the shared engine, apps.webhooks.delivery) and the
links between Slack members and portal users that approve-from-Slack relies on."""

import zoneinfo
from datetime import datetime, time, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from apps.chat import crypto
from apps.chat.choices import ChatKind, ChatTopic, SlackOutcome
from apps.webhooks.models import BaseAttempt, BaseDelivery


def validate_timezone(value: str) -> None:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise ValidationError(f"{value!r} is not a time zone name, e.g. Europe/Berlin or UTC.") from exc


class ChatChannel(models.Model):
    """One incoming-webhook URL of a chat tool. ``team`` empty: the portal-wide channel (all teams' events)."""

    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=12, choices=ChatKind.choices)
    team = models.ForeignKey(
        "accounts.Team", null=True, blank=True, on_delete=models.CASCADE, related_name="chat_channels"
    )
    url_encrypted = models.TextField(editable=False)
    url_hint = models.CharField(max_length=120, editable=False, help_text="The URL, masked.")
    topics = models.JSONField(default=list, blank=True, help_text="ChatTopic values this channel receives.")
    timezone = models.CharField(max_length=64, default="UTC", validators=[validate_timezone])
    quiet_start = models.TimeField(null=True, blank=True, help_text="Messages wait from here…")
    quiet_end = models.TimeField(null=True, blank=True, help_text="…until here (the channel's time zone).")
    digest_hour = models.PositiveSmallIntegerField(default=8, help_text="Local hour the daily digest is posted.")
    is_active = models.BooleanField(default=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", help_text="Who set it up."
    )
    consecutive_failures = models.PositiveIntegerField(default=0)
    unhealthy_since = models.DateTimeField(null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["team__name", "name", "id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_kind_display().split(' (')[0]}, {self.team or 'portal-wide'})"

    @property
    def url(self) -> str:
        return crypto.decrypt(self.url_encrypted)

    def set_url(self, url: str) -> None:
        self.url_encrypted, self.url_hint = crypto.encrypt(url), crypto.mask(url)

    def clean(self) -> None:
        if not isinstance(self.topics, list) or any(topic not in ChatTopic.values for topic in self.topics):
            raise ValidationError({"topics": f"Choose from: {', '.join(ChatTopic.values)}."})
        if (self.quiet_start is None) != (self.quiet_end is None):
            raise ValidationError({"quiet_end": "Give both ends of the quiet hours, or neither."})
        if self.quiet_start is not None and self.quiet_start == self.quiet_end:
            raise ValidationError({"quiet_end": "Quiet hours that start and end at the same time are empty."})
        if self.digest_hour > 23:
            raise ValidationError({"digest_hour": "An hour from 0 to 23."})

    def wants(self, topic: str) -> bool:
        return topic in self.topics

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)

    @property
    def is_healthy(self) -> bool:
        return self.unhealthy_since is None

    def quiet_until(self, moment: datetime) -> datetime | None:
        """When the quiet hours covering ``moment`` end (an aware datetime), or None when it is not quiet."""
        if self.quiet_start is None or self.quiet_end is None:
            return None
        local = moment.astimezone(self.zone)
        start, end, now = self.quiet_start, self.quiet_end, local.time()
        overnight = start > end  # 22:00–07:00
        quiet = (now >= start or now < end) if overnight else (start <= now < end)
        if not quiet:
            return None
        day = local.date() + timedelta(days=1) if overnight and now >= start else local.date()
        return datetime.combine(day, end, tzinfo=self.zone)

    def local_day_bounds(self, moment: datetime) -> tuple[datetime, datetime]:
        day = moment.astimezone(self.zone).date()
        start = datetime.combine(day, time(0), tzinfo=self.zone)
        return start, datetime.combine(day + timedelta(days=1), time(0), tzinfo=self.zone)


class ChatDelivery(BaseDelivery):
    """One message to one channel. ``body`` is rendered once, when the message is created, so every retry sends
    the same bytes; ``key`` ("event:<id>", "digest:<date>") makes creating it idempotent."""

    channel = models.ForeignKey(ChatChannel, on_delete=models.CASCADE, related_name="deliveries")
    event = models.ForeignKey(
        "events.OutboxEvent", null=True, blank=True, on_delete=models.CASCADE, related_name="chat_deliveries"
    )
    key = models.CharField(max_length=100)
    topic = models.CharField(max_length=24, choices=ChatTopic.choices)
    body = models.JSONField()
    held_for_quiet_hours = models.BooleanField(default=False)

    class Meta:
        ordering = ["-created", "-id"]
        verbose_name_plural = "chat deliveries"
        constraints = [models.UniqueConstraint(fields=["channel", "key"], name="unique_chat_delivery")]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="chat_delivery_due")]

    def __str__(self) -> str:
        return f"{self.get_topic_display()} → {self.channel.name} ({self.status})"


class ChatAttempt(BaseAttempt):
    delivery = models.ForeignKey(ChatDelivery, on_delete=models.CASCADE, related_name="attempt_log")

    class Meta:
        ordering = ["delivery", "number"]


class SlackUserLink(models.Model):
    """ "This Slack member is me": made by the user on their profile page; approve-from-Slack acts as this user."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="slack_link")
    slack_user_id = models.CharField(max_length=32, unique=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["user__username"]

    def __str__(self) -> str:
        return f"{self.slack_user_id} → {self.user}"


class SlackAction(models.Model):
    """Every approve/reject click and modal submission that passed the signature check: who, what, the outcome."""

    slack_user_id = models.CharField(max_length=32)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    change = models.ForeignKey("changes.Change", null=True, on_delete=models.SET_NULL, related_name="+")
    action = models.CharField(max_length=20)
    outcome = models.CharField(max_length=10, choices=SlackOutcome.choices)
    message = models.TextField(blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created", "-id"]

    def __str__(self) -> str:
        return f"{self.slack_user_id} {self.action}: {self.outcome}"
