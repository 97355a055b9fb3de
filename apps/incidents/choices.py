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
