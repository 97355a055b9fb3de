"""The demo's approval policies and standard template (the examples the approval issue asks for)."""

from apps.accounts.models import Team
from apps.approvals.models import ApprovalPolicy, PolicyRequirement
from apps.changes.choices import ChangeKind, ChangeRisk
from apps.changes.models import ChangeTemplate
from apps.dashboard.demo.people import DEV_TEAM, OPS_TEAM, RELEASE_TEAM
from apps.inventory.models import Environment

STANDARD_OS_PATCH_TEMPLATE = "Monthly OS patch (standard)"


def ensure_approval_setup() -> None:
    teams = {team.slug: team for team in Team.objects.filter(slug__in=[DEV_TEAM, OPS_TEAM, RELEASE_TEAM])}
    risky, _ = ApprovalPolicy.objects.get_or_create(
        name="Production, high or critical risk",
        defaults={
            "order": 10,
            "production_only": True,
            "risks": [ChangeRisk.HIGH, ChangeRisk.CRITICAL],
            "description": "Both sides sign: one dev lead and one ops lead.",
        },
    )
    for slug in (DEV_TEAM, OPS_TEAM):
        PolicyRequirement.objects.get_or_create(policy=risky, team=teams[slug], defaults={"count": 1})
    freeze, _ = ApprovalPolicy.objects.get_or_create(
        name="Freeze exception",
        defaults={
            "order": 20,
            "freeze_exception_only": True,
            "description": "Changes inside a freeze window need the release manager.",
        },
    )
    PolicyRequirement.objects.get_or_create(policy=freeze, team=teams[RELEASE_TEAM], defaults={"count": 1})
    ChangeTemplate.objects.get_or_create(
        name=STANDARD_OS_PATCH_TEMPLATE,
        defaults={
            "is_standard": True,
            "kind": ChangeKind.OS_UPDATE,
            "title": "Monthly OS security updates",
            "summary": "apt security updates, one host at a time behind the load balancer.",
            "implementation_plan": "For each host: drain from the LB, apt-get upgrade, reboot if needed, re-add.",
            "backout_plan": "Boot the previous kernel; apt-get install the previous package versions.",
            "test_plan": "Health check green on each host before the next one.",
            "risk": ChangeRisk.LOW,
            "environment": Environment.objects.get(slug="prod"),
            "team": teams[OPS_TEAM],
            "duration_minutes": 180,
        },
    )
