"""Edits made in the admin to what is configured there (hosts, freeze windows, policies, templates, teams) each
write one audit entry with the signed-in user, ``via="admin"`` and the exact before/after."""

import pytest
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from apps.accounts.models import UserProfile
from apps.approvals.models import ApprovalPolicy, PolicyRequirement
from apps.audit.models import AuditEntry
from apps.changes.models import ChangeTemplate, FreezeWindow
from apps.inventory.models import Host, Tag
from tests.factories import HostFactory, ServiceFactory, TeamFactory, UserFactory, environment

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(db):
    return UserFactory(username="root", is_staff=True, is_superuser=True)


@pytest.fixture
def root(client, staff):
    client.force_login(staff)
    return client


def entries(obj) -> list[AuditEntry]:
    return list(AuditEntry.objects.for_object(obj))


def only_entry(obj) -> AuditEntry:
    [entry] = entries(obj)
    return entry


def management(prefix: str, total: int, initial: int) -> dict:
    return {
        f"{prefix}-TOTAL_FORMS": str(total),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }


def test_editing_a_hosts_environment_services_and_active_flag_is_audited(root, staff):
    billing, search = ServiceFactory(name="billing-web"), ServiceFactory(name="search")
    host = HostFactory(hostname="web01", environment=environment("prod"), fqdn="web01.example.com")
    host.services.add(billing)
    response = root.post(
        reverse("admin:inventory_host_change", args=[host.pk]),
        {
            "hostname": "web01",
            "fqdn": "web01.example.com",
            "ip_address": "",
            "environment": environment("qa").pk,
            "services": [billing.pk, search.pk],
            "is_verified": "on",
            # is_active unticked
        },
    )
    assert response.status_code == 302, response.content[:2000]
    host.refresh_from_db()
    assert host.environment.slug == "qa" and not host.is_active
    entry = only_entry(host)
    assert (entry.actor, entry.actor_name, entry.via, entry.action) == (staff, "root", "admin", "updated")
    assert entry.object_id == str(host.pk) and entry.object_repr == "web01"
    assert entry.content_type == ContentType.objects.get_for_model(Host)
    assert entry.changes == {
        "environment": {"before": "Production", "after": "QA"},
        "services": {"before": ["billing-web"], "after": ["billing-web", "search"]},
        "is_active": {"before": True, "after": False},
    }


def test_saving_a_host_unchanged_writes_no_entry(root):
    host = HostFactory(hostname="web02", environment=environment("prod"))
    data = {"hostname": "web02", "environment": host.environment_id, "is_active": "on", "is_verified": "on"}
    assert root.post(reverse("admin:inventory_host_change", args=[host.pk]), data).status_code == 302
    assert entries(host) == []


def test_the_mark_verified_action_is_audited(root, staff):
    unverified = HostFactory(hostname="new01", is_verified=False)
    verified = HostFactory(hostname="old01")
    changelist = reverse("admin:inventory_host_changelist")
    data = {"action": "mark_verified", "_selected_action": [unverified.pk, verified.pk]}
    assert root.post(changelist, data).status_code == 302
    entry = only_entry(unverified)
    assert (entry.actor, entry.via) == (staff, "admin")
    assert entry.changes == {"is_verified": {"before": False, "after": True}}
    assert entries(verified) == []


def test_creating_and_deleting_a_freeze_window_is_audited(root, staff):
    # The admin reads times in the user's own zone; the entry stores them in UTC.
    UserProfile.objects.create(user=staff, time_zone="Europe/Berlin")
    response = root.post(
        reverse("admin:changes_freezewindow_add"),
        {
            "name": "Year-end freeze",
            "start_0": "2030-12-20",
            "start_1": "18:00:00",
            "end_0": "2031-01-02",
            "end_1": "08:00:00",
            "recurrence": "",
            "environments": [environment("prod").pk],
            "reason": "Finance closing",
        },
    )
    assert response.status_code == 302, response.content[:2000]
    freeze = FreezeWindow.objects.get(name="Year-end freeze")
    created = only_entry(freeze)
    assert (created.actor, created.via, created.action) == (staff, "admin", "created")
    assert created.changes == {
        "name": {"before": None, "after": "Year-end freeze"},
        "start": {"before": None, "after": "2030-12-20T17:00:00+00:00"},
        "end": {"before": None, "after": "2031-01-02T07:00:00+00:00"},
        "environments": {"before": None, "after": ["Production"]},
        "reason": {"before": None, "after": "Finance closing"},
    }

    pk = freeze.pk
    assert root.post(reverse("admin:changes_freezewindow_delete", args=[pk]), {"post": "yes"}).status_code == 302
    assert not FreezeWindow.objects.filter(pk=pk).exists()
    deleted = AuditEntry.objects.get(object_id=str(pk), action="deleted")
    assert (deleted.actor, deleted.via, deleted.object_repr) == (staff, "admin", "Year-end freeze")
    assert deleted.content_type == ContentType.objects.get_for_model(FreezeWindow)
    assert deleted.changes == {name: {"before": diff["after"], "after": None} for name, diff in created.changes.items()}


