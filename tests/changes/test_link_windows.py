"""The window copied onto host and service links stays in step with its change, whichever way the change is written.

apps.changes.windows is the only writer of those copies; each test here writes through one path (the form, the
API, change events, transitions, the services relation) and checks every link row of the change afterwards.
"""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from apps.approvals.services import decide
from apps.changes import services, windows
from apps.changes.choices import ChangeStatus
from apps.changes.models import Change, ChangeHost, ChangeService
from tests.factories import ChangeFactory, ChangeHostFactory, HostFactory, ServiceFactory, environment

EVENTS = "/api/v1/change-events"


def assert_in_step(change: Change) -> None:
    change.refresh_from_db()
    window = (change.eff_start, change.eff_end)
    hosts = set(ChangeHost.objects.filter(change=change).values_list("eff_start", "eff_end"))
    links = set(ChangeService.objects.filter(change=change).values_list("eff_start", "eff_end"))
    assert hosts and links, "the change should have host and service links"
    assert hosts | links == {window}


@pytest.fixture
def billing(db):
    return ServiceFactory(name="billing-web")


@pytest.fixture
def web(db):
    return [HostFactory(hostname=f"web{n:02d}.prod") for n in (1, 2, 3)]


@pytest.fixture
def draft(requester, team, web, billing):
    start = (timezone.now() + timedelta(days=3)).replace(minute=0, second=0, microsecond=0)
    return services.create_change(
        actor=requester,
        hosts=web[:2],
        services=[billing],
        title="Billing release",
        kind="release",
        environment=environment("prod"),
        team=team,
        planned_start=start,
        planned_end=start + timedelta(hours=2),
        artifact="billing 2.4.0",
        backout_plan="Reinstall 2.3.9",
    )


@pytest.fixture
def approved(draft, requester, lead):
    change = services.submit_change(change=draft, actor=requester)
    decide(change=change, actor=lead, decision="approved")
    change.refresh_from_db()
    assert change.status == ChangeStatus.APPROVED
    return change


@pytest.mark.django_db
def test_creating_links_them_with_the_window(draft):
    assert_in_step(draft)


@pytest.mark.django_db
def test_form_edit_moving_the_window_and_adding_a_host(login, requester, draft, web, billing):
    start = draft.planned_start + timedelta(days=1, hours=3)
    local = "%Y-%m-%dT%H:%M"
    data = {
        "kind": draft.kind,
        "change_type": draft.change_type,
        "title": draft.title,
        "environment": draft.environment_id,
        "team": draft.team_id,
        "planned_start": timezone.localtime(start).strftime(local),
        "planned_end": timezone.localtime(start + timedelta(hours=4)).strftime(local),
        "risk": draft.risk,
        "artifact": draft.artifact,
        "backout_plan": draft.backout_plan,
        "hosts": [host.hostname for host in web],
        "services": [billing.pk],
        "version": draft.version,
        "intent": "draft",
    }
    response = login(requester).post(reverse("changes:change_edit", args=[draft.pk]), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    draft.refresh_from_db()
    assert (draft.eff_start, draft.host_links.count()) == (start, 3)
    assert_in_step(draft)


@pytest.mark.django_db
def test_api_patch_moving_the_window(as_user, requester, draft):
    start = draft.planned_start - timedelta(hours=5)
    body = {"planned_start": start.isoformat(), "planned_end": (start + timedelta(hours=1)).isoformat(), "version": 1}
    response = as_user(requester).patch(f"/api/v1/changes/{draft.pk}", body, format="json")
    assert response.status_code == 200, response.json()
    draft.refresh_from_db()
    assert draft.eff_start == start
    assert_in_step(draft)


@pytest.mark.django_db
def test_an_unplanned_change_from_a_change_event(as_user, requester, web, billing):
    started = timezone.now() - timedelta(hours=2)
    event = {
        "payload": {"summary": "Deployed billing 2.4.0", "source": "jenkins"},
        "hosts": [host.hostname for host in web],
        "services": [billing.name],
        "environment": "prod",
        "started_at": started.isoformat(),
        "ended_at": (started + timedelta(minutes=10)).isoformat(),
    }
    response = as_user(requester).post(EVENTS, event, format="json")
    assert response.status_code == 202, response.json()
    change = Change.objects.get(pk=response.json()["change"])
    assert change.eff_start == started
    assert_in_step(change)


@pytest.mark.django_db
def test_an_execution_report_setting_the_actual_times_and_hosts(as_user, requester, approved, web):
    started = timezone.now() - timedelta(minutes=30)
    event = {
        "payload": {"summary": "Rolled out", "source": "argo"},
        "change": approved.pk,
        "hosts": [host.hostname for host in web],  # web03 was not planned: it is linked by the report
        "started_at": started.isoformat(),
        "ended_at": (started + timedelta(minutes=20)).isoformat(),
    }
    response = as_user(requester).post(EVENTS, event, format="json")
    assert response.status_code == 202, response.json()
    approved.refresh_from_db()
    assert (approved.actual_start, approved.eff_start) == (started, started)
    assert_in_step(approved)


@pytest.mark.django_db
def test_starting_and_completing_record_the_actual_times(requester, approved):
    running = services.transition_change(change=approved, target=ChangeStatus.IN_PROGRESS, actor=requester)
    assert running.actual_start is not None
    assert_in_step(running)
    done = services.transition_change(
        change=running, target=ChangeStatus.COMPLETED, actor=requester, note="Done.", confirm_incomplete=True
    )
    assert done.actual_end is not None
    assert_in_step(done)


@pytest.mark.django_db
def test_services_added_through_the_relation_from_either_side():
    change, other = ChangeFactory(), ChangeFactory()
    ChangeHostFactory(change=change)
    ChangeHostFactory(change=other)
    change.services.add(ServiceFactory())
    ServiceFactory().changes.add(other)
    change.services.set([*change.services.all(), ServiceFactory()])
    assert_in_step(change)
    assert_in_step(other)


@pytest.mark.django_db
def test_a_save_of_the_change_alone_moves_its_links():
    """Whatever saves the model (a task, a command, a test) moves the links with it."""
    change = ChangeFactory()
    ChangeHostFactory(change=change)
    change.services.add(ServiceFactory())
    change.actual_start = change.planned_start - timedelta(minutes=45)
    change.save(update_fields=["actual_start"])
    assert_in_step(change)


def test_the_admin_cannot_write_the_copies():
    # The admin shows changes and their links read-only (the portal edits them); the copies are not even editable
    # fields, so no model form (admin or other) can set them.
    for model in (Change, ChangeHost, ChangeService):
        assert not any(model._meta.get_field(name).editable for name in ("eff_start", "eff_end"))


@pytest.mark.django_db
def test_rebuild_link_windows_puts_every_link_back_in_step_and_is_idempotent(capsys):
    changes = [ChangeFactory() for _ in range(3)]
    for change in changes:
        ChangeHostFactory(change=change)
        ChangeHostFactory(change=change)
        change.services.add(ServiceFactory())
    # Out of step as a bulk load or a repair by hand could leave them (neither goes through the app).
    wrong = timezone.now() - timedelta(days=400)
    ChangeHost.objects.filter(change=changes[0]).update(eff_start=wrong, eff_end=wrong)
    ChangeService.objects.filter(change=changes[2]).update(eff_end=wrong + timedelta(days=800))

    call_command("rebuild_link_windows", batch=1)
    assert "3 link rows out of step" in capsys.readouterr().out
    for change in changes:
        assert_in_step(change)
    call_command("rebuild_link_windows")
    assert "0 link rows out of step" in capsys.readouterr().out
    assert windows.rebuild() == 0
