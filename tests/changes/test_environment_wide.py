"""Change.environment_wide (no host and no service linked) stays in step with the link rows, whichever way they are
written: the form, the API, change events (single and batch), execution reports, the services relation, links
saved or deleted on their own, the migration for existing rows and the rebuild command.

apps.changes.environment_wide is its only writer; every test here writes through one path and then compares
every change's flag with its link rows.
"""

import importlib
from datetime import timedelta

import pytest
from django.apps import apps as django_apps
from django.core.management import call_command
from django.db.models import Exists, OuterRef
from django.urls import reverse
from django.utils import timezone

from apps.approvals.services import decide
from apps.changes import environment_wide, services
from apps.changes.choices import ChangeStatus
from apps.changes.models import Change, ChangeHost, ChangeService
from tests.factories import ChangeFactory, ChangeHostFactory, HostFactory, ServiceFactory, environment

EVENTS = "/api/v1/change-events"
BATCH = "/api/v1/change-events/batch"

pytestmark = pytest.mark.django_db


def flags() -> dict[int, bool]:
    """Every change's flag, checked against its links: the flag must say 'no host and no service link'."""
    unlinked = ~Exists(ChangeHost.objects.filter(change_id=OuterRef("pk"))) & ~Exists(
        ChangeService.objects.filter(change_id=OuterRef("pk"))
    )
    rows = Change.objects.annotate(unlinked=unlinked).values_list("pk", "environment_wide", "unlinked")
    assert [(pk, flag) for pk, flag, truth in rows if flag != truth] == [], "out of step with the links"
    return {pk: flag for pk, flag, _ in rows}


@pytest.fixture
def web(db):
    return [HostFactory(hostname=f"web{n:02d}.prod") for n in (1, 2, 3)]


@pytest.fixture
def billing(db):
    return ServiceFactory(name="billing-web")


def _create(requester, team, **links):
    start = (timezone.now() + timedelta(days=3)).replace(minute=0, second=0, microsecond=0)
    return services.create_change(
        actor=requester,
        title="Kernel parameters",
        kind="config",
        environment=environment("prod"),
        team=team,
        planned_start=start,
        planned_end=start + timedelta(hours=2),
        backout_plan="Restore the previous values",
        **links,
    )


def test_create_change_with_and_without_links(requester, team, web, billing):
    wide = _create(requester, team)
    on_hosts = _create(requester, team, hosts=web[:1])
    on_service = _create(requester, team, services=[billing])
    assert flags() == {wide.pk: True, on_hosts.pk: False, on_service.pk: False}
    assert (wide.environment_wide, on_hosts.environment_wide) == (True, False)


def test_form_create_and_edit_of_the_host_list(login, requester, team, web):
    start = (timezone.now() + timedelta(days=3)).replace(minute=0, second=0, microsecond=0)
    local = "%Y-%m-%dT%H:%M"
    data = {
        "kind": "patch",
        "change_type": "normal",
        "title": "Patch libssl",
        "environment": environment("prod").pk,
        "team": team.pk,
        "planned_start": timezone.localtime(start).strftime(local),
        "planned_end": timezone.localtime(start + timedelta(hours=2)).strftime(local),
        "risk": "low",
        "backout_plan": "",
        "intent": "draft",
    }
    client = login(requester)
    assert client.post(reverse("changes:change_create"), data).status_code == 302
    change = Change.objects.get()
    assert flags() == {change.pk: True}
    edit = reverse("changes:change_edit", args=[change.pk])
    response = client.post(edit, data | {"hosts": [web[0].hostname], "version": 1})
    assert response.status_code == 302, response.content.decode()[:2000]
    assert flags() == {change.pk: False}
    assert client.post(edit, data | {"hosts": [], "version": 2}).status_code == 302
    assert flags() == {change.pk: True}


def test_api_create_and_patch(as_user, requester, web, billing):
    client = as_user(requester)
    start = timezone.now() + timedelta(days=2)
    body = {
        "title": "Rotate certificates",
        "environment": "prod",
        "planned_start": start.isoformat(),
        "planned_end": (start + timedelta(hours=2)).isoformat(),
        "kind": "config",
    }
    created = client.post("/api/v1/changes", body, format="json")
    assert created.status_code == 201, created.json()
    pk = created.json()["id"]
    assert flags() == {pk: True}
    patched = client.patch(f"/api/v1/changes/{pk}", {"services": [billing.name], "version": 1}, format="json")
    assert patched.status_code == 200, patched.json()
    assert flags() == {pk: False}
    patched = client.patch(f"/api/v1/changes/{pk}", {"services": [], "hosts": ["web02.prod"], "version": 2}, "json")
    assert patched.status_code == 200, patched.json()
    assert flags() == {pk: False}
    assert client.patch(f"/api/v1/changes/{pk}", {"hosts": [], "version": 3}, format="json").status_code == 200
    assert flags() == {pk: True}


