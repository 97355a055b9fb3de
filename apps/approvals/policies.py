"""Which approvals a change needs: every active policy that matches applies, combined per team."""

from dataclasses import dataclass, field

from apps.approvals.models import ApprovalPolicy
from apps.changes.models import Change

DEFAULT_REASON = "Default: no policy matched, so one lead of the change's team decides."


@dataclass
class Requirement:
    team: object | None  # a Team, or None for "a lead of any team"
    count: int = 1
    leads_only: bool = True
    reasons: list[str] = field(default_factory=list)


def policy_matches(policy: ApprovalPolicy, change: Change, *, service_ids: set[int]) -> bool:
    if policy.kinds and change.kind not in policy.kinds:
        return False
    if policy.risks and change.risk not in policy.risks:
        return False
    if policy.production_only and not change.environment.is_production:
        return False
    environment_ids = {environment.pk for environment in policy.environments.all()}
    if environment_ids and change.environment_id not in environment_ids:
        return False
    policy_services = {service.pk for service in policy.services.all()}
    if policy_services and not policy_services & service_ids:
        return False
    if policy.freeze_exception_only and not change.needs_freeze_exception:
        return False
    return True


def matching_policies(change: Change) -> list[ApprovalPolicy]:
    policies = ApprovalPolicy.objects.filter(is_active=True).prefetch_related(
        "environments", "services", "requirements__team"
    )
    service_ids = set(change.services.values_list("pk", flat=True))
    return [policy for policy in policies if policy_matches(policy, change, service_ids=service_ids)]


def requirements_for(change: Change) -> list[Requirement]:
    by_team: dict[int | None, Requirement] = {}
    for policy in matching_policies(change):
        for rule in policy.requirements.all():
            requirement = by_team.setdefault(rule.team_id, Requirement(team=rule.team, count=0, leads_only=False))
            requirement.count = max(requirement.count, rule.count)
            requirement.leads_only = requirement.leads_only or rule.leads_only
            requirement.reasons.append(policy.name)
    if not by_team:
        return [Requirement(team=change.team, count=1, leads_only=True, reasons=[DEFAULT_REASON])]
    return sorted(by_team.values(), key=lambda requirement: requirement.team.name if requirement.team else "")
