import pytest

from apps.changes import permissions, services
from apps.changes.choices import ChangeStatus
from apps.changes.exceptions import ChangeForbidden
from tests.factories import ChangeFactory


@pytest.fixture
def submitted(team, requester):
    return ChangeFactory(status=ChangeStatus.SUBMITTED, team=team, requester=requester)


@pytest.mark.django_db
def test_requester_cannot_approve_own_change(submitted, requester):
    with pytest.raises(ChangeForbidden, match="your own change"):
        services.transition_change(change=submitted, target=ChangeStatus.APPROVED, actor=requester)
    submitted.refresh_from_db()
    assert submitted.status == ChangeStatus.SUBMITTED


@pytest.mark.django_db
def test_lead_of_the_team_approves(submitted, lead):
    approved = services.transition_change(change=submitted, target=ChangeStatus.APPROVED, actor=lead)
    assert approved.status == ChangeStatus.APPROVED
    assert approved.activities.get().actor == lead


@pytest.mark.django_db
def test_outsider_can_neither_edit_nor_decide(submitted, outsider):
    with pytest.raises(ChangeForbidden):
        services.transition_change(change=submitted, target=ChangeStatus.CANCELLED, actor=outsider, note="no")
    with pytest.raises(ChangeForbidden):
        services.transition_change(change=submitted, target=ChangeStatus.APPROVED, actor=outsider)
    assert permissions.available_actions(outsider, submitted) == []


@pytest.mark.django_db
def test_available_actions_follow_role(submitted, requester, lead):
    requester_targets = {action.target for action in permissions.available_actions(requester, submitted)}
    lead_targets = {action.target for action in permissions.available_actions(lead, submitted)}
    assert requester_targets == {ChangeStatus.CANCELLED, ChangeStatus.DRAFT}
    assert {ChangeStatus.APPROVED, ChangeStatus.REJECTED} <= lead_targets


@pytest.mark.django_db
def test_reapproval_is_never_a_manual_action(team, requester):
    change = ChangeFactory(status=ChangeStatus.APPROVED, team=team, requester=requester)
    targets = {action.target for action in permissions.available_actions(requester, change)}
    assert ChangeStatus.SUBMITTED not in targets
    assert ChangeStatus.IN_PROGRESS in targets