def test_editing_a_policy_requirement_inline_is_audited(root, staff):
    ops = TeamFactory(name="Operations", slug="ops")
    policy = ApprovalPolicy.objects.create(name="Production", risks=["high"], production_only=True)
    requirement = PolicyRequirement.objects.create(policy=policy, team=ops, count=1, leads_only=True)
    data = {
        "name": "Production",
        "description": "",
        "order": "100",
        "is_active": "on",
        "kinds": "[]",
        "risks": '["high"]',
        "production_only": "on",
        **management("requirements", total=1, initial=1),
        "requirements-0-id": requirement.pk,
        "requirements-0-policy": policy.pk,
        "requirements-0-team": ops.pk,
        "requirements-0-count": "2",
        "requirements-0-leads_only": "on",
    }
    response = root.post(reverse("admin:approvals_approvalpolicy_change", args=[policy.pk]), data)
    assert response.status_code == 302, response.content[:3000]
    assert PolicyRequirement.objects.get(pk=requirement.pk).count == 2
    entry = only_entry(policy)
    assert (entry.actor, entry.via, entry.action) == (staff, "admin", "updated")
    assert entry.changes == {"requirements": {"before": ["1 lead of Operations"], "after": ["2 leads of Operations"]}}


def test_editing_a_policy_in_the_changelist_is_audited(root, staff):
    policy = ApprovalPolicy.objects.create(name="Freeze exception", order=10, freeze_exception_only=True)
    data = {
        "form-TOTAL_FORMS": "1",
        "form-INITIAL_FORMS": "1",
        "form-0-id": policy.pk,
        "form-0-order": "20",
        "_save": "Save",
    }  # is_active unticked
    assert root.post(reverse("admin:approvals_approvalpolicy_changelist"), data).status_code == 302
    entry = only_entry(policy)
    assert (entry.actor, entry.via) == (staff, "admin")
    assert entry.changes == {"order": {"before": 10, "after": 20}, "is_active": {"before": True, "after": False}}


def test_editing_a_change_template_is_audited(root, staff, team):
    billing = ServiceFactory(name="billing-web")
    template = ChangeTemplate.objects.create(
        name="Rotate logs", title="Rotate logs on web", environment=environment("prod"), team=team
    )
    data = {
        "name": "Rotate logs",
        "is_active": "on",
        "is_standard": "on",
        "kind": template.kind,
        "title": "Rotate logs on web",
        "summary": "",
        "implementation_plan": "logrotate -f",
        "backout_plan": "",
        "test_plan": "",
        "risk": "medium",
        "environment": environment("prod").pk,
        "team": team.pk,
        "services": [billing.pk],
        "duration_minutes": "90",
    }
    response = root.post(reverse("admin:changes_changetemplate_change", args=[template.pk]), data)
    assert response.status_code == 302, response.content[:2000]
    entry = only_entry(template)
    assert (entry.actor, entry.via) == (staff, "admin")
    assert entry.changes == {
        "is_standard": {"before": False, "after": True},
        "implementation_plan": {"before": "", "after": "logrotate -f"},
        "risk": {"before": "low", "after": "medium"},
        "services": {"before": [], "after": ["billing-web"]},
        "duration_minutes": {"before": 120, "after": 90},
    }


def test_deleting_selected_tags_writes_one_entry_each(root, staff):
    tags = [Tag.objects.create(name=name, slug=name) for name in ("pci", "legacy")]
    data = {"action": "delete_selected", "_selected_action": [tag.pk for tag in tags], "post": "yes"}
    assert root.post(reverse("admin:inventory_tag_changelist"), data).status_code == 302
    assert not Tag.objects.exists()
    deleted = AuditEntry.objects.filter(action="deleted", content_type=ContentType.objects.get_for_model(Tag))
    assert sorted((entry.object_repr, entry.actor_id, entry.via) for entry in deleted) == [
        ("legacy", staff.pk, "admin"),
        ("pci", staff.pk, "admin"),
    ]


def test_team_memberships_edited_inline_are_audited(root, staff):
    team = TeamFactory(name="Billing dev", slug="billing-dev")
    dana = UserFactory(username="dana")
    data = {
        "name": "Billing dev",
        "slug": "billing-dev",
        "kind": team.kind,
        **management("memberships", total=1, initial=0),
        "memberships-0-team": team.pk,
        "memberships-0-user": dana.pk,
        "memberships-0-is_lead": "on",
    }
    response = root.post(reverse("admin:accounts_team_change", args=[team.pk]), data)
    assert response.status_code == 302, response.content[:3000]
    entry = only_entry(team)
    assert (entry.actor, entry.via) == (staff, "admin")
    assert entry.changes == {"memberships": {"before": [], "after": ["dana (lead of Billing dev)"]}}
