from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from apps.approvals.choices import Decision
from apps.changes.choices import ChangeKind, ChangeRisk


class Approval(models.Model):
    """A lead's decision on a change. Withdrawn (not deleted) when a material edit follows it."""

    change = models.ForeignKey("changes.Change", on_delete=models.CASCADE, related_name="approvals")
    team = models.ForeignKey(
        "accounts.Team",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="approvals",
        help_text="The team this decision was given for.",
    )
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="approvals")
    decision = models.CharField(max_length=10, choices=Decision.choices)
    comment = models.TextField(blank=True)
    decided_at = models.DateTimeField(default=timezone.now, editable=False)  # decide(at=...) may set it
    change_version = models.PositiveIntegerField(help_text="The change's version the decision was made on.")
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["decided_at", "id"]
        indexes = [models.Index(fields=["change", "withdrawn_at"], name="approval_change_current")]

    def __str__(self) -> str:
        return f"{self.get_decision_display()} by {self.decided_by} on CHG-{self.change_id}"

    @property
    def is_current(self) -> bool:
        return self.withdrawn_at is None

    def get_decision_color(self) -> str:
        return Decision.colors().get(self.decision, "gray")


class ApprovalPolicy(models.Model):
    """Who must approve which changes. Every active policy that matches a change applies (all matches):
    their requirements are combined, so a production, high-risk change inside a freeze needs the leads of
    both rules. When none matches, one lead of the change's own team decides (see approvals.policies)."""

    name = models.CharField(max_length=100, unique=True)
    description = models.TextField(blank=True)
    order = models.PositiveIntegerField(default=100, help_text="Lower is shown first; all matching policies apply.")
    is_active = models.BooleanField(default=True)
    kinds = models.JSONField(default=list, blank=True, help_text='Kinds it applies to, e.g. ["release"]. Empty: any.')
    risks = models.JSONField(default=list, blank=True, help_text='Risks it applies to, e.g. ["high", "critical"].')
    production_only = models.BooleanField(default=False, help_text="Only changes to a production environment.")
    environments = models.ManyToManyField("inventory.Environment", blank=True, related_name="approval_policies")
    services = models.ManyToManyField(
        "inventory.Service", blank=True, related_name="approval_policies", help_text="Empty: any service."
    )
    freeze_exception_only = models.BooleanField(
        default=False, help_text="Only changes whose window hits a freeze window (a freeze exception)."
    )

    class Meta:
        ordering = ["order", "name"]
        verbose_name_plural = "approval policies"

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        errors = {}
        for field, valid in (("kinds", ChangeKind.values), ("risks", ChangeRisk.values)):
            values = getattr(self, field)
            if not isinstance(values, list) or any(value not in valid for value in values):
                errors[field] = f"Give a list of: {', '.join(valid)}."
        if errors:
            raise ValidationError(errors)


class PolicyRequirement(models.Model):
    policy = models.ForeignKey(ApprovalPolicy, on_delete=models.CASCADE, related_name="requirements")
    team = models.ForeignKey("accounts.Team", on_delete=models.PROTECT, related_name="+")
    count = models.PositiveSmallIntegerField(default=1)
    leads_only = models.BooleanField(default=True, help_text="Only the team's leads may decide for it.")

    class Meta:
        ordering = ["policy", "team__name"]
        constraints = [models.UniqueConstraint(fields=["policy", "team"], name="unique_policy_team")]

    def __str__(self) -> str:
        who = "lead" if self.leads_only else "member"
        return f"{self.count} {who}{'s' if self.count != 1 else ''} of {self.team}"


class RequiredApproval(models.Model):
    """A slot to fill on one change, computed from the policies when the change is submitted."""

    change = models.ForeignKey("changes.Change", on_delete=models.CASCADE, related_name="required_approvals")
    team = models.ForeignKey(
        "accounts.Team",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="Empty: a lead of any team.",
    )
    count = models.PositiveSmallIntegerField(default=1)
    leads_only = models.BooleanField(default=True)
    reasons = models.TextField(blank=True, help_text="Which policies asked for it.")
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["team__name", "id"]
        constraints = [models.UniqueConstraint(fields=["change", "team"], name="unique_required_team")]

    def __str__(self) -> str:
        return f"{self.count} from {self.team or 'any team'} on CHG-{self.change_id}"
