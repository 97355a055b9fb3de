"""The admin is not a second write path: a change, its host and service links, its approvals and required
approvals are shown read-only there, with a link to the change page, and a forged POST changes nothing."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.approvals import services as approval_services
from apps.approvals.models import Approval, RequiredApproval
from apps.changes import services
from apps.changes.choices import ChangeStatus
from apps.changes.models import Change, ChangeActivity, ChangeHost
from tests.factories import HostFactory, ServiceFactory, UserFactory, environment

pytestmark = pytest.mark.django_db


@pytest.fixture
def root(client):
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    return client


@pytest.fixture
def approved(requester, lead, team):
    start = timezone.now().replace(microsecond=0) + timedelta(days=3)
    change = services.create_change(
        actor=requester,
        title="Patch web01",
        environment=environment("qa"),
        team=team,
        hosts=[HostFactory(hostname="web01")],
        services=[ServiceFactory(name="billing-web")],
        planned_start=start,
        planned_end=start + timedelta(hours=2),
    )
    change = services.submit_change(change=change, actor=requester)
    approval_services.decide(change=change, actor=lead, decision="approved")
    change.refresh_from_db()
    assert change.status == ChangeStatus.APPROVED
    return change


def state(change: Change) -> dict:
    change = Change.objects.get(pk=change.pk)
    return {
        "window": (change.planned_start, change.planned_end, change.eff_start, change.eff_end),
        "status": change.status,
        "version": change.version,
        "approvals": list(change.approvals.values_list("id", "decision", "withdrawn_at")),
        "required": list(change.required_approvals.values_list("id", "team_id", "count")),
        "hosts": list(ChangeHost.objects.filter(change=change).values_list("host_id", "state", "note")),
        "activity": ChangeActivity.objects.filter(change=change).count(),
    }


def change_form_post(change: Change, **overrides) -> dict:
    """What the old editable change form would have posted: the window moved by a day."""
    start = change.planned_start + timedelta(days=1)
    data = {
        "title": change.title,
        "kind": change.kind,
        "change_type": change.change_type,
        "risk": change.risk,
        "environment": change.environment_id,
        "team": change.team_id,
        "requester": change.requester_id,
        "planned_start_0": start.date().isoformat(),
        "planned_start_1": start.time().isoformat(),
        "planned_end_0": (start + timedelta(hours=2)).date().isoformat(),
        "planned_end_1": (start + timedelta(hours=2)).time().isoformat(),
        "host_links-TOTAL_FORMS": "0",
        "host_links-INITIAL_FORMS": "0",
        "service_links-TOTAL_FORMS": "0",
        "service_links-INITIAL_FORMS": "0",
        "activities-TOTAL_FORMS": "0",
        "activities-INITIAL_FORMS": "0",
        "_save": "Save",
    }
    return data | overrides


def test_moving_an_approved_changes_window_in_the_admin_is_refused(root, approved):
    before = state(approved)
    url = reverse("admin:changes_change_change", args=[approved.pk])
    response = root.post(url, change_form_post(approved))
    assert response.status_code == 403
    assert state(approved) == before
    assert approved.approvals.filter(withdrawn_at__isnull=True).exists()


def test_the_change_page_in_the_admin_is_read_only_and_links_to_the_portal(root, approved):
    page = root.get(reverse("admin:changes_change_change", args=[approved.pk]))
    assert page.status_code == 200
    body = page.content.decode()
    assert f'<a href="{approved.get_absolute_url()}">Edit on the portal</a>' in body
    for name in ("planned_start_0", "title", "status", "host_links-0-state", "host_links-0-note"):
        assert f'name="{name}"' not in body, name
    assert 'name="service_links-0-service"' not in body and 'name="_save"' not in body
    assert "web01" in body and "billing-web" in body  # the links are shown, not editable


@pytest.mark.parametrize("model", ["change", "changehost", "approval", "requiredapproval"])
def test_no_add_change_or_delete_in_the_admin(root, approved, model):
    objects = {
        "change": approved,
        "changehost": ChangeHost.objects.get(change=approved),
        "approval": Approval.objects.get(change=approved),
        "requiredapproval": RequiredApproval.objects.filter(change=approved).first(),
    }
    obj = objects[model]
    before = state(approved)
    prefix = f"admin:{obj._meta.app_label}_{model}"
    assert root.get(reverse(f"{prefix}_add")).status_code == 403
    assert root.post(reverse(f"{prefix}_add"), {"change": approved.pk}).status_code == 403
    assert root.get(reverse(f"{prefix}_delete", args=[obj.pk])).status_code == 403
    assert root.post(reverse(f"{prefix}_delete", args=[obj.pk]), {"post": "yes"}).status_code == 403
    page = root.get(reverse(f"{prefix}_change", args=[obj.pk]))
    assert page.status_code == 200
    assert f'href="{approved.get_absolute_url()}">Edit on the portal</a>' in page.content.decode()
    changelist = root.get(reverse(f"{prefix}_changelist"))
    assert changelist.status_code == 200 and "delete_selected" not in changelist.content.decode()
    root.post(
        reverse(f"{prefix}_changelist"), {"action": "delete_selected", "_selected_action": [obj.pk], "post": "yes"}
    )
    assert type(obj).objects.filter(pk=obj.pk).exists()
    assert state(approved) == before


def test_a_hosts_execution_state_cannot_be_edited_in_the_admin(root, approved):
    link = ChangeHost.objects.get(change=approved)
    before = state(approved)
    url = reverse("admin:changes_changehost_change", args=[link.pk])
    page = root.get(url).content.decode()
    assert 'name="state"' not in page and 'name="note"' not in page
    response = root.post(url, {"change": approved.pk, "host": link.host_id, "state": "applied", "note": "done"})
    assert response.status_code == 403
    # Nor through the change's inline.
    inline = change_form_post(
        approved,
        **{
            "host_links-TOTAL_FORMS": "1",
            "host_links-INITIAL_FORMS": "1",
            "host_links-0-id": link.pk,
            "host_links-0-change": approved.pk,
            "host_links-0-host": link.host_id,
            "host_links-0-state": "applied",
            "host_links-0-note": "done",
        },
    )
    assert root.post(reverse("admin:changes_change_change", args=[approved.pk]), inline).status_code == 403
    assert state(approved) == before
    assert ChangeHost.objects.get(pk=link.pk).state == "pending"


def test_a_decision_cannot_be_edited_in_the_admin(root, approved, lead):
    approval = Approval.objects.get(change=approved)
    before = state(approved)
    url = reverse("admin:approvals_approval_change", args=[approval.pk])
    response = root.post(
        url,
        {"change": approved.pk, "decided_by": lead.pk, "decision": "rejected", "comment": "no", "change_version": 1},
    )
    assert response.status_code == 403
    assert state(approved) == before
