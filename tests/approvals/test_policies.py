from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError

from apps.approvals.models import ApprovalPolicy, PolicyRequirement
from apps.approvals.policies import DEFAULT_REASON, matching_policies, requirements_for
from apps.changes import services
from apps.platform.actors import Actor
from tests.factories import FreezeWindowFactory, ServiceFactory, environment


def _policy(name, team, **criteria):
    services = criteria.pop("services", [])
    environments = criteria.pop("environments", [])
    policy = ApprovalPolicy.objects.create(name=name, **criteria)
    policy.services.set(services)
    policy.environments.set(environments)
    PolicyRequirement.objects.create(policy=policy, team=team)
    return policy


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("criteria", "matching_fields", "other_fields"),
    [
        ({"kinds": ["release"]}, {"kind": "release"}, {"kind": "patch"}),
        ({"risks": ["high"]}, {"risk": "high"}, {"risk": "medium"}),
        ({"production_only": True}, {"env": "prod"}, {"env": "qa"}),
    ],
)
def test_each_simple_criterion(make_change, ops_team, criteria, matching_fields, other_fields):
    policy = _policy("p", ops_team, **criteria)
    assert matching_policies(make_change(submit=False, **matching_fields)) == [policy]
    assert matching_policies(make_change(submit=False, **other_fields)) == []


@pytest.mark.django_db
def test_environment_and_service_criteria(make_change, ops_team):
    billing, other = ServiceFactory(name="billing-web"), ServiceFactory(name="reporting")
    by_env = _policy("qa only", ops_team, environments=[environment("qa")])
    by_service = _policy("billing", ops_team, services=[billing])
    qa_change = make_change(submit=False, env="qa")
    billing_change = make_change(submit=False)
    billing_change.services.add(billing)
    other_change = make_change(submit=False)
    other_change.services.add(other)
    assert matching_policies(qa_change) == [by_env]
    assert matching_policies(billing_change) == [by_service]
    assert matching_policies(other_change) == []


@pytest.mark.django_db
def test_freeze_exception_criterion(make_change, release_team):
    policy = _policy("freeze", release_team, freeze_exception_only=True)
    change = make_change(submit=False)
    assert matching_policies(change) == []
    freeze = FreezeWindowFactory(start=change.planned_start - timedelta(hours=1), end=change.planned_end)
    freeze.environments.add(environment("prod"))
    change.save()
    changed, _ = services.update_change(
        change=change, actor=Actor.automatic("test"), fields={"freeze_justification": "CVE fix"}
    )
    assert changed.needs_freeze_exception
    assert matching_policies(changed) == [policy]


@pytest.mark.django_db
def test_all_matching_policies_combine_per_team(make_change, team, ops_team, release_team):
    first = _policy("Prod", ops_team, production_only=True, order=10)
    second = _policy("Patches", ops_team, kinds=["patch"], order=20)
    PolicyRequirement.objects.filter(policy=second).update(count=2)
    PolicyRequirement.objects.create(policy=second, team=release_team)
    inactive = _policy("Off", team, is_active=False)
    change = make_change(submit=False)
    assert matching_policies(change) == [first, second]
    requirements = {(r.team.slug, r.count, tuple(r.reasons)) for r in requirements_for(change)}
    assert requirements == {("ops", 2, ("Prod", "Patches")), ("release", 1, ("Patches",))}
    assert inactive not in matching_policies(change)


@pytest.mark.django_db
def test_default_is_one_lead_of_the_changes_team(make_change, team):
    [requirement] = requirements_for(make_change(submit=False))
    assert (requirement.team, requirement.count, requirement.leads_only) == (team, 1, True)
    assert requirement.reasons == [DEFAULT_REASON]


@pytest.mark.django_db
def test_policy_lists_are_validated():
    with pytest.raises(ValidationError) as excinfo:
        ApprovalPolicy(name="bad", kinds=["volcano"], risks="high").clean()
    assert set(excinfo.value.message_dict) == {"kinds", "risks"}
