from django.db import models


class TeamKind(models.TextChoices):
    DEV = "dev", "Development"
    OPS = "ops", "Operations"
    RELEASE = "release", "Release management"
    OTHER = "other", "Other"


class TokenScope(models.TextChoices):
    """What an API token may do: read-only tokens get 403 on every unsafe method; inventory tokens read everything
    and write only hosts and services (and only staff create them); read-write tokens write what their user may."""

    READ = "read", "Read only"
    READ_WRITE = "read_write", "Read and write"
    INVENTORY = "inventory", "Read, and write hosts and services"


class Theme(models.TextChoices):
    """The colour scheme of the portal's pages: the device's setting (prefers-color-scheme), or always one."""

    SYSTEM = "system", "Same as the device"
    LIGHT = "light", "Light"
    DARK = "dark", "Dark"


class SavedViewPage(models.TextChoices):
    """The pages a saved view can reopen, each with its URL name; the URL's query string is the view."""

    CALENDAR = "calendar", "Calendar"
    CHANGES = "changes", "Change list"

    @property
    def url_name(self) -> str:
        return {"calendar": "schedule:calendar", "changes": "changes:change_list"}[self.value]

    @property
    def volatile_keys(self) -> tuple[str, ...]:
        """Parameters left out of a saved view: the calendar's date (a view says "this week", not "week 49"), the
        list's page number."""
        return {"calendar": ("date",), "changes": ("page",)}[self.value]
