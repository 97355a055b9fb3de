from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.approvals.models import Approval
from apps.approvals.services import decide
from apps.changes import services
from apps.changes.choices import ActivityAction, ChangeStatus
from apps.changes.models import Change
from apps.inventory.models import Host
from tests.factories import ChangeHostFactory, HostFactory, ServiceFactory, environment


def _local(dt) -> str:
    return timezone.localtime(dt).strftime("%Y-%m-%dT%H:%M")


@pytest.fixture
def approved_change(team, requester, lead):
    start = (timezone.now() + timedelta(days=4)).replace(minute=0, second=0, microsecond=0)
    change = services.create_change(
        actor=requester,
        hosts=[HostFactory(hostname="web01")],
        title="Billing release",
        kind="release",
        environment=environment("prod"),
        team=team,
        planned_start=start,
        planned_end=start + timedelta(hours=2),
        artifact="billing 2.4.0",
        backout_plan="Reinstall 2.3.9",
        submit=True,
    )
    decide(change=change, actor=lead, decision="approved")
    change.refresh_from_db()
    assert change.status == ChangeStatus.APPROVED
    return change


def _edit_data(change, **overrides):
    data = {
        "kind": change.kind,
        "change_type": change.change_type,
        "title": change.title,
        "environment": change.environment_id,
        "team": change.team_id,
        "planned_start": _local(change.planned_start),
        "planned_end": _local(change.planned_end),
        "risk": change.risk,
        "artifact": change.artifact,
        "summary": change.summary,
        "implementation_plan": change.implementation_plan,
        "test_plan": change.test_plan,
        "backout_plan": change.backout_plan,
        "hosts": list(change.host_links.values_list("host__hostname", flat=True)),
        "version": change.version,
        "intent": "draft",
    }
    return data | overrides


@pytest.mark.django_db
def test_material_edit_after_approval_withdraws_it_and_shows_the_diff(login, requester, lead, approved_change):
    client = login(requester)
    url = reverse("changes:change_edit", args=[approved_change.pk])
    response = client.post(url, _edit_data(approved_change, artifact="billing 2.4.0-hotfix2"), follow=True)
    assert "approval was withdrawn" in response.content.decode()
    change = Change.objects.get(pk=approved_change.pk)
    assert change.status == ChangeStatus.SUBMITTED
    assert Approval.objects.get(change=change).withdrawn_at is not None
    transition = change.activities.filter(action=ActivityAction.TRANSITION).last()
    assert (transition.from_status, transition.to_status) == ("approved", "submitted")
    assert "artifact" in transition.note
    # The lead sees exactly what changed since they approved.
    body = login(lead).get(change.get_absolute_url()).content.decode()
    assert 'id="since-approval"' in body
    assert "billing 2.4.0-hotfix2" in body and "Edited after approval" in body


@pytest.mark.django_db
def test_hosts_added_after_approval_are_material(requester, approved_change):
    web02 = HostFactory(hostname="web02")
    hosts = [*approved_change.hosts.all(), web02]
    change, diff = services.update_change(change=approved_change, actor=requester, fields={}, hosts=hosts)
    assert change.status == ChangeStatus.SUBMITTED
    assert diff["hosts"] == {"before": ["web01"], "after": ["web01", "web02"]}


@pytest.mark.django_db
def test_title_typo_fix_keeps_the_approval(login, requester, approved_change):
    url = reverse("changes:change_edit", args=[approved_change.pk])
    login(requester).post(url, _edit_data(approved_change, title="Billing release 2.4"))
    change = Change.objects.get(pk=approved_change.pk)
    assert change.status == ChangeStatus.APPROVED
    assert change.title == "Billing release 2.4"
    assert Approval.objects.get(change=change).withdrawn_at is None


@pytest.mark.django_db
def test_material_edit_of_a_running_change_is_refused(requester, approved_change):
    running = services.transition_change(change=approved_change, target=ChangeStatus.IN_PROGRESS, actor=requester)
    with pytest.raises(services.lifecycle.IllegalTransition, match="artifact can no longer be changed"):
        services.update_change(change=running, actor=requester, fields={"artifact": "billing 9"})


@pytest.mark.django_db
def test_concurrent_edit_is_detected_and_input_kept(login, requester, lead, approved_change):
    url = reverse("changes:change_edit", args=[approved_change.pk])
    stale = _edit_data(approved_change, summary="My careful summary")
    services.update_change(change=approved_change, actor=lead, fields={"title": "Billing release (lead)"})
    response = login(requester).post(url, stale)
    assert response.status_code == 400
    body = response.content.decode()
    assert "changed by someone else" in body
    assert "My careful summary" in body
    assert Change.objects.get(pk=approved_change.pk).title == "Billing release (lead)"


@pytest.mark.django_db
def test_clone_prefills_hosts_services_and_a_future_window(login, requester, team):
    past = (timezone.now() - timedelta(days=30)).replace(minute=0, second=0, microsecond=0)
    billing = ServiceFactory(name="billing-web")
    source = services.create_change(
        actor=requester,
        hosts=[HostFactory(hostname="web01")],
        services=[billing],
        title="Monthly OS patch",
        kind="os_update",
        environment=environment("prod"),
        team=team,
        planned_start=past,
        planned_end=past + timedelta(hours=3),
        backout_plan="Boot previous kernel",
    )
    response = login(requester).get(reverse("changes:change_clone", args=[source.pk]))
    form = response.context["form"]
    assert form.initial["title"] == "Monthly OS patch"
    assert form.initial["hosts"] == ["web01"]
    assert form.initial["services"] == [billing]
    assert form.initial["planned_start"] > timezone.now()
    assert form.initial["planned_start"].weekday() == past.weekday()
    assert form.initial["planned_end"] - form.initial["planned_start"] == timedelta(hours=3)
    assert 'name="hosts" value="web01"' in response.content.decode()


@pytest.mark.django_db
def test_outsider_cannot_open_the_edit_form(login, outsider, approved_change):
    assert login(outsider).get(reverse("changes:change_edit", args=[approved_change.pk])).status_code == 403


@pytest.mark.django_db
def test_edit_form_resubmits_a_rejected_change(login, requester, lead, team):
    start = timezone.now() + timedelta(days=2)
    change = services.create_change(
        actor=requester,
        title="x",
        environment=environment("qa"),
        team=team,
        planned_start=start,
        planned_end=start + timedelta(hours=1),
        submit=True,
    )
    decide(change=change, actor=lead, decision="rejected", comment="add a test plan")
    change.refresh_from_db()
    url = reverse("changes:change_edit", args=[change.pk])
    login(requester).post(url, _edit_data(change, test_plan="curl /health", intent="submit"))
    change.refresh_from_db()
    assert change.status == ChangeStatus.SUBMITTED
    assert ChangeHostFactory._meta.model.objects.filter(change=change).count() == 0


@pytest.mark.django_db
def test_a_host_retired_since_stays_linked_through_an_edit(login, requester, approved_change):
    Host.objects.filter(hostname="web01").update(is_active=False)
    url = reverse("changes:change_edit", args=[approved_change.pk])
    response = login(requester).post(url, _edit_data(approved_change, title="Billing release, take two"))
    assert response.status_code == 302
    change = Change.objects.get(pk=approved_change.pk)
    assert change.title == "Billing release, take two"
    assert list(change.host_links.values_list("host__hostname", flat=True)) == ["web01"]
