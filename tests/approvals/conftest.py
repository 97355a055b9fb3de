from datetime import timedelta

import pytest
from django.utils import timezone

from apps.approvals.models import ApprovalPolicy, PolicyRequirement
from apps.changes import services
from tests.factories import MembershipFactory, TeamFactory, UserFactory, environment


@pytest.fixture
def ops_team(db):
    return TeamFactory(name="Operations", slug="ops")


@pytest.fixture
def ops_lead(ops_team):
    user = UserFactory(username="olga")
    MembershipFactory(team=ops_team, user=user, is_lead=True)
    return user


@pytest.fixture
def release_team(db):
    return TeamFactory(name="Release management", slug="release")


@pytest.fixture
def release_manager(release_team):
    user = UserFactory(username="rita")
    MembershipFactory(team=release_team, user=user, is_lead=True)
    return user


@pytest.fixture
def prod_high_risk_policy(team, ops_team):
    policy = ApprovalPolicy.objects.create(name="Prod high risk", production_only=True, risks=["high", "critical"])
    PolicyRequirement.objects.create(policy=policy, team=team)
    PolicyRequirement.objects.create(policy=policy, team=ops_team)
    return policy


@pytest.fixture
def freeze_policy(release_team):
    policy = ApprovalPolicy.objects.create(name="Freeze exception", freeze_exception_only=True, order=20)
    PolicyRequirement.objects.create(policy=policy, team=release_team)
    return policy


@pytest.fixture
def make_change(team, requester):
    def _make(*, submit=True, env="prod", risk="low", hours_ahead=48, **fields):
        start = timezone.now() + timedelta(hours=hours_ahead)
        values = {
            "title": "Patch openssl",
            "kind": "patch",
            "environment": environment(env),
            "team": team,
            "risk": risk,
            "planned_start": start,
            "planned_end": start + timedelta(hours=2),
            "backout_plan": "Reinstall the previous package",
        } | fields
        return services.create_change(actor=requester, submit=submit, **values)

    return _make
