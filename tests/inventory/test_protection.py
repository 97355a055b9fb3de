"""Hosts and services that changes refer to cannot be deleted (admin, API, code); history keeps their names."""

import pytest
from django.db import transaction
from django.db.models import ProtectedError
from django.urls import reverse

from apps.changes import services
from apps.inventory.models import Host, Service
from tests.factories import HostFactory, ServiceFactory, UserFactory, environment

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    return client


@pytest.fixture
def used(requester, team):
    """A service and a host that one change uses, plus an unused one of each."""
    service, host = ServiceFactory(name="billing-web"), HostFactory(hostname="web01")
    change = services.create_change(
        actor=requester,
        hosts=[host],
        services=[service],
        title="Deploy billing",
        environment=environment("qa"),
        team=team,
        planned_start="2030-01-01T10:00Z",
        planned_end="2030-01-01T12:00Z",
    )
    return {
        "service": service,
        "host": host,
        "change": change,
        "spare_service": ServiceFactory(),
        "spare_host": HostFactory(),
    }


@pytest.mark.parametrize("kind", ["service", "host"])
def test_admin_refuses_to_delete_what_a_change_uses(admin_client, used, kind):
    target = used[kind]
    url = reverse(f"admin:inventory_{kind}_delete", args=[target.pk])
    page = admin_client.get(url)
    assert page.status_code == 200
    body = page.content.decode()
    assert "Cannot delete" in body and "protected related objects" in body and used["change"].reference in body
    answer = admin_client.post(url, {"post": "yes"})
    assert answer.status_code == 200  # the same refusal page, no 500
    assert type(target).objects.filter(pk=target.pk).exists()
    assert list(used["change"].services.values_list("name", flat=True)) == ["billing-web"]
    assert list(used["change"].hosts.values_list("hostname", flat=True)) == ["web01"]


@pytest.mark.parametrize("kind", ["service", "host"])
def test_admin_bulk_delete_refuses_too_but_unused_items_can_go(admin_client, used, kind):
    model = Service if kind == "service" else Host
    changelist = reverse(f"admin:inventory_{kind}_changelist")
    both = [used[kind].pk, used[f"spare_{kind}"].pk]
    answer = admin_client.post(changelist, {"action": "delete_selected", "_selected_action": both, "post": "yes"})
    assert answer.status_code == 200 and "protected related objects" in answer.content.decode()
    assert model.objects.filter(pk__in=both).count() == 2
    alone = [used[f"spare_{kind}"].pk]
    admin_client.post(changelist, {"action": "delete_selected", "_selected_action": alone, "post": "yes"})
    assert not model.objects.filter(pk__in=alone).exists()


def test_deleting_a_used_service_in_code_is_refused(used):
    # Each attempt in its own savepoint: the refusal rolls back the delete's transaction.
    with pytest.raises(ProtectedError, match="1 change"), transaction.atomic():
        used["service"].delete()
    with pytest.raises(ProtectedError), transaction.atomic():
        Service.objects.filter(pk=used["service"].pk).delete()
    assert Service.objects.filter(pk=used["service"].pk).exists()
    used["spare_service"].delete()
    with pytest.raises(ProtectedError), transaction.atomic():
        used["host"].delete()


@pytest.mark.parametrize("url", ["/api/v1/hosts/web01", "/api/v1/services/billing-web"])
def test_api_has_no_delete(client, used, url):
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    assert client.delete(url).status_code == 405
    assert client.get(url).status_code == 200


def test_a_retired_host_stays_in_history(login, requester, used):
    host = used["host"]
    host.is_active = False
    host.save()
    client = login(requester)
    assert "web01" in client.get(used["change"].get_absolute_url()).content.decode()
    assert "Deploy billing" in client.get(host.get_absolute_url()).content.decode()
    search = client.get(reverse("changes:host_search"), {"host_query": "web0"}).content.decode()
    assert "web01" not in search  # the type-ahead offers active hosts only
