"""Host writes through the API are audited (via "api", the token's user), and the host page shows the history."""

import pytest

from apps.audit.choices import AuditVia
from apps.audit.models import AuditEntry
from apps.inventory import services
from apps.inventory.models import Host
from tests.factories import HostFactory, ServiceFactory, UserFactory, environment

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(db):
    return UserFactory(username="ops-bot", is_staff=True)


def test_patching_a_host_through_the_api_is_audited_with_the_token_user(as_user, staff):
    billing = ServiceFactory(name="billing-web", slug="billing-web")
    host = HostFactory(hostname="web01", environment=environment("prod"))
    response = as_user(staff).patch(
        "/api/v1/hosts/web01", {"environment": "qa", "services": ["billing-web"], "is_active": False}, format="json"
    )
    assert response.status_code == 200, response.content
    [entry] = AuditEntry.objects.for_object(host)
    assert (entry.actor, entry.actor_name, entry.via, entry.action) == (staff, "ops-bot", "api", "updated")
    assert entry.changes == {
        "environment": {"before": "Production", "after": "QA"},
        "services": {"before": [], "after": [billing.name]},
        "is_active": {"before": True, "after": False},
    }
    # The same PATCH again changes nothing, so it adds nothing.
    again = as_user(staff).patch("/api/v1/hosts/web01", {"is_active": False}, format="json")
    assert again.status_code == 200 and AuditEntry.objects.count() == 1


def test_creating_a_host_through_the_api_is_audited(as_user, staff):
    response = as_user(staff).post(
        "/api/v1/hosts", {"hostname": "DB01", "environment": "prod", "ip_address": "10.0.0.9"}, format="json"
    )
    assert response.status_code == 201, response.content
    host = Host.objects.get(hostname="db01")
    [entry] = AuditEntry.objects.for_object(host)
    assert (entry.actor, entry.via, entry.action) == (staff, "api", "created")
    assert entry.changes == {
        "hostname": {"before": None, "after": "db01"},
        "ip_address": {"before": None, "after": "10.0.0.9"},
        "environment": {"before": None, "after": "Production"},
        "is_active": {"before": None, "after": True},
        "is_verified": {"before": None, "after": True},
    }


def test_a_refused_api_write_records_nothing(as_user):
    HostFactory(hostname="web01")
    response = as_user(UserFactory(username="dev")).patch("/api/v1/hosts/web01", {"is_active": False}, format="json")
    assert response.status_code == 403
    assert not AuditEntry.objects.exists()


def test_update_host_refuses_unknown_fields(staff):
    host = HostFactory()
    with pytest.raises(TypeError):
        services.update_host(actor=staff, host=host, via=AuditVia.COMMAND, created="2020-01-01")


def test_the_host_page_shows_who_changed_what_and_when(client, staff):
    host = HostFactory(hostname="web01", environment=environment("prod"))
    services.update_host(actor=staff, host=host, via=AuditVia.API, environment=environment("qa"))
    services.update_host(actor=staff, host=host, via=AuditVia.ADMIN, fqdn="<b>web01</b>.example.com")
    client.force_login(UserFactory(username="viewer"))
    page = client.get(host.get_absolute_url())
    assert page.status_code == 200
    history = page.content.decode().split('id="host-history"')[1]
    assert "ops-bot" in history and "via API" in history and "via Admin" in history
    assert "environment" in history and "Production" in history and "QA" in history
    assert "&lt;b&gt;web01&lt;/b&gt;.example.com" in history and "<b>web01</b>" not in history
    # Newest first.
    assert history.index("fqdn") < history.index("environment")


def test_the_host_page_shows_the_latest_twenty_entries(client, staff):
    host = HostFactory(hostname="web01")
    for n in range(25):
        services.update_host(actor=staff, host=host, via=AuditVia.COMMAND, fqdn=f"web01-{n}.example.com")
    client.force_login(UserFactory(username="viewer"))
    history = client.get(host.get_absolute_url()).content.decode().split('id="host-history"')[1]
    assert history.count('class="updated"') == 20
    assert "web01-24.example.com" in history and "web01-3.example.com" not in history


def test_hosts_first_seen_in_a_change_event_are_audited_as_created(as_user, requester):
    HostFactory(hostname="web01.prod", environment=environment("prod"))
    event = {
        "payload": {"summary": "Deployed billing 2.4.0", "source": "jenkins/billing#812"},
        "hosts": ["web01.prod", "NEW01.prod", "new01.prod"],
        "environment": "prod",
    }
    response = as_user(requester).post("/api/v1/change-events", event, format="json")
    assert response.status_code == 202, response.json()
    new = Host.objects.get(hostname="new01.prod")
    [entry] = AuditEntry.objects.for_object(new)
    assert (entry.actor, entry.via, entry.action) == (requester, "api", "created")
    assert entry.changes == {
        "hostname": {"before": None, "after": "new01.prod"},
        "environment": {"before": None, "after": "Production"},
        "is_verified": {"before": None, "after": False},
    }
    assert "First seen in a change event from jenkins/billing#812" in entry.note
    assert AuditEntry.objects.count() == 1  # the known host has no entry
