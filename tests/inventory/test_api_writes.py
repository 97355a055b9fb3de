"""Inventory through the API: services created and edited, hosts upserted in bulk (all or nothing, a fixed number
of queries), the audit history of hosts and services, and who may write (staff or an inventory token)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.accounts.choices import TokenScope
from apps.audit.choices import AuditVia
from apps.audit.models import AuditEntry
from apps.inventory import services
from apps.inventory.models import Host, Service, Tag
from tests.factories import HostFactory, ServiceFactory, TeamFactory, UserFactory, environment

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(db):
    return UserFactory(username="ops-bot", is_staff=True)


@pytest.fixture
def sync_bot(db):
    """A staff user's inventory-scoped token is what a CMDB sync uses."""
    return UserFactory(username="cmdb-sync", is_staff=True)


# --- Services ---------------------------------------------------------------------------------------------------


def test_creating_a_service_answers_201_with_location_and_is_audited(as_user, staff):
    TeamFactory(name="Billing dev", slug="billing-dev")
    response = as_user(staff).post(
        "/api/v1/services",
        {"name": "billing-web", "slug": "billing-web", "description": "Invoices", "owner_team": "billing-dev"},
        format="json",
    )
    assert response.status_code == 201, response.content
    service = Service.objects.get(slug="billing-web")
    assert response["Location"] == f"http://testserver/api/v1/services/{service.pk}"
    assert response.json()["owner_team"]["slug"] == "billing-dev"
    [entry] = AuditEntry.objects.for_object(service)
    assert (entry.actor, entry.actor_name, entry.via, entry.action) == (staff, "ops-bot", "api", "created")
    assert entry.changes == {
        "name": {"before": None, "after": "billing-web"},
        "slug": {"before": None, "after": "billing-web"},
        "description": {"before": None, "after": "Invoices"},
        "owner_team": {"before": None, "after": "Billing dev"},
    }


def test_updating_a_service_records_exactly_what_changed(as_user, staff):
    service = ServiceFactory(name="billing-web", slug="billing-web")
    TeamFactory(name="Ops", slug="ops")
    response = as_user(staff).patch(
        "/api/v1/services/billing-web", {"description": "Invoices", "owner_team": "ops"}, format="json"
    )
    assert response.status_code == 200, response.content
    [entry] = AuditEntry.objects.for_object(service)
    assert (entry.actor, entry.via, entry.action) == (staff, AuditVia.API, "updated")
    assert entry.changes == {
        "description": {"before": "", "after": "Invoices"},
        "owner_team": {"before": None, "after": "Ops"},
    }
    # Same values again: nothing changed, nothing recorded.
    assert as_user(staff).patch("/api/v1/services/billing-web", {"owner_team": "ops"}, format="json").status_code == 200
    assert AuditEntry.objects.count() == 1
    put = as_user(staff).put("/api/v1/services/billing-web", {"name": "Billing", "slug": "billing"}, format="json")
    assert put.status_code == 200 and put.json()["slug"] == "billing"


def test_a_slug_or_name_conflict_is_a_400_naming_the_field(as_user, staff):
    ServiceFactory(name="billing-web", slug="billing-web")
    other = ServiceFactory(name="payments", slug="payments")
    response = as_user(staff).post("/api/v1/services", {"name": "new", "slug": "billing-web"}, format="json")
    assert response.status_code == 400 and list(response.json()) == ["slug"], response.content
    response = as_user(staff).patch(f"/api/v1/services/{other.slug}", {"name": "billing-web"}, format="json")
    assert response.status_code == 400 and list(response.json()) == ["name"], response.content
    assert not AuditEntry.objects.exists()


def test_update_service_refuses_unknown_fields(staff):
    with pytest.raises(TypeError):
        services.update_service(actor=staff, service=ServiceFactory(), via=AuditVia.COMMAND, hosts=[])


# --- Bulk upsert ------------------------------------------------------------------------------------------------


