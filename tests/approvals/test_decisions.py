from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from apps.accounts.models import TeamMembership
from apps.approvals.models import Approval, RequiredApproval
from apps.approvals.services import decide, inbox_for
from apps.changes import services
from apps.changes.choices import ActivityAction, ChangeStatus
from apps.changes.exceptions import ChangeForbidden, IllegalTransition
from apps.changes.models import ChangeTemplate
from apps.events.models import OutboxEvent
from tests.factories import MembershipFactory, UserFactory, environment


@pytest.mark.django_db
def test_submission_opens_a_round_from_the_policies(make_change, prod_high_risk_policy):
    change = make_change(risk="high")
    assert change.status == ChangeStatus.SUBMITTED
    slots = RequiredApproval.objects.filter(change=change)
    assert {(slot.team.slug, slot.reasons) for slot in slots} == {
        ("billing-dev", "Prod high risk"),
        ("ops", "Prod high risk"),
    }


@pytest.mark.django_db
def test_nobody_approves_their_own_change(make_change, requester, team):
    TeamMembership.objects.filter(team=team, user=requester).update(is_lead=True)
    change = make_change()
    with pytest.raises(ChangeForbidden, match="your own change"):
        decide(change=change, actor=requester, decision="approved")


@pytest.mark.django_db
def test_only_members_of_a_required_group_decide(make_change, outsider, ops_lead):
    change = make_change()  # default policy: a lead of the change's team
    with pytest.raises(ChangeForbidden, match="1 lead of Billing dev"):
        decide(change=change, actor=outsider, decision="approved")
    with pytest.raises(ChangeForbidden):
        decide(change=change, actor=ops_lead, decision="approved")
    assert not Approval.objects.exists()


@pytest.mark.django_db
def test_members_who_are_not_leads_cannot_fill_a_leads_slot(make_change, team):
    member = UserFactory(username="member")
    MembershipFactory(team=team, user=member)
    with pytest.raises(ChangeForbidden):
        decide(change=make_change(), actor=member, decision="approved")


@pytest.mark.django_db
def test_every_required_approval_moves_the_change_to_approved(make_change, lead, ops_lead, prod_high_risk_policy):
    change = make_change(risk="high")
    decide(change=change, actor=lead, decision="approved", comment="dev side ok")
    change.refresh_from_db()
    assert change.status == ChangeStatus.SUBMITTED
    decide(change=change, actor=ops_lead, decision="approved")
    change.refresh_from_db()
    assert change.status == ChangeStatus.APPROVED and change.approved_at is not None
    assert change.activities.filter(action=ActivityAction.APPROVAL).count() == 2
    last = change.activities.filter(action=ActivityAction.TRANSITION).last()
    assert (last.to_status, last.note) == ("approved", "Every required approval is in.")


@pytest.mark.django_db
def test_each_slot_is_decided_once(make_change, lead, team):
    second_lead = UserFactory(username="lead2")
    MembershipFactory(team=team, user=second_lead, is_lead=True)
    extra_slot_change = make_change(env="qa")
    RequiredApproval.objects.filter(change=extra_slot_change).update(count=1)
    decide(change=extra_slot_change, actor=lead, decision="approved")
    with pytest.raises(IllegalTransition):
        decide(change=extra_slot_change, actor=second_lead, decision="approved")
    assert Approval.objects.filter(change=extra_slot_change).count() == 1


@pytest.mark.django_db
def test_the_same_person_cannot_decide_twice(make_change, lead, ops_lead, team, prod_high_risk_policy):
    MembershipFactory(team=prod_high_risk_policy.requirements.get(team__slug="ops").team, user=lead, is_lead=True)
    change = make_change(risk="high")
    decide(change=change, actor=lead, decision="approved")
    with pytest.raises(IllegalTransition, match="already decided"):
        decide(change=change, actor=lead, decision="approved")


@pytest.mark.django_db
def test_rejection_needs_a_comment_and_rejects(make_change, lead):
    change = make_change()
    with pytest.raises(ValidationError) as excinfo:
        decide(change=change, actor=lead, decision="rejected", comment=" ")
    assert "comment" in excinfo.value.message_dict
    decide(change=change, actor=lead, decision="rejected", comment="No test plan")
    change.refresh_from_db()
    assert change.status == ChangeStatus.REJECTED
    assert "No test plan" in change.activities.filter(to_status="rejected").get().note


@pytest.mark.django_db
def test_decisions_only_while_awaiting(make_change, lead):
    draft = make_change(submit=False)
    with pytest.raises(IllegalTransition, match="not awaiting approval"):
        decide(change=draft, actor=lead, decision="approved")


@pytest.mark.django_db
def test_standard_template_change_is_approved_on_submit(make_change, team, requester):
    template = ChangeTemplate.objects.create(
        name="Monthly OS patch",
        is_standard=True,
        kind="os_update",
        title="OS patch",
        risk="low",
        environment=environment("prod"),
        team=team,
        backout_plan="Boot the previous kernel",
    )
    change = make_change(kind="os_update", template=template, backout_plan="Boot the previous kernel")
    change.refresh_from_db()
    assert change.status == ChangeStatus.APPROVED
    assert "Monthly OS patch" in change.activities.filter(to_status="approved").get().note
    modified = make_change(kind="os_update", template=template, risk="medium", backout_plan="Boot the previous kernel")
    assert modified.status == ChangeStatus.SUBMITTED


@pytest.mark.django_db
def test_emergency_change_starts_first_and_is_approved_retroactively(make_change, requester, lead, settings):
    settings.EMERGENCY_APPROVAL_HOURS = 24
    change = make_change(change_type="emergency", hours_ahead=0)
    started = services.transition_change(change=change, target=ChangeStatus.IN_PROGRESS, actor=requester)
    assert started.approval_due_at - started.actual_start == timedelta(hours=24)
    assert not started.is_approval_overdue
    assert [c.pk for c in inbox_for(lead)] == [change.pk]
    before = (started.updated, started.version)
    decide(change=started, actor=lead, decision="approved")
    started.refresh_from_db()
    assert started.status == ChangeStatus.IN_PROGRESS and started.approved_at is not None
    assert inbox_for(lead) == []
    # Saved through the model: incremental sync (?updated_since=), the change feed and ICS SEQUENCE see it.
    assert started.updated > before[0] and started.version == before[1] + 1
    (published,) = OutboxEvent.objects.filter(event_type="change.approved", payload__change__id=change.pk)
    assert published.payload["retroactive"] is True


@pytest.mark.django_db
def test_overdue_emergency_is_flagged(make_change, requester, lead):
    change = make_change(change_type="emergency", hours_ahead=0)
    services.transition_change(change=change, target=ChangeStatus.IN_PROGRESS, actor=requester)
    change.refresh_from_db()
    change.approval_due_at = timezone.now() - timedelta(minutes=1)
    change.save()
    assert change.is_approval_overdue
    [row] = inbox_for(lead)
    assert row.is_approval_overdue


@pytest.mark.django_db
def test_material_edit_reopens_the_round(make_change, requester, lead):
    change = make_change()
    decide(change=change, actor=lead, decision="approved")
    change.refresh_from_db()
    edited, _ = services.update_change(change=change, actor=requester, fields={"artifact": "openssl 3.0.14"})
    assert edited.status == ChangeStatus.SUBMITTED and edited.approved_at is None
    assert [c.pk for c in inbox_for(lead)] == [change.pk]
    decide(change=edited, actor=lead, decision="approved")
    edited.refresh_from_db()
    assert edited.status == ChangeStatus.APPROVED
