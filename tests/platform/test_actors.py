"""Who acts is never lost: services refuse "nobody", and record the person with any right they used."""

import pytest

from apps.changes import services
from apps.changes.choices import ChangeStatus
from apps.changes.exceptions import ChangeForbidden
from apps.platform.actors import Actor, as_actor
from tests.factories import ChangeFactory


def test_nobody_is_not_an_actor():
    with pytest.raises(TypeError):
        as_actor(None)
    with pytest.raises(TypeError):
        Actor.automatic("  ")


@pytest.mark.django_db
def test_a_user_acts_with_their_own_rights(outsider):
    change = ChangeFactory(status=ChangeStatus.DRAFT)
    with pytest.raises(ChangeForbidden):
        services.transition_change(change=change, target=ChangeStatus.CANCELLED, actor=outsider, note="no")


@pytest.mark.django_db
def test_the_system_is_recorded_as_what_it_is(requester):
    change = ChangeFactory(status=ChangeStatus.DRAFT)
    services.transition_change(change=change, target=ChangeStatus.CANCELLED, actor=Actor.automatic("janitor"), note="x")
    entry = change.activities.get()
    assert entry.actor is None and entry.actor_name == "" and entry.acting_as == "system: janitor"


@pytest.mark.django_db
def test_a_granted_right_is_recorded_with_the_person_and_never_opens_a_decision(outsider):
    change = ChangeFactory(status=ChangeStatus.SUBMITTED)
    lead_of_others = Actor.person(outsider, authority="team lead: backout")
    with pytest.raises(ChangeForbidden):  # decisions are taken only through apps.approvals
        services.transition_change(change=change, target=ChangeStatus.APPROVED, actor=lead_of_others)
    services.transition_change(change=change, target=ChangeStatus.CANCELLED, actor=lead_of_others, note="bridge")
    entry = change.activities.get()
    assert entry.actor == outsider and entry.acting_as == "team lead: backout"
