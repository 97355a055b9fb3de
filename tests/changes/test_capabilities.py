"""Templates ask a change's capabilities (apps.changes.permissions.capabilities); they never compare statuses."""

import re
from pathlib import Path

import pytest

from apps.changes import services, state_machine
from apps.changes.choices import ChangeStatus
from apps.changes.permissions import capabilities
from apps.platform.actors import Actor
from tests.factories import ChangeFactory

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("status", "can_edit", "closed", "may_submit", "withdraws", "completes"),
    [
        (ChangeStatus.DRAFT, True, False, True, False, False),
        (ChangeStatus.REJECTED, True, False, True, False, False),
        (ChangeStatus.APPROVED, True, False, False, True, False),
        (ChangeStatus.IN_PROGRESS, True, False, False, False, True),
        (ChangeStatus.BACKED_OUT, False, True, False, False, False),
        (ChangeStatus.CANCELLED, False, True, False, False, False),
    ],
)
def test_what_the_requester_may_do(requester, team, status, can_edit, closed, may_submit, withdraws, completes):
    caps = capabilities(requester, ChangeFactory(status=status, requester=requester, team=team))
    assert (caps.can_edit, caps.is_closed, caps.may_submit) == (can_edit, closed, may_submit)
    assert (caps.edit_withdraws_approval, caps.completes_with_confirmation) == (withdraws, completes)
    allowed = {
        target for target in state_machine.allowed_targets(status) if state_machine.taken_by_people(status, target)
    }
    assert {action.target for action in caps.actions} <= allowed


@pytest.mark.django_db
def test_an_outsider_may_do_nothing(outsider):
    caps = capabilities(outsider, ChangeFactory(status=ChangeStatus.APPROVED))
    assert caps.can_edit is False and caps.actions == [] and caps.completes_with_confirmation is False


def test_no_template_compares_a_change_status():
    comparisons = [
        f"{path.relative_to(TEMPLATES)}: {match.group(0)}"
        for path in TEMPLATES.rglob("*.html")
        for match in re.finditer(r"change\.status\s*(==|!=|in)\s*\S+", path.read_text())
    ]
    assert comparisons == []


@pytest.mark.django_db
def test_the_log_says_what_acted_when_no_person_did(login, requester, team):
    change = ChangeFactory(status=ChangeStatus.DRAFT, requester=requester, team=team)
    services.add_comment(change=change, actor=requester, text="Heads-up")
    services.transition_change(
        change=change, target=ChangeStatus.CANCELLED, actor=Actor.automatic("cleanup job"), note="stale"
    )
    page = login(requester).get(change.get_absolute_url()).content.decode()
    assert "system: cleanup job" in page and "requester" in page
