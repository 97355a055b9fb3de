import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone

from apps.accounts.choices import SavedViewPage, TeamKind, Theme, TokenScope


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"{value!r} is not a known time zone (use a name such as Europe/Paris).")


class Team(models.Model):
    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=100, unique=True)
    kind = models.CharField(max_length=20, choices=TeamKind.choices, default=TeamKind.OTHER)
    description = models.TextField(blank=True)
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, through="TeamMembership", related_name="teams")

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("accounts:team_detail", args=[self.slug])

    def leads(self):
        return self.members.filter(team_memberships__team=self, team_memberships__is_lead=True)


class TeamMembership(models.Model):
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="team_memberships")
    is_lead = models.BooleanField(default=False, help_text="Leads approve their team's changes.")
    joined = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["team__name", "-is_lead", "user__username"]
        constraints = [models.UniqueConstraint(fields=["team", "user"], name="unique_team_membership")]

    def __str__(self) -> str:
        role = "lead" if self.is_lead else "member"
        return f"{self.user} ({role} of {self.team})"


class UserProfile(models.Model):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile")
    time_zone = models.CharField(
        max_length=64,
        blank=True,
        validators=[validate_time_zone],
        help_text="Times are shown and entered in this zone. Empty: the server default.",
    )
    # Calendar clients cannot log in, so the ICS/Atom feeds take this secret in the URL instead.
    feed_token = models.CharField(max_length=64, unique=True, null=True, blank=True, editable=False)
    # Night shifts want dark pages whatever the laptop says; base.html puts it on <html data-theme>.
    theme = models.CharField(
        max_length=10,
        choices=Theme.choices,
        default=Theme.SYSTEM,
        help_text="Dark pages for night shifts; printing stays light.",
    )

    def __str__(self) -> str:
        return f"Profile of {self.user}"


class ApiToken(models.Model):
    """A personal API token. Only a SHA-256 of the secret is stored; ``prefix`` is the visible part used to find it.

    The token itself (``cp_<prefix>_<secret>``) is shown once, when created (apps.accounts.tokens).
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100, help_text="What uses it, e.g. 'deploy pipeline'.")
    prefix = models.CharField(max_length=16, unique=True, editable=False)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    scope = models.CharField(max_length=12, choices=TokenScope.choices, default=TokenScope.READ)
    created = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(null=True, blank=True, help_text="Empty: never expires.")
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created", "-id"]
        indexes = [models.Index(fields=["user", "created"], name="apitoken_user_created")]

    def __str__(self) -> str:
        return f"{self.name} ({self.display_prefix}) of {self.user}"

    @property
    def display_prefix(self) -> str:
        return f"cp_{self.prefix}…"

    @property
    def is_read_only(self) -> bool:
        return self.scope == TokenScope.READ

    def is_usable(self, now) -> bool:
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)


class SavedView(models.Model):
    """A user's named filter set for one page ("my team's week"): the page's URL with this query string."""

    MAX_QUERY_LENGTH = 1000  # well inside every browser's URL limit

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_views")
    page = models.CharField(max_length=20, choices=SavedViewPage.choices)
    name = models.CharField(max_length=80)
    query = models.CharField(max_length=MAX_QUERY_LENGTH, blank=True)
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["page", Lower("name"), "id"]
        constraints = [
            models.UniqueConstraint("user", "page", Lower("name"), name="unique_saved_view_name"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_page_display()}) of {self.user}"

    def get_absolute_url(self) -> str:
        path = reverse(SavedViewPage(self.page).url_name)
        return f"{path}?{self.query}" if self.query else path
