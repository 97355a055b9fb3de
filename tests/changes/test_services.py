from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from apps.changes import services
from apps.changes.choices import ActivityAction, ChangeStatus, HostExecutionState
from apps.changes.exceptions import IllegalTransition, StaleChange
from apps.changes.models import ChangeActivity, ChangeHost
from apps.platform.append_only import AppendOnlyError
from tests.factories import HostFactory, ServiceFactory, environment


def _new_change(actor, team, hosts=(), **overrides):
    start = timezone.now() + timedelta(days=2)
    fields = {
        "title": "Patch openssl",
        "kind": "patch",
        "environment": environment("prod"),
        "team": team,
        "planned_start": start,
        "planned_end": start + timedelta(hours=2),
        "artifact": "openssl 3.0.13-1",
    } | overrides
    return services.create_change(actor=actor, hosts=hosts, **fields)


@pytest.mark.django_db
def test_create_links_hosts_with_the_change_window_and_logs_creation(requester, team):
    hosts = HostFactory.create_batch(3)
    change = _new_change(requester, team, hosts)
    assert change.requester == requester
    links = ChangeHost.objects.filter(change=change)
    assert links.count() == 3
    assert {(link.eff_start, link.eff_end) for link in links} == {(change.eff_start, change.eff_end)}
    assert all(link.state == HostExecutionState.PENDING for link in links)
    entry = ChangeActivity.objects.get(change=change)
    assert entry.action == ActivityAction.CREATED
    assert entry.changes["hosts"]["after"] == sorted(host.hostname for host in hosts)


@pytest.mark.django_db
def test_create_refuses_end_before_start(requester, team):
    start = timezone.now()
    with pytest.raises(ValidationError) as excinfo:
        _new_change(requester, team, planned_start=start, planned_end=start - timedelta(minutes=5))
    assert "planned_end" in excinfo.value.message_dict


@pytest.mark.django_db
def test_edit_records_before_and_after_and_bumps_version(requester, team):
    change = _new_change(requester, team)
    new_start = change.planned_start + timedelta(hours=1)
    updated, diff = services.update_change(
        change=change,
        actor=requester,
        fields={
            "artifact": "openssl 3.0.13-2",
            "planned_start": new_start,
            "planned_end": new_start + timedelta(hours=1),
        },
        expected_version=change.version,
    )
    assert updated.version == change.version + 1
    assert diff["artifact"] == {"before": "openssl 3.0.13-1", "after": "openssl 3.0.13-2"}
    assert "planned_start" in diff
    entry = ChangeActivity.objects.filter(change=change, action=ActivityAction.EDIT).get()
    assert entry.changes == diff


@pytest.mark.django_db
def test_moving_a_change_moves_its_link_rows(requester, team):
    hosts = HostFactory.create_batch(2)
    change = _new_change(requester, team, hosts)
    later = change.planned_start + timedelta(days=1)
    updated, _ = services.update_change(
        change=change, actor=requester, fields={"planned_start": later, "planned_end": later + timedelta(hours=3)}
    )
    windows = set(ChangeHost.objects.filter(change=change).values_list("eff_start", "eff_end"))
    assert windows == {(later, later + timedelta(hours=3))}


@pytest.mark.django_db
def test_edit_of_hosts_and_services_is_recorded(requester, team):
    web1, web2, web3 = HostFactory.create_batch(3)
    change = _new_change(requester, team, [web1, web2])
    billing = ServiceFactory(name="billing-web")
    _, diff = services.update_change(change=change, actor=requester, fields={}, hosts=[web2, web3], services=[billing])
    assert diff["hosts"] == {
        "before": sorted([web1.hostname, web2.hostname]),
        "after": sorted([web2.hostname, web3.hostname]),
    }
    assert diff["services"] == {"before": [], "after": ["billing-web"]}
    assert set(change.host_links.values_list("host__hostname", flat=True)) == {web2.hostname, web3.hostname}


@pytest.mark.django_db
def test_stale_edit_is_refused(requester, team):
    change = _new_change(requester, team)
    services.update_change(change=change, actor=requester, fields={"title": "Patch openssl now"})
    with pytest.raises(StaleChange, match="someone else"):
        services.update_change(
            change=change, actor=requester, fields={"title": "Mine"}, expected_version=change.version
        )
    change.refresh_from_db()
    assert change.title == "Patch openssl now"


@pytest.mark.django_db
def test_closed_change_cannot_be_edited(requester, team):
    change = _new_change(requester, team)
    services.transition_change(change=change, target=ChangeStatus.CANCELLED, actor=requester, note="not needed")
    with pytest.raises(IllegalTransition):
        services.update_change(change=change, actor=requester, fields={"title": "x"})


@pytest.mark.django_db
def test_host_states_are_set_in_bulk_and_logged(requester, team):
    hosts = HostFactory.create_batch(3)
    change = _new_change(requester, team, hosts)
    updated = services.set_host_states(
        change=change, hosts=hosts[:2], state=HostExecutionState.APPLIED, actor=requester, note="ok"
    )
    assert updated == sorted(host.hostname for host in hosts[:2])
    states = dict(change.host_links.values_list("host__hostname", "state"))
    assert states[hosts[2].hostname] == HostExecutionState.PENDING
    entry = ChangeActivity.objects.get(change=change, action=ActivityAction.HOST_STATE)
    assert entry.changes[hosts[0].hostname] == {"before": "pending", "after": "applied"}


@pytest.mark.django_db
def test_host_state_for_a_foreign_host_is_refused(requester, team):
    change = _new_change(requester, team, HostFactory.create_batch(1))
    stranger = HostFactory(hostname="stranger01")
    with pytest.raises(ValidationError, match="stranger01"):
        services.set_host_states(change=change, hosts=[stranger], state="applied", actor=requester)


@pytest.mark.django_db
def test_comment_needs_text(requester, team):
    change = _new_change(requester, team)
    with pytest.raises(ValidationError):
        services.add_comment(change=change, actor=requester, text="   ")
    entry = services.add_comment(change=change, actor=requester, text="Coordinated with ops")
    assert entry.actor_name == requester.username


@pytest.mark.django_db
def test_activity_log_is_append_only(requester, team):
    change = _new_change(requester, team)
    entry = change.activities.get()
    entry.note = "rewritten"
    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        entry.delete()
    with pytest.raises(AppendOnlyError):
        ChangeActivity.objects.filter(change=change).update(note="x")
    with pytest.raises(AppendOnlyError):
        ChangeActivity.objects.filter(change=change).delete()
    assert change.activities.get().note == ""
