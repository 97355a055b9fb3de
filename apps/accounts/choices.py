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