def test_bulk_upsert_creates_updates_and_leaves_unchanged_in_one_call(as_user, staff):
    billing = ServiceFactory(name="billing-web", slug="billing-web")
    Tag.objects.create(name="Linux", slug="linux")
    HostFactory(hostname="web01", environment=environment("prod"))
    same = HostFactory(hostname="web02", environment=environment("prod"))
    response = as_user(staff).post(
        "/api/v1/hosts/bulk",
        {
            "hosts": [
                {"hostname": "WEB03", "environment": "qa", "services": ["billing-web"], "tags": ["linux"]},
                {"hostname": "web01", "ip_address": "10.0.0.1", "services": ["billing-web"], "is_verified": False},
                {"hostname": "web02", "environment": "prod"},
            ]
        },
        format="json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["applied"] is True and (body["created"], body["updated"], body["unchanged"]) == (1, 1, 1)
    assert body["results"] == [
        {"hostname": "web03", "status": "created", "errors": {}},
        {"hostname": "web01", "status": "updated", "errors": {}},
        {"hostname": "web02", "status": "unchanged", "errors": {}},
    ]
    new = Host.objects.get(hostname="web03")
    assert new.environment.slug == "qa" and list(new.services.all()) == [billing]
    assert [tag.slug for tag in new.tags.all()] == ["linux"]
    web01 = Host.objects.get(hostname="web01")
    assert (web01.ip_address, web01.is_verified, list(web01.services.all())) == ("10.0.0.1", False, [billing])
    [created] = AuditEntry.objects.for_object(new)
    assert (created.actor, created.via, created.action) == (staff, "api", "created")
    assert created.changes == {
        "hostname": {"before": None, "after": "web03"},
        "environment": {"before": None, "after": "QA"},
        "is_active": {"before": None, "after": True},
        "is_verified": {"before": None, "after": True},
        "services": {"before": None, "after": ["billing-web"]},
        "tags": {"before": None, "after": ["Linux"]},
    }
    [updated] = AuditEntry.objects.for_object(web01)
    assert updated.changes == {
        "ip_address": {"before": None, "after": "10.0.0.1"},
        "is_verified": {"before": True, "after": False},
        "services": {"before": [], "after": ["billing-web"]},
    }
    assert not AuditEntry.objects.for_object(same).exists()


def test_one_invalid_item_applies_nothing_and_reports_each_item(as_user, staff):
    HostFactory(hostname="web01", environment=environment("prod"))
    response = as_user(staff).post(
        "/api/v1/hosts/bulk",
        {
            "hosts": [
                {"hostname": "web05", "environment": "prod"},
                {"hostname": "web01", "is_active": False},
                {"hostname": "web06", "environment": "nowhere", "services": ["ghost"]},
                {"hostname": "bad name!", "environment": "prod"},
                {"hostname": "web07"},
                {"hostname": "web05", "environment": "qa"},
            ]
        },
        format="json",
    )
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["applied"] is False and "detail" in body
    results = body["results"]
    assert [(r["hostname"], r["status"]) for r in results] == [
        ("web05", "created"),
        ("web01", "updated"),
        ("web06", "error"),
        ("bad name!", "error"),
        ("web07", "error"),
        ("web05", "error"),
    ]
    assert results[2]["errors"] == {
        "environment": ["Unknown environment: nowhere."],
        "services": ["Unknown services: ghost."],
    }
    assert list(results[3]["errors"]) == ["hostname"]
    assert results[4]["errors"] == {"environment": ["A new host needs an environment."]}
    assert "more than once" in results[5]["errors"]["hostname"][0]
    assert list(Host.objects.values_list("hostname", "is_active")) == [("web01", True)]
    assert not AuditEntry.objects.exists()


@pytest.mark.parametrize(
    ("hosts", "message"),
    [([], "Send a list"), ("web01", "Send a list"), ([{"hostname": f"h{i}"} for i in range(1001)], "At most 1000")],
)
def test_an_empty_malformed_or_too_large_batch_is_a_400(as_user, staff, hosts, message):
    response = as_user(staff).post("/api/v1/hosts/bulk", {"hosts": hosts}, format="json")
    assert response.status_code == 400 and message in response.json()["hosts"][0], response.content
    assert not Host.objects.exists()


def test_a_host_created_meanwhile_is_a_409_and_nothing_is_written(as_user, staff, monkeypatch):
    real = services._write

    def someone_else_first(planned):
        HostFactory(hostname="web09")
        real(planned)

    monkeypatch.setattr(services, "_write", someone_else_first)
    body = {"hosts": [{"hostname": "web08", "environment": "prod"}, {"hostname": "web09", "environment": "prod"}]}
    response = as_user(staff).post("/api/v1/hosts/bulk", body, format="json")
    assert response.status_code == 409 and "send it again" in response.json()["detail"]
    assert not Host.objects.filter(hostname="web08").exists() and not AuditEntry.objects.exists()


def _batch(count: int, offset: int) -> list[dict]:
    """Half new hosts, half updates of existing ones (each gets a service and a tag)."""
    existing = [HostFactory(hostname=f"old{offset + i:04d}") for i in range(count // 2)]
    items = [
        {"hostname": host.hostname, "is_active": False, "services": ["svc"], "tags": ["linux"]} for host in existing
    ]
    items += [
        {"hostname": f"new{offset + i:04d}", "environment": "qa", "services": ["svc"], "tags": ["linux"]}
        for i in range(count - count // 2)
    ]
    return items


def _queries(client, items) -> list[str]:
    with CaptureQueriesContext(connection) as queries:
        response = client.post("/api/v1/hosts/bulk", {"hosts": items}, format="json")
    assert response.status_code == 200, response.content[:500]
    return [query["sql"] for query in queries.captured_queries]


def _statements(sqls: list[str]) -> list[str]:
    """One entry per statement, with the batches Django splits one bulk insert or update into on SQLite (at most
    999 parameters a statement) counted once."""
    kinds = [" ".join(sql.split()[:3]) if not sql.startswith(("SAVEPOINT", "RELEASE")) else "savepoint" for sql in sqls]
    return [kind for index, kind in enumerate(kinds) if index == 0 or kinds[index - 1] != kind or "SELECT" in kind]


def test_bulk_upsert_takes_the_same_number_of_queries_for_10_and_200_hosts(as_user, staff):
    ServiceFactory(name="svc", slug="svc")
    Tag.objects.create(name="Linux", slug="linux")
    client = as_user(staff)
    _queries(client, [{"hostname": "warm-up", "environment": "prod"}])  # the token's last use, content types
    small, large = _queries(client, _batch(10, 0)), _queries(client, _batch(200, 1000))
    assert _statements(small) == _statements(large)
    assert [sql for sql in small if sql.startswith("SELECT")] and len(small) <= 20
    if connection.vendor == "postgresql":  # no parameter limit: every bulk statement is one query
        assert len(small) == len(large)
    assert Host.objects.filter(is_active=False).count() == 105 and Host.objects.count() == 211
    assert AuditEntry.objects.count() == 211


# --- Who may write ----------------------------------------------------------------------------------------------


def test_an_inventory_token_writes_hosts_and_services(as_user, sync_bot):
    client = as_user(sync_bot, scope=TokenScope.INVENTORY)
    assert client.post("/api/v1/services", {"name": "dns", "slug": "dns"}, format="json").status_code == 201
    bulk = client.post("/api/v1/hosts/bulk", {"hosts": [{"hostname": "ns1", "environment": "prod"}]}, format="json")
    assert bulk.status_code == 200, bulk.content
    assert client.patch("/api/v1/hosts/ns1", {"services": ["dns"]}, format="json").status_code == 200
    assert client.get("/api/v1/changes").status_code == 200  # reads everything


def test_an_inventory_token_is_refused_on_change_writes(as_user, sync_bot):
    client = as_user(sync_bot, scope=TokenScope.INVENTORY)
    response = client.post("/api/v1/changes", {"title": "x"}, format="json")
    assert response.status_code == 403 and "hosts and services" in response.json()["detail"]
    event = {"payload": {"summary": "deploy", "source": "ci"}, "hosts": ["web01"], "environment": "prod"}
    assert client.post("/api/v1/change-events", event, format="json").status_code == 403


def test_only_staff_create_inventory_tokens(token_for, staff):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        token_for(UserFactory(username="dev"), TokenScope.INVENTORY)
    assert token_for(staff, TokenScope.INVENTORY)


def test_the_token_page_offers_the_inventory_scope_to_staff_only(client, staff):
    client.force_login(UserFactory(username="dev"))
    assert 'value="inventory"' not in client.get("/profile/tokens/").content.decode()
    client.force_login(staff)
    page = client.get("/profile/tokens/").content.decode()
    assert 'value="inventory"' in page and "write hosts and services" in page
    created = client.post("/profile/tokens/", {"name": "cmdb", "scope": "inventory", "expires_in": "30"})
    assert created.status_code == 200 and staff.api_tokens.get().scope == TokenScope.INVENTORY


@pytest.mark.parametrize(
    ("method", "url", "body"),
    [
        ("post", "/api/v1/services", {"name": "dns", "slug": "dns"}),
        ("patch", "/api/v1/services/billing-web", {"description": "x"}),
        ("post", "/api/v1/hosts/bulk", {"hosts": [{"hostname": "ns1", "environment": "prod"}]}),
        ("patch", "/api/v1/hosts/web01", {"is_active": False}),
    ],
)
def test_a_read_write_token_of_a_non_staff_user_may_not_write_inventory(as_user, method, url, body):
    ServiceFactory(name="billing-web", slug="billing-web")
    HostFactory(hostname="web01")
    response = getattr(as_user(UserFactory(username="dev")), method)(url, body, format="json")
    assert response.status_code == 403, response.content
    assert not AuditEntry.objects.exists() and not Service.objects.filter(slug="dns").exists()


# --- History ----------------------------------------------------------------------------------------------------


def test_host_history_is_newest_first_and_paginated(as_user, staff):
    host = HostFactory(hostname="web01", environment=environment("prod"))
    services.update_host(actor=staff, host=host, via=AuditVia.ADMIN, fqdn="web01.example.com")
    services.update_host(actor=staff, host=host, via=AuditVia.API, environment=environment("qa"), note="moved")
    services.update_host(actor=staff, host=host, via=AuditVia.API, is_active=False)
    reader = as_user(UserFactory(username="viewer"), scope=TokenScope.READ)
    first = reader.get("/api/v1/hosts/web01/history?limit=2")
    assert first.status_code == 200, first.content
    body = first.json()
    assert body["count"] == 3 and body["next"]
    assert [list(entry["changes"]) for entry in body["results"]] == [["is_active"], ["environment"]]
    newest, second = body["results"]
    assert (newest["actor"], newest["via"], newest["action"]) == ("ops-bot", "api", "updated")
    assert second["changes"] == {"environment": {"before": "Production", "after": "QA"}} and second["note"] == "moved"
    assert {"id", "created"} <= set(newest)
    rest = reader.get(body["next"]).json()["results"]
    assert [entry["via"] for entry in rest] == ["admin"]
    assert reader.get(f"/api/v1/hosts/{host.pk}/history").json()["count"] == 3


def test_history_of_an_unknown_host_or_service_is_404(as_user):
    reader = as_user(UserFactory(username="viewer"), scope=TokenScope.READ)
    assert reader.get("/api/v1/hosts/nowhere/history").status_code == 404
    assert reader.get("/api/v1/services/nowhere/history").status_code == 404


def test_service_history_lists_its_api_writes(as_user, staff):
    client = as_user(staff)
    client.post("/api/v1/services", {"name": "dns", "slug": "dns"}, format="json")
    client.patch("/api/v1/services/dns", {"description": "Resolvers"}, format="json")
    results = client.get("/api/v1/services/dns/history").json()["results"]
    assert [entry["action"] for entry in results] == ["updated", "created"]
    assert results[0]["changes"] == {"description": {"before": "", "after": "Resolvers"}}
