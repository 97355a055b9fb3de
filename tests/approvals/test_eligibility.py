"""One rule for who may decide: the decision panel, the inbox, its badge count and decide() agree on every case."""

import pytest

from apps.approvals import eligibility, rounds
from apps.approvals.inbox import inbox_count
from apps.approvals.models import RequiredApproval
from apps.approvals.services import decide, inbox_for
from apps.changes.exceptions import ChangeError
from tests.factories import MembershipFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(team, requester, lead, ops_lead, outsider):
    member = UserFactory(username="member")
    MembershipFactory(team=team, user=member)
    ops_member = UserFactory(username="ops-member")
    MembershipFactory(team=TeamFactory(name="Ops", slug="ops-2"), user=ops_member)
    return [requester, lead, ops_lead, outsider, member, ops_member]


def _slot(change, *, team=None, leads_only=True):
    RequiredApproval.objects.filter(change=change).delete()
    RequiredApproval.objects.create(change=change, team=team, count=1, leads_only=leads_only)
    return change


@pytest.mark.parametrize(
    ("slot", "deciders"),
    [
        ({"team": "team", "leads_only": True}, {"lead"}),
        ({"team": "team", "leads_only": False}, {"lead", "member"}),
        ({"team": None, "leads_only": True}, {"lead", "olga"}),
        ({"team": None, "leads_only": False}, {"lead", "olga", "member", "ops-member"}),
    ],
)
def test_panel_inbox_badge_and_decide_agree(make_change, team, people, slot, deciders):
    change = _slot(make_change(), team=team if slot["team"] else None, leads_only=slot["leads_only"])
    for user in people:
        may = eligibility.can_decide(user, change, rounds.slots(change))
        assert may == (user.username in deciders), user.username
        assert (change in inbox_for(user)) == may and inbox_count(user) == int(may), user.username
        if not may:
            with pytest.raises(ChangeError):
                decide(change=change, actor=user, decision="approved")
    winner = next(user for user in people if user.username in deciders)
    decide(change=change, actor=winner, decision="approved")


def test_the_requester_never_decides_even_as_a_lead(make_change, team, requester):
    MembershipFactory(team=TeamFactory(name="Other", slug="other"), user=requester, is_lead=True)
    change = _slot(make_change(), team=None, leads_only=False)
    assert eligibility.never_decides(requester, change) == eligibility.OWN_CHANGE
    assert not eligibility.can_decide(requester, change, rounds.slots(change)) and inbox_count(requester) == 0