def _event(key: str, **fields) -> dict:
    started = timezone.now() - timedelta(hours=2)
    return {
        "payload": {"summary": f"Event {key}", "source": "jenkins"},
        "environment": "prod",
        "dedup_key": key,
        "started_at": started.isoformat(),
        "ended_at": (started + timedelta(minutes=10)).isoformat(),
    } | fields


def test_change_events_single_and_batch(as_user, requester, web, billing):
    client = as_user(requester)
    single_wide = client.post(EVENTS, _event("s1"), format="json").json()["change"]
    single_hosts = client.post(EVENTS, _event("s2", hosts=["web01.prod"]), format="json").json()["change"]
    events = [_event("b1"), _event("b2", hosts=["web02.prod"]), _event("b3", services=[billing.name]), _event("b4")]
    response = client.post(BATCH, {"events": events}, format="json")
    assert response.status_code == 200, response.json()
    batch = [item["result"]["change"] for item in response.json()["results"]]
    expected = {single_wide: True, single_hosts: False, batch[0]: True, batch[1]: False, batch[2]: False}
    assert flags() == expected | {batch[3]: True}


def test_an_execution_report_linking_hosts_to_an_environment_wide_change(as_user, requester, lead, team, web):
    change = services.submit_change(change=_create(requester, team), actor=requester)
    decide(change=change, actor=lead, decision="approved")
    assert flags() == {change.pk: True}
    report = {"payload": {"summary": "Ran"}, "change": change.pk, "hosts": ["web03.prod"]}
    response = as_user(requester).post(EVENTS, report, format="json")
    assert response.status_code == 202, response.json()
    assert flags() == {change.pk: False}
    change.refresh_from_db()
    assert change.status == ChangeStatus.APPROVED


def test_links_saved_and_deleted_on_their_own_and_the_services_relation():
    first, second = ChangeFactory(), ChangeFactory()
    assert flags() == {first.pk: True, second.pk: True}
    link = ChangeHostFactory(change=first)
    service = ServiceFactory()
    service.changes.add(second)
    assert flags() == {first.pk: False, second.pk: False}
    link.delete()
    service.changes.remove(second)
    assert flags() == {first.pk: True, second.pk: True}
    first.services.set([ServiceFactory()])
    second.services.add(service)
    ChangeHostFactory(change=second)
    second.services.clear()
    assert flags() == {first.pk: False, second.pk: False}
    ChangeHost.objects.filter(change=second).delete()
    assert flags() == {first.pk: False, second.pk: True}


def test_a_stale_instance_saved_later_does_not_undo_the_flag():
    change = ChangeFactory()
    stale = Change.objects.get(pk=change.pk)
    ChangeHostFactory(change=change)
    stale.title = "Renamed by an instance loaded before the link"
    stale.save()
    assert flags() == {change.pk: False}
    assert Change.objects.get(pk=change.pk).title == stale.title


def test_the_admin_cannot_write_it():
    assert not Change._meta.get_field("environment_wide").editable


def test_the_migration_marks_the_changes_that_existed_before_the_column():
    linked, wide = ChangeFactory(), ChangeFactory()
    ChangeHostFactory(change=linked)
    Change.objects.update(environment_wide=False)  # the column's database default, as the migration adds it
    migration = importlib.import_module("apps.changes.migrations.0009_environment_wide")
    migration.mark_environment_wide(django_apps, None)
    assert flags() == {linked.pk: False, wide.pk: True}


def test_rebuild_puts_every_flag_back_in_step_and_is_idempotent(capsys):
    changes = [ChangeFactory() for _ in range(4)]
    ChangeHostFactory(change=changes[0])
    changes[1].services.add(ServiceFactory())
    # Out of step as a bulk load or a repair by hand could leave them (neither goes through the app).
    Change.objects.filter(pk__in=[changes[0].pk, changes[2].pk]).update(environment_wide=True)
    Change.objects.filter(pk=changes[3].pk).update(environment_wide=False)

    call_command("rebuild_environment_wide")
    assert "2 changes out of step" in capsys.readouterr().out
    assert flags() == {changes[0].pk: False, changes[1].pk: False, changes[2].pk: True, changes[3].pk: True}
    call_command("rebuild_environment_wide")
    assert "0 changes out of step" in capsys.readouterr().out
    assert environment_wide.rebuild() == 0
