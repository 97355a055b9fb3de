"""Environments, services, teams, hosts (by id or hostname), incidents and approvals over REST."""

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.approvals.models import Approval
from apps.incidents.models import Incident
from apps.inventory.models import Host
from tests.factories import HostFactory, MembershipFactory, ServiceFactory, TeamFactory, environment

pytestmark = pytest.mark.django_db


def test_environments_in_order_and_by_slug(as_user, requester):
    client = as_user(requester)
    slugs = [row["slug"] for row in client.get("/api/v1/environments").json()["results"]]
    assert slugs[:3] == ["dev", "qa", "prod"]
    prod = client.get("/api/v1/environments/prod").json()
    assert prod["is_production"] is True
    assert client.get(f"/api/v1/environments/{prod['id']}").json()["slug"] == "prod"
    assert client.get("/api/v1/environments/moon").status_code == 404


def test_services_filter_and_lookup(as_user, requester, team):
    ServiceFactory(name="billing-web", owner_team=team)
    ServiceFactory(name="search")
    client = as_user(requester)
    rows = client.get("/api/v1/services?q=bill").json()["results"]
    assert [row["name"] for row in rows] == ["billing-web"]
    assert rows[0]["owner_team"]["slug"] == team.slug
    assert client.get("/api/v1/services?owner_team=billing-dev").json()["count"] == 1
    assert client.get("/api/v1/services/search").json()["owner_team"] is None


def test_teams_with_members(as_user, requester, lead, team):
    TeamFactory(name="Ops", slug="ops")
    client = as_user(requester)
    assert [row["slug"] for row in client.get("/api/v1/teams").json()["results"]] == ["billing-dev", "ops"]
    detail = client.get("/api/v1/teams/billing-dev").json()
    assert detail["members"] == [{"username": "lead", "is_lead": True}, {"username": "requester", "is_lead": False}]


class TestHosts:
    def test_list_filters(self, as_user, requester):
        web = ServiceFactory(name="web")
        HostFactory(hostname="web01", environment=environment("prod")).services.add(web)
        HostFactory(hostname="db01", environment=environment("qa"), is_verified=False)
        client = as_user(requester)
        names = lambda query: [row["hostname"] for row in client.get(f"/api/v1/hosts?{query}").json()["results"]]  # noqa: E731
        assert names("") == ["db01", "web01"]
        assert names("environment=qa") == ["db01"]
        assert names("service=web") == ["web01"]
        assert names("is_verified=false") == ["db01"]
        assert names("q=web") == ["web01"]
        assert names("ordering=-hostname") == ["web01", "db01"]

    def test_updated_since(self, as_user, requester):
        old = HostFactory(hostname="old01")
        Host.objects.filter(pk=old.pk).update(updated=timezone.now() - timedelta(days=2))
        HostFactory(hostname="new01")
        since = (timezone.now() - timedelta(hours=1)).isoformat()
        rows = as_user(requester).get("/api/v1/hosts", {"updated_since": since}).json()["results"]
        assert [row["hostname"] for row in rows] == ["new01"]

    def test_by_hostname_or_id(self, as_user, requester):
        host = HostFactory(hostname="web01.prod.example.com")
        client = as_user(requester)
        assert client.get("/api/v1/hosts/web01.prod.example.com").json()["id"] == host.pk
        assert client.get("/api/v1/hosts/WEB01.prod.example.com").json()["id"] == host.pk
        assert client.get(f"/api/v1/hosts/{host.pk}").json()["hostname"] == host.hostname
        missing = client.get("/api/v1/hosts/nope")
        assert missing.status_code == 404 and "nope" in missing.json()["detail"]
        assert client.get("/api/v1/hosts/99999999999999999999999").status_code == 404

    def test_staff_create_and_edit(self, as_user, staff):
        client = as_user(staff)
        ServiceFactory(name="web")
        response = client.post(
            "/api/v1/hosts", {"hostname": "Web09", "environment": "prod", "services": ["web"]}, format="json"
        )
        assert response.status_code == 201, response.json()
        assert response.json()["hostname"] == "web09"
        assert response.json()["services"][0]["slug"] == "web"
        patched = client.patch("/api/v1/hosts/web09", {"is_verified": False}, format="json")
        assert patched.status_code == 200 and patched.json()["is_verified"] is False
        duplicate = client.post("/api/v1/hosts", {"hostname": "web09", "environment": "prod"}, format="json")
        assert duplicate.status_code == 400 and "hostname" in duplicate.json()
        invalid = client.post("/api/v1/hosts", {"hostname": "bad name!", "environment": "prod"}, format="json")
        assert invalid.status_code == 400

    def test_non_staff_cannot_write_hosts(self, as_user, requester):
        response = as_user(requester).post("/api/v1/hosts", {"hostname": "x1", "environment": "prod"}, format="json")
        assert response.status_code == 403
        assert as_user(requester).delete("/api/v1/hosts/x1").status_code == 405

    def test_query_count_is_fixed(self, as_user, requester, django_assert_max_num_queries):
        client = as_user(requester)
        client.get("/api/v1/hosts")
        HostFactory.create_batch(2)
        with django_assert_max_num_queries(8) as few:
            client.get("/api/v1/hosts")
        for host in HostFactory.create_batch(20):
            host.services.add(ServiceFactory())
        with django_assert_max_num_queries(8) as many:
            assert client.get("/api/v1/hosts").json()["count"] == 22
        assert len(many.captured_queries) == len(few.captured_queries)


