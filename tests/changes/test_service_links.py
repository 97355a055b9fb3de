"""Change↔service links carry their change's window (index changeservice_service_time), whoever makes them."""

from datetime import timedelta

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from apps.changes import services
from apps.changes.models import ChangeService
from tests.factories import ChangeFactory, ServiceFactory, environment


def _windows(change) -> set[tuple]:
    return set(ChangeService.objects.filter(change=change).values_list("eff_start", "eff_end"))


@pytest.mark.django_db
def test_links_added_from_either_side_get_the_window():
    change, other = ChangeFactory(), ChangeFactory()
    billing, search = ServiceFactory(), ServiceFactory()
    change.services.add(billing)
    search.changes.add(other)
    change.services.set([billing, search])
    assert _windows(change) == {(change.eff_start, change.eff_end)}
    assert _windows(other) == {(other.eff_start, other.eff_end)}
    assert ChangeService.objects.count() == 3


@pytest.mark.django_db
def test_a_new_window_moves_the_links_along(requester, team):
    start = timezone.now() + timedelta(days=2)
    change = services.create_change(
        actor=requester,
        title="Rotate certificates",
        environment=environment("prod"),
        team=team,
        planned_start=start,
        planned_end=start + timedelta(hours=1),
        services=[ServiceFactory()],
    )
    assert _windows(change) == {(start, start + timedelta(hours=1))}
    change, _diff = services.update_change(
        change=change,
        actor=requester,
        fields={"planned_start": start + timedelta(days=1), "planned_end": start + timedelta(days=1, hours=3)},
    )
    assert _windows(change) == {(start + timedelta(days=1), start + timedelta(days=1, hours=3))}


@pytest.mark.django_db
def test_a_link_saved_on_its_own_takes_the_window():
    """What the admin's service inline does: a ChangeService saved as a model, not through the relation."""
    change = ChangeFactory()
    ChangeService(change=change, service=ServiceFactory()).save()
    assert _windows(change) == {(change.eff_start, change.eff_end)}


@pytest.mark.django_db(transaction=True)
def test_the_migration_fills_the_windows_of_existing_links():
    executor = MigrationExecutor(connection)
    before, after = (
        [("changes", "0003_change_approval_due_at_change_approved_at_and_more")],
        [("changes", "0004_changeservice")],
    )
    executor.migrate(before)
    old = executor.loader.project_state(before).apps
    change = old.get_model("changes", "Change").objects.create(
        title="Old link",
        planned_start=timezone.now(),
        planned_end=timezone.now() + timedelta(hours=2),
        eff_start=timezone.now(),
        eff_end=timezone.now() + timedelta(hours=2),
        environment_id=environment("prod").pk,
    )
    service = old.get_model("inventory", "Service").objects.create(name="legacy", slug="legacy")
    change.services.add(service)
    executor.loader.build_graph()
    executor.migrate(after)
    link = ChangeService.objects.get(change_id=change.pk)
    assert (link.eff_start, link.eff_end) == (change.eff_start, change.eff_end)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
