from datetime import timedelta

import pytest
from django.utils import timezone

from apps.changes.choices import ChangeStatus
from apps.changes.collisions import collisions_for_change, find_collisions
from tests.factories import (
    ChangeFactory,
    ChangeHostFactory,
    FreezeWindowFactory,
    HostFactory,
    ServiceFactory,
    TeamFactory,
    environment,
)

HOUR = timedelta(hours=1)


@pytest.fixture
def start():
    return (timezone.now() + timedelta(days=5)).replace(minute=0, second=0, microsecond=0)


def _other(start, end, *, hosts=(), services=(), **fields):
    change = ChangeFactory(planned_start=start, planned_end=end, **fields)
    for host in hosts:
        ChangeHostFactory(change=change, host=host)
    change.services.add(*services)
    return change


@pytest.mark.django_db
def test_same_host_overlapping_is_reported_with_the_host(start):
    web1, web2 = HostFactory(hostname="web01"), HostFactory(hostname="web02")
    other = _other(start + HOUR, start + 3 * HOUR, hosts=[web1, web2])
    report = find_collisions(start=start, end=start + 2 * HOUR, host_ids=[web1.pk])
    assert [(c.change, c.hosts, c.services) for c in report.conflicts] == [(other, ["web01"], [])]


@pytest.mark.django_db
def test_same_service_overlapping_is_reported(start):
    billing = ServiceFactory(name="billing-web")
    other = _other(start, start + HOUR, services=[billing])
    report = find_collisions(start=start, end=start + HOUR, service_ids=[billing.pk])
    assert [(c.change, c.services) for c in report.conflicts] == [(other, ["billing-web"])]


@pytest.mark.django_db
def test_buffer_edges(start):
    web = HostFactory()
    # Ends exactly one buffer before our start: not a collision. A minute later: a collision.
    _other(start - 3 * HOUR, start - HOUR, hosts=[web], title="well before")
    report = find_collisions(start=start, end=start + HOUR, host_ids=[web.pk], buffer=HOUR)
    assert report.conflicts == []
    near = _other(start - 3 * HOUR, start - HOUR + timedelta(minutes=1), hosts=[web], title="just inside")
    report = find_collisions(start=start, end=start + HOUR, host_ids=[web.pk], buffer=HOUR)
    assert [c.change for c in report.conflicts] == [near]
    assert find_collisions(start=start, end=start + HOUR, host_ids=[web.pk], buffer=timedelta(0)).conflicts == []


@pytest.mark.django_db
def test_default_buffer_is_one_hour_and_configurable(start, settings):
    web = HostFactory()
    _other(start + 90 * timedelta(minutes=1), start + 3 * HOUR, hosts=[web])
    assert find_collisions(start=start, end=start + HOUR, host_ids=[web.pk]).conflicts
    settings.COLLISION_BUFFER_MINUTES = 15
    assert not find_collisions(start=start, end=start + HOUR, host_ids=[web.pk]).conflicts


@pytest.mark.django_db
def test_cancelled_and_rejected_changes_are_ignored(start):
    web = HostFactory()
    _other(start, start + HOUR, hosts=[web], status=ChangeStatus.CANCELLED)
    _other(start, start + HOUR, hosts=[web], status=ChangeStatus.REJECTED)
    draft = _other(start, start + HOUR, hosts=[web], status=ChangeStatus.DRAFT)
    assert [c.change for c in find_collisions(start=start, end=start + HOUR, host_ids=[web.pk]).conflicts] == [draft]


@pytest.mark.django_db
def test_unrelated_host_and_own_change_are_not_conflicts(start):
    web, db = HostFactory(), HostFactory()
    mine = _other(start, start + HOUR, hosts=[web])
    _other(start, start + HOUR, hosts=[db])
    assert collisions_for_change(mine).conflicts == []


@pytest.mark.django_db
def test_freeze_windows_of_the_environment_are_reported(start):
    freeze = FreezeWindowFactory(name="Black Friday", start=start - HOUR, end=start + 10 * HOUR)
    freeze.environments.add(environment("prod"))
    hit = find_collisions(start=start, end=start + HOUR, environment_id=environment("prod").pk)
    assert [f.name for f in hit.freezes] == ["Black Friday"]
    miss = find_collisions(start=start, end=start + HOUR, environment_id=environment("qa").pk)
    assert miss.freezes == []


