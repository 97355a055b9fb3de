"""Choices for changes, each with the badge colour the UI shows next to it."""

from django.db import models


class ChangeKind(models.TextChoices):
    RELEASE = "release", "Release"
    PATCH = "patch", "Security patch"
    OS_UPDATE = "os_update", "OS update"
    FIREWALL = "firewall", "Firewall rule"
    CONFIG = "config", "Configuration"
    DATABASE = "database", "Database"
    INFRASTRUCTURE = "infrastructure", "Infrastructure"
    MANUAL = "manual", "Manual tweak"
    OTHER = "other", "Other"

    @classmethod
    def colors(cls) -> dict[str, str]:
        return {
            cls.RELEASE: "blue",
            cls.PATCH: "red",
            cls.OS_UPDATE: "orange",
            cls.FIREWALL: "purple",
            cls.CONFIG: "teal",
            cls.DATABASE: "brown",
            cls.INFRASTRUCTURE: "indigo",
            cls.MANUAL: "pink",
            cls.OTHER: "gray",
        }


class ChangeStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Submitted"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    IN_PROGRESS = "in_progress", "In progress"
    COMPLETED = "completed", "Completed"
    FAILED = "failed", "Failed"
    BACKED_OUT = "backed_out", "Backed out"
    CANCELLED = "cancelled", "Cancelled"

    @classmethod
    def colors(cls) -> dict[str, str]:
        return {
            cls.DRAFT: "gray",
            cls.SUBMITTED: "yellow",
            cls.APPROVED: "green",
            cls.REJECTED: "red",
            cls.IN_PROGRESS: "blue",
            cls.COMPLETED: "teal",
            cls.FAILED: "red",
            cls.BACKED_OUT: "orange",
            cls.CANCELLED: "gray",
        }


class ChangeRisk(models.TextChoices):
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"
    CRITICAL = "critical", "Critical"

    @classmethod
    def colors(cls) -> dict[str, str]:
        return {cls.LOW: "green", cls.MEDIUM: "yellow", cls.HIGH: "orange", cls.CRITICAL: "red"}


class ChangeType(models.TextChoices):
    NORMAL = "normal", "Normal"
    STANDARD = "standard", "Standard (pre-approved)"
    EMERGENCY = "emergency", "Emergency"


class HostExecutionState(models.TextChoices):
    PENDING = "pending", "Pending"
    APPLIED = "applied", "Applied"
    FAILED = "failed", "Failed"
    SKIPPED = "skipped", "Skipped"
    ROLLED_BACK = "rolled_back", "Rolled back"

    @classmethod
    def colors(cls) -> dict[str, str]:
        return {
            cls.PENDING: "gray",
            cls.APPLIED: "green",
            cls.FAILED: "red",
            cls.SKIPPED: "yellow",
            cls.ROLLED_BACK: "orange",
        }


class ActivityAction(models.TextChoices):
    CREATED = "created", "Created"
    TRANSITION = "transition", "Status change"
    EDIT = "edit", "Edit"
    COMMENT = "comment", "Comment"
    HOST_STATE = "host_state", "Host state"
    HOSTS = "hosts", "Hosts changed"
    APPROVAL = "approval", "Approval decision"


class LinkKind(models.TextChoices):
    BUILD = "build", "Build"
    COMMIT = "commit", "Commit"
    TICKET = "ticket", "Ticket"
    OTHER = "other", "Link"
