import pytest

from apps.changes import permissions, services
from apps.changes.choices import ChangeStatus
from apps.changes.exceptions import ChangeForbidden
from tests.factories import ChangeFactory


@pytest.fixture
def submitted(team, requester):
    return ChangeFactory(status=ChangeStatus.SUBMITTED, team=team, requester=requester)


@pytest.mark.django_db
def test_approval_is_a_decision_not_a_status_move(submitted, lead):
    with pytest.raises(ChangeForbidden, match="recorded as decisions"):
        services.transition_change(change=submitted, target=ChangeStatus.APPROVED, actor=lead)
    submitted.refresh_from_db()
    assert submitted.status == ChangeStatus.SUBMITTED


@pytest.mark.django_db
def test_outsider_cannot_move_a_change(submitted, outsider):
    with pytest.raises(ChangeForbidden, match="Only the requester"):
        services.transition_change(change=submitted, target=ChangeStatus.CANCELLED, actor=outsider, note="no")
    assert permissions.available_actions(outsider, submitted) == []


@pytest.mark.django_db
def test_available_actions_follow_role(submitted, requester, lead):
    requester_targets = {action.target for action in permissions.available_actions(requester, submitted)}
    assert requester_targets == {ChangeStatus.CANCELLED, ChangeStatus.DRAFT}
    lead_targets = {action.target for action in permissions.available_actions(lead, submitted)}
    assert ChangeStatus.APPROVED not in lead_targets and ChangeStatus.REJECTED not in lead_targets


@pytest.mark.django_db
def test_emergency_change_offers_start_before_approval(team, requester):
    emergency = ChangeFactory(status=ChangeStatus.SUBMITTED, team=team, requester=requester, change_type="emergency")
    normal = ChangeFactory(status=ChangeStatus.SUBMITTED, team=team, requester=requester)
    assert ChangeStatus.IN_PROGRESS in {a.target for a in permissions.available_actions(requester, emergency)}
    assert ChangeStatus.IN_PROGRESS not in {a.target for a in permissions.available_actions(requester, normal)}


@pytest.mark.django_db
def test_reapproval_is_never_a_manual_action(team, requester):
    change = ChangeFactory(status=ChangeStatus.APPROVED, team=team, requester=requester)
    targets = {action.target for action in permissions.available_actions(requester, change)}
    assert ChangeStatus.SUBMITTED not in targets
    assert ChangeStatus.IN_PROGRESS in targets


@pytest.mark.django_db
def test_people_without_a_team_do_not_request_changes(requester, outsider):
    assert permissions.can_create(requester)
    assert not permissions.can_create(outsider)