def test_incidents_read_only(as_user, requester):
    incident = Incident.objects.create(title="Checkout 500s", started_at=timezone.now() - timedelta(hours=1))
    client = as_user(requester)
    rows = client.get("/api/v1/incidents?status=open").json()["results"]
    assert rows[0]["reference"] == f"INC-{incident.pk}"
    assert client.get(f"/api/v1/incidents/{incident.pk}").json()["title"] == "Checkout 500s"
    assert client.post("/api/v1/incidents", {"title": "x"}, format="json").status_code == 405


class TestApprovals:
    def test_decide_through_the_approvals_service(self, as_user, lead, requester, planned):
        change = planned()
        as_user(requester).post(f"/api/v1/changes/{change.pk}/transition", {"target": "submitted"}, format="json")
        response = as_user(lead).post(f"/api/v1/changes/{change.pk}/decide", {"decision": "approved"}, format="json")
        assert response.status_code == 201, response.json()
        assert response.json()["decided_by"] == "lead"
        change.refresh_from_db()
        assert change.status == "approved"
        listed = as_user(requester).get(f"/api/v1/approvals?change={change.pk}").json()["results"]
        assert [row["decision"] for row in listed] == ["approved"]
        assert listed[0]["is_current"] is True

    def test_decision_errors(self, as_user, lead, requester, outsider, planned, team):
        change = planned()
        url = f"/api/v1/changes/{change.pk}/decide"
        assert as_user(lead).post(url, {"decision": "approved"}, format="json").status_code == 409  # a draft
        as_user(requester).post(f"/api/v1/changes/{change.pk}/transition", {"target": "submitted"}, format="json")
        assert as_user(requester).post(url, {"decision": "approved"}, format="json").status_code == 403  # own change
        assert as_user(outsider).post(url, {"decision": "approved"}, format="json").status_code == 403
        assert as_user(lead).post(url, {"decision": "maybe"}, format="json").status_code == 400
        assert as_user(lead).post(url, {"decision": "rejected"}, format="json").status_code == 400  # no comment
        assert as_user(lead).post(url, {"decision": "approved", "team": "nope"}, format="json").status_code == 400
        assert not Approval.objects.exists()

    def test_filters(self, as_user, lead, requester, planned, approve):
        other_lead = MembershipFactory(team=TeamFactory(slug="ops"), is_lead=True).user
        approve(planned())
        client = as_user(other_lead)
        assert client.get("/api/v1/approvals?decision=approved&current=true").json()["count"] == 1
        assert client.get("/api/v1/approvals?team=ops").json()["count"] == 0
        assert client.get("/api/v1/approvals?decided_by=lead").json()["count"] == 1


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/hosts/%00",
        "/api/v1/hosts/" + "a" * 300,
        "/api/v1/teams/%00",
        "/api/v1/environments/%C3%A9",
        "/api/v1/changes/1/hosts/%00/state",
        "/api/v1/changes/99999999999999999999",
        "/api/v1/approvals/abc",
    ],
)
def test_odd_paths_are_404_not_500(as_user, requester, planned, path):
    planned()
    client = as_user(requester)
    response = client.post(path, {"state": "applied"}, format="json") if path.endswith("/state") else client.get(path)
    # A NUL byte is refused before routing (PostgreSQL cannot compare it); anything else odd is simply not found.
    assert response.status_code == (400 if "%00" in path else 404)
    assert "detail" in response.json()
