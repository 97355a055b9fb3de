import itertools
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from apps.changes import services, state_machine
from apps.changes.choices import ActivityAction, ChangeStatus
from apps.changes.exceptions import IllegalTransition
from apps.changes.models import ChangeActivity
from apps.changes.services.ingest import record_unplanned_change
from apps.platform.actors import Actor
from tests.factories import ChangeFactory, environment

ALLOWED = sorted((source, target) for source, targets in state_machine.TRANSITIONS.items() for target in targets)
FORBIDDEN = sorted(
    (source, target)
    for source, target in itertools.product(ChangeStatus.values, repeat=2)
    if (source, target) not in ALLOWED
)


def test_table_covers_every_status():
    assert set(state_machine.TRANSITIONS) == set(ChangeStatus.values)
    assert state_machine.TERMINAL == {ChangeStatus.BACKED_OUT, ChangeStatus.CANCELLED}


def test_documented_lifecycle_is_in_the_table():
    S = ChangeStatus
    lifecycle = [
        (S.DRAFT, S.SUBMITTED),
        (S.SUBMITTED, S.APPROVED),
        (S.APPROVED, S.IN_PROGRESS),
        (S.IN_PROGRESS, S.COMPLETED),
        (S.IN_PROGRESS, S.FAILED),
        (S.IN_PROGRESS, S.BACKED_OUT),
        (S.SUBMITTED, S.REJECTED),
        (S.DRAFT, S.CANCELLED),
        (S.SUBMITTED, S.CANCELLED),
        (S.APPROVED, S.CANCELLED),
    ]
    for source, target in lifecycle:
        assert state_machine.is_allowed(source, target), (source, target)


@pytest.mark.django_db
@pytest.mark.parametrize(("source", "target"), ALLOWED)
def test_every_allowed_transition_applies_and_is_logged(source, target):
    # Guarded moves (submitted -> in_progress) are allowed for emergency changes only.
    change_type = "emergency" if state_machine.transition(source, target).guard else "normal"
    change = ChangeFactory(status=source, change_type=change_type)
    result = services.transition_change(change=change, target=target, actor=Actor.automatic("test"), note="because")
    result.refresh_from_db()
    assert result.status == target
    entry = ChangeActivity.objects.get(change=change, action=ActivityAction.TRANSITION, from_status=source)
    assert (entry.action, entry.from_status, entry.to_status, entry.note) == (
        ActivityAction.TRANSITION,
        source,
        target,
        "because",
    )


@pytest.mark.django_db
@pytest.mark.parametrize(("source", "target"), FORBIDDEN)
def test_every_forbidden_transition_is_refused_and_changes_nothing(source, target):
    change = ChangeFactory(status=source)
    with pytest.raises(IllegalTransition) as excinfo:
        services.transition_change(change=change, target=target, actor=Actor.automatic("test"), note="because")
    assert ChangeStatus(source).label in excinfo.value.message
    assert excinfo.value.http_status == 409
    change.refresh_from_db()
    assert change.status == source
    assert not ChangeActivity.objects.filter(change=change).exists()


@pytest.mark.django_db
def test_unknown_target_is_a_clear_error():
    change = ChangeFactory(status=ChangeStatus.DRAFT)
    with pytest.raises(IllegalTransition, match="not a status"):
        services.transition_change(change=change, target="exploded", actor=Actor.automatic("test"))


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("source", "target"),
    [
        (ChangeStatus.SUBMITTED, ChangeStatus.REJECTED),
        (ChangeStatus.DRAFT, ChangeStatus.CANCELLED),
        (ChangeStatus.IN_PROGRESS, ChangeStatus.FAILED),
        (ChangeStatus.COMPLETED, ChangeStatus.BACKED_OUT),
    ],
)
def test_closing_transitions_require_a_note(source, target):
    change = ChangeFactory(status=source)
    with pytest.raises(ValidationError) as excinfo:
        services.transition_change(change=change, target=target, actor=Actor.automatic("test"), note="  ")
    assert "note" in excinfo.value.message_dict
    change.refresh_from_db()
    assert change.status == source


@pytest.mark.django_db
def test_starting_and_finishing_record_actual_times():
    change = ChangeFactory(status=ChangeStatus.APPROVED)
    started = services.transition_change(change=change, target=ChangeStatus.IN_PROGRESS, actor=Actor.automatic("test"))
    assert started.actual_start is not None and started.actual_end is None
    done = services.transition_change(change=started, target=ChangeStatus.COMPLETED, actor=Actor.automatic("test"))
    assert done.actual_end >= done.actual_start
    assert (done.eff_start, done.eff_end) == (done.actual_start, done.actual_end)


@pytest.mark.django_db
def test_only_emergency_changes_start_before_approval():
    normal = ChangeFactory(status=ChangeStatus.SUBMITTED)
    with pytest.raises(IllegalTransition, match="Only emergency changes"):
        services.transition_change(change=normal, target=ChangeStatus.IN_PROGRESS, actor=Actor.automatic("test"))
    emergency = ChangeFactory(status=ChangeStatus.SUBMITTED, change_type="emergency")
    started = services.transition_change(
        change=emergency, target=ChangeStatus.IN_PROGRESS, actor=Actor.automatic("test")
    )
    assert started.approval_due_at is not None


@pytest.mark.django_db
@pytest.mark.parametrize("status", [ChangeStatus.SUBMITTED, ChangeStatus.APPROVED, ChangeStatus.BACKED_OUT])
def test_a_recorded_change_is_born_only_in_a_recorded_status(status, requester):
    with pytest.raises(ValidationError) as refused:
        record_unplanned_change(
            actor=requester,
            title="Restarted nginx",
            environment=environment("prod"),
            status=status,
            is_unplanned=True,
            planned_start=timezone.now() - timedelta(hours=1),
            planned_end=timezone.now(),
        )
    assert "recorded after the fact" in str(refused.value)


@pytest.mark.django_db
def test_a_new_change_starts_as_a_draft(requester):
    with pytest.raises(IllegalTransition):
        services.create_change(
            actor=requester,
            title="Sneaky",
            environment=environment("qa"),
            status=ChangeStatus.APPROVED,
            planned_start=timezone.now() + timedelta(days=1),
            planned_end=timezone.now() + timedelta(days=1, hours=1),
        )
