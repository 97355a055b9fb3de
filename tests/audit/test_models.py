"""The audit log is append-only: the model, its queryset and the admin refuse to rewrite or remove an entry."""

import pytest
from django.urls import reverse

from apps.audit import services as audit
from apps.audit.models import AuditEntry
from apps.inventory.models import Service
from apps.platform.append_only import AppendOnlyError
from tests.factories import ServiceFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def entry(db):
    service = ServiceFactory(name="billing-web", description="old")
    return audit.record(
        actor=UserFactory(username="olga"),
        obj=service,
        action="updated",
        before={"description": "old"},
        after={"description": "new"},
        via="admin",
    )


def rows() -> list[tuple]:
    return list(AuditEntry.objects.values_list("id", "actor_name", "action", "changes", "note", "created"))


def test_model_and_queryset_refuse_rewrites(entry):
    before = rows()
    entry.note = "rewritten"
    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        entry.delete()
    with pytest.raises(AppendOnlyError):
        AuditEntry.objects.filter(pk=entry.pk).update(note="rewritten")
    with pytest.raises(AppendOnlyError):
        AuditEntry.objects.filter(pk=entry.pk).delete()
    assert rows() == before


def test_a_deleted_user_leaves_the_entry_with_the_name(entry):
    entry.actor.delete()
    kept = AuditEntry.objects.get(pk=entry.pk)
    assert kept.actor is None and kept.actor_name == "olga"


def test_admin_shows_the_log_read_only(client, entry):
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    before = rows()
    change_url = reverse("admin:audit_auditentry_change", args=[entry.pk])
    page = client.get(change_url)
    assert page.status_code == 200
    body = page.content.decode()
    assert "billing-web" in body and 'name="note"' not in body and 'name="changes"' not in body
    assert client.post(change_url, {"note": "rewritten", "changes": "{}"}).status_code == 403
    assert client.get(reverse("admin:audit_auditentry_add")).status_code == 403
    assert client.get(reverse("admin:audit_auditentry_delete", args=[entry.pk])).status_code == 403
    assert client.post(reverse("admin:audit_auditentry_delete", args=[entry.pk]), {"post": "yes"}).status_code == 403
    changelist = reverse("admin:audit_auditentry_changelist")
    listing = client.get(changelist, {"via": "admin", "action": "updated", "q": "billing"})
    assert listing.status_code == 200 and "billing-web" in listing.content.decode()
    assert "delete_selected" not in listing.content.decode()
    assert "billing-web" not in client.get(changelist, {"q": "nothing-like-it"}).content.decode()
    client.post(changelist, {"action": "delete_selected", "_selected_action": [entry.pk], "post": "yes"})
    assert rows() == before


def test_the_admin_entry_links_to_the_object_while_it_exists(client, entry):
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    url = reverse("admin:audit_auditentry_change", args=[entry.pk])
    service_url = reverse("admin:inventory_service_change", args=[entry.object_id])
    assert f'<a href="{service_url}">billing-web</a>' in client.get(url).content.decode()
    Service.objects.filter(pk=entry.object_id).delete()
    assert "— (deleted)" in client.get(url).content.decode()
