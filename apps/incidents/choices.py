from django.db import models


class Severity(models.TextChoices):
    SEV1 = "sev1", "SEV1 (critical)"
    SEV2 = "sev2", "SEV2 (major)"
    SEV3 = "sev3", "SEV3 (minor)"

    @classmethod
    def colors(cls) -> dict[str, str]:
        return {cls.SEV1: "red", cls.SEV2: "orange", cls.SEV3: "yellow"}


class IncidentStatus(models.TextChoices):
    OPEN = "open", "Open"
    MITIGATED = "mitigated", "Mitigated"
    RESOLVED = "resolved", "Resolved"

    @classmethod
    def colors(cls) -> dict[str, str]:
        return {cls.OPEN: "red", cls.MITIGATED: "yellow", cls.RESOLVED: "green"}


# The incident's one status table: open -> mitigated -> resolved, and back to open if it flares up again.
INCIDENT_TRANSITIONS: dict[str, tuple[str, ...]] = {
    IncidentStatus.OPEN: (IncidentStatus.MITIGATED, IncidentStatus.RESOLVED),
    IncidentStatus.MITIGATED: (IncidentStatus.RESOLVED, IncidentStatus.OPEN),
    IncidentStatus.RESOLVED: (IncidentStatus.OPEN,),
}


class Verdict(models.TextChoices):
    """What the bridge concluded about one suspect change; the latest mark per change counts."""

    LIKELY_CAUSE = "likely_cause", "Likely cause"
    RULED_OUT = "ruled_out", "Ruled out"
    SUSPECT = "suspect", "Back to suspect"

    @classmethod
    def colors(cls) -> dict[str, str]:
        return {cls.LIKELY_CAUSE: "red", cls.RULED_OUT: "gray", cls.SUSPECT: "yellow"}


class FindingRole(models.TextChoices):
    """A post-incident conclusion about a change, recorded once the bridge knows (it feeds the metrics)."""

    CONFIRMED_CAUSE = "confirmed_cause", "Confirmed cause"
    FIXED_BY = "fixed_by", "Fixed by"

    @classmethod
    def colors(cls) -> dict[str, str]:
        return {cls.CONFIRMED_CAUSE: "red", cls.FIXED_BY: "green"}


class NoteKind(models.TextChoices):
    NOTE = "note", "Note"
    STATUS = "status", "Status"
    MARK = "mark", "Suspect marked"
    BACKOUT = "backout", "Backout"
    OPENED = "opened", "Opened"
    FINDING = "finding", "Finding"


class SuspectScope(models.TextChoices):
    """How a change reaches the host under investigation, strongest first."""

    DIRECT = "direct", "On this host"
    SERVICE = "service", "Via its service"
    ENVIRONMENT = "environment", "Environment-wide"