@pytest.mark.django_db
def test_weekly_freeze_occurrence_is_honoured(start):
    first = start - timedelta(weeks=3)
    weekly = FreezeWindowFactory(name="Weekly", start=first, end=first + 2 * HOUR, recurrence="FREQ=WEEKLY")
    weekly.environments.add(environment("prod"))
    assert find_collisions(start=start + HOUR, end=start + 3 * HOUR, environment_id=environment("prod").pk).freezes
    assert not find_collisions(
        start=start + 3 * HOUR, end=start + 4 * HOUR, environment_id=environment("prod").pk
    ).freezes


@pytest.mark.django_db
def test_conflicting_change_carries_what_the_warning_shows(start):
    web = HostFactory(hostname="web01")
    ops = TeamFactory(name="Platform ops")
    other = _other(start, start + HOUR, hosts=[web], title="Patch openssl", status=ChangeStatus.APPROVED, team=ops)
    teamless = _other(start + HOUR, start + 2 * HOUR, hosts=[web], title="No team", status=ChangeStatus.SUBMITTED)
    first, second = find_collisions(start=start, end=start + HOUR, host_ids=[web.pk]).conflicts
    shown = (first.change.reference, first.change.title, first.change.get_status_display(), str(first.change.team))
    assert shown == (other.reference, "Patch openssl", "Approved", "Platform ops")
    assert (first.change.eff_start, first.change.eff_end) == (other.eff_start, other.eff_end)
    assert first.change.get_absolute_url() == other.get_absolute_url()
    assert (second.change, second.change.team, second.change.status) == (teamless, None, ChangeStatus.SUBMITTED)
    # Fields the warning does not show are still there when read.
    assert first.change.environment == other.environment and first.change.planned_start == other.planned_start


@pytest.mark.django_db
def test_host_and_service_conflict_of_one_change_is_one_entry(start):
    web, billing = HostFactory(hostname="web01"), ServiceFactory(name="billing-web")
    both = _other(start, start + HOUR, hosts=[web], services=[billing])
    report = find_collisions(start=start, end=start + HOUR, host_ids=[web.pk], service_ids=[billing.pk])
    assert [(c.change, c.hosts, c.services) for c in report.conflicts] == [(both, ["web01"], ["billing-web"])]


@pytest.mark.django_db
def test_service_conflicts_skip_cancelled_changes_and_the_change_itself(start):
    billing = ServiceFactory(name="billing-web")
    _other(start, start + HOUR, services=[billing], status=ChangeStatus.CANCELLED)
    mine = _other(start, start + HOUR, services=[billing])
    draft = _other(start, start + HOUR, services=[billing], status=ChangeStatus.DRAFT)
    report = find_collisions(start=start, end=start + HOUR, service_ids=[billing.pk], exclude_change_id=mine.pk)
    assert [c.change for c in report.conflicts] == [draft]


@pytest.mark.django_db
def test_conflicts_are_ordered_by_start_then_id(start):
    web = HostFactory()
    late = _other(start + HOUR, start + 2 * HOUR, hosts=[web])
    early_b = _other(start - HOUR, start + HOUR, hosts=[web])
    early_a = _other(start - HOUR, start + HOUR, hosts=[web])
    report = find_collisions(start=start, end=start + HOUR, host_ids=[web.pk])
    assert [c.change for c in report.conflicts] == [early_b, early_a, late]


@pytest.mark.django_db
def test_one_query_per_kind_of_link(start, django_assert_num_queries):
    web, db, billing = HostFactory(), HostFactory(), ServiceFactory()
    _other(start, start + HOUR, hosts=[web, db], services=[billing], team=TeamFactory())
    _other(start, start + HOUR, hosts=[db], team=TeamFactory())
    with django_assert_num_queries(1):
        report = find_collisions(start=start, end=start + HOUR, host_ids=[web.pk, db.pk])
        assert [str(c.change.team) for c in report.conflicts]  # the team names come with the links
    with django_assert_num_queries(2):
        find_collisions(start=start, end=start + HOUR, host_ids=[web.pk, db.pk], service_ids=[billing.pk])
