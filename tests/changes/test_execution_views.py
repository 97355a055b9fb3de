from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from apps.approvals.services import decide
from apps.changes import services
from apps.changes.choices import ChangeStatus, HostExecutionState
from apps.changes.models import ChangeHost
from tests.factories import HostFactory, environment

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def running(team, requester, lead):
    start = timezone.now() - timedelta(minutes=30)
    hosts = [HostFactory(hostname=f"web{n:02d}") for n in range(1, 5)]
    change = services.create_change(
        actor=requester,
        hosts=hosts,
        title="Manual config step",
        kind="manual",
        environment=environment("prod"),
        team=team,
        planned_start=start,
        planned_end=start + timedelta(hours=2),
        backout_plan="Restore the file",
        submit=True,
    )
    decide(change=change, actor=lead, decision="approved")
    return services.transition_change(change=change, target=ChangeStatus.IN_PROGRESS, actor=requester)


def _states(change):
    return dict(ChangeHost.objects.filter(change=change).values_list("host__hostname", "state"))


@pytest.mark.django_db
def test_mark_selected_hosts_and_see_progress(login, requester, running):
    url = reverse("changes:change_host_states", args=[running.pk])
    response = login(requester).post(
        url, {"hosts": ["web01", "web02"], "state": "applied", "note": "done", "scope": "selected"}, **HTMX
    )
    body = response.content.decode()
    assert "Applied on 2 of 4 hosts" in body and 'pending: <span class="mono">web03, web04</span>' in body
    assert response["HX-Trigger"] == "changeUpdated"
    assert _states(running) == {"web01": "applied", "web02": "applied", "web03": "pending", "web04": "pending"}


@pytest.mark.django_db
def test_mark_all_pending_at_once(login, requester, running):
    services.set_host_states(
        change=running,
        hosts=[HostFactory._meta.model.objects.get(hostname="web01")],
        state=HostExecutionState.FAILED,
        actor=requester,
    )
    url = reverse("changes:change_host_states", args=[running.pk])
    login(requester).post(url, {"state": "applied", "scope": "all_pending"}, **HTMX)
    assert _states(running) == {"web01": "failed", "web02": "applied", "web03": "applied", "web04": "applied"}


@pytest.mark.django_db
def test_bulk_update_needs_a_selection_and_rights(login, requester, outsider, running):
    url = reverse("changes:change_host_states", args=[running.pk])
    response = login(requester).post(url, {"state": "applied", "scope": "selected"}, **HTMX)
    assert "Select at least one host" in response.content.decode()
    response = login(outsider).post(url, {"hosts": ["web01"], "state": "applied", "scope": "selected"}, **HTMX)
    assert "Only the requester" in response.content.decode()
    assert set(_states(running).values()) == {"pending"}


@pytest.mark.django_db
def test_completing_with_unapplied_hosts_needs_confirmation_and_a_note(login, requester, running):
    hosts = list(HostFactory._meta.model.objects.filter(hostname__in=["web01", "web02"]))
    services.set_host_states(change=running, hosts=hosts, state="applied", actor=requester)
    with pytest.raises(ValidationError, match="pending: web03, web04"):
        services.transition_change(change=running, target=ChangeStatus.COMPLETED, actor=requester)
    with pytest.raises(ValidationError):
        services.transition_change(
            change=running, target=ChangeStatus.COMPLETED, actor=requester, confirm_incomplete=True
        )
    url = reverse("changes:change_transition", args=[running.pk])
    client = login(requester)
    response = client.post(url, {"target": "completed", "note": ""}, **HTMX)
    assert "Confirm and write a note" in response.content.decode()
    response = client.post(
        url, {"target": "completed", "note": "web03/web04 retired", "confirm_incomplete": "on"}, **HTMX
    )
    running.refresh_from_db()
    assert running.status == ChangeStatus.COMPLETED
    entry = running.activities.filter(to_status="completed").get()
    assert "Completed with hosts not applied: pending: web03, web04" in entry.note


@pytest.mark.django_db
def test_completing_when_all_hosts_applied_needs_no_confirmation(requester, running):
    services.set_host_states(change=running, hosts=running.hosts.all(), state="applied", actor=requester)
    done = services.transition_change(change=running, target=ChangeStatus.COMPLETED, actor=requester)
    assert done.status == ChangeStatus.COMPLETED


@pytest.mark.django_db
def test_detail_page_refreshes_activity_after_an_action(login, requester, running):
    client = login(requester)
    body = client.get(running.get_absolute_url()).content.decode()
    assert 'hx-trigger="changeUpdated from:body"' in body
    response = client.get(running.get_absolute_url(), {"fragment": "activity"}, **HTMX)
    assert response.content.decode().lstrip().startswith('<ol class="timeline" id="activity-entries"')
