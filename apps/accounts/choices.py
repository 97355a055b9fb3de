from django.db import models


class TeamKind(models.TextChoices):
    DEV = "dev", "Development"
    OPS = "ops", "Operations"
    RELEASE = "release", "Release management"
    OTHER = "other", "Other"


class TokenScope(models.TextChoices):
    """What an API token may do: read-only tokens get 403 on every unsafe method."""

    READ = "read", "Read only"
    READ_WRITE = "read_write", "Read and write"
