from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.utils import timezone

from apps.changes.models import Change, ChangeHost
from apps.changes.models.change import effective_window
from apps.inventory.models import Host
from tests.factories import ChangeFactory, ChangeHostFactory, HostFactory, environment


def test_effective_window_prefers_actual_times_and_never_ends_before_start():
    planned = (timezone.now(), timezone.now() + timedelta(hours=2))
    assert effective_window(*planned) == planned
    actual_start = planned[0] + timedelta(hours=3)
    assert effective_window(*planned, actual_start=actual_start) == (actual_start, actual_start)


@pytest.mark.django_db
def test_end_before_start_is_a_validation_error():
    start = timezone.now()
    change = Change(title="x", environment=environment("prod"), planned_start=start, planned_end=start)
    with pytest.raises(ValidationError) as excinfo:
        change.full_clean()
    assert "after the planned start" in str(excinfo.value.message_dict["planned_end"])


@pytest.mark.django_db
def test_overlong_change_is_refused(settings):
    settings.MAX_CHANGE_DURATION_HOURS = 24
    start = timezone.now()
    change = Change(
        title="x", environment=environment("prod"), planned_start=start, planned_end=start + timedelta(hours=25)
    )
    with pytest.raises(ValidationError, match="at most 24 hours"):
        change.full_clean()


@pytest.mark.django_db
def test_bad_links_are_refused():
    start = timezone.now()
    change = Change(
        title="x",
        environment=environment("prod"),
        planned_start=start,
        planned_end=start + timedelta(hours=1),
        links=[{"kind": "build", "url": "javascript:alert(1)"}],
    )
    with pytest.raises(ValidationError, match="not a valid http"):
        change.full_clean(exclude=["eff_start", "eff_end"])


@pytest.mark.django_db
def test_duplicate_hostname_is_a_validation_error_whatever_the_case():
    HostFactory(hostname="web01")
    duplicate = Host(hostname="WEB01", environment=environment("qa"))
    with pytest.raises(ValidationError) as excinfo:
        duplicate.full_clean()
    assert "already exists" in str(excinfo.value)


@pytest.mark.django_db
def test_bad_hostname_is_a_validation_error():
    with pytest.raises(ValidationError, match="letters, digits"):
        Host(hostname="web 01;rm", environment=environment("qa")).full_clean()


@pytest.mark.django_db
def test_database_refuses_end_before_start_even_without_clean():
    start = timezone.now()
    with pytest.raises(IntegrityError):
        Change.objects.create(
            title="x", environment=environment("prod"), planned_start=start, planned_end=start - timedelta(hours=1)
        )


@pytest.mark.django_db
def test_saving_new_times_syncs_link_rows():
    link = ChangeHostFactory()
    change = link.change
    change.actual_start = change.planned_start - timedelta(hours=5)
    change.actual_end = change.planned_start - timedelta(hours=4)
    change.save()
    link.refresh_from_db()
    assert (link.eff_start, link.eff_end) == (change.actual_start, change.actual_end)


@pytest.mark.django_db
def test_overlapping_selects_by_effective_window():
    now = timezone.now()
    inside = ChangeFactory(planned_start=now, planned_end=now + timedelta(hours=1))
    spanning = ChangeFactory(planned_start=now - timedelta(days=1), planned_end=now + timedelta(days=1))
    ending_at_start = ChangeFactory(planned_start=now - timedelta(hours=2), planned_end=now - timedelta(minutes=30))
    found = set(Change.objects.overlapping(now - timedelta(minutes=30), now + timedelta(hours=2)))
    assert found == {inside, spanning}
    assert ending_at_start not in found
    assert ChangeHost.objects.count() == 0


@pytest.mark.django_db
def test_saving_a_change_loaded_without_some_fields_writes_only_what_it_holds(django_assert_num_queries):
    change = ChangeFactory(title="Old title", summary="Kept summary")
    partial = Change.objects.defer("summary", "implementation_plan").get(pk=change.pk)
    Change.objects.filter(pk=change.pk).update(summary="Edited meanwhile")
    partial.title = "New title"
    with django_assert_num_queries(1) as captured:  # the UPDATE: no query to fetch each deferred field
        partial.save()
    assert "summary" not in captured.captured_queries[0]["sql"]
    change.refresh_from_db()
    assert (change.title, change.summary) == ("New title", "Edited meanwhile")
