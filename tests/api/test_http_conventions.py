"""HTTP conventions every API path keeps: JSON errors even for paths that name no endpoint, wrong methods and
non-JSON bodies, and a Location header on every 201."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from apps.approvals.models import Approval
from apps.changes import services
from apps.changes.models import Change
from apps.inventory.models import Host
from tests.factories import ServiceFactory

pytestmark = pytest.mark.django_db


def _json_error(response, status: int) -> dict:
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"] == "application/json", response["Content-Type"]
    body = response.json()
    assert body["detail"], body
    return body


class TestUnknownPaths:
    @pytest.mark.parametrize(
        "path",
        [
            "/api/v1/nope",
            "/api/v1/changes/",  # the API's routes have no trailing slash
            "/api/v1/changes/1/",
            "/api/v1/hosts/web01.prod/",
            "/api/v2/changes",
            "/api/",
            "/api/schema/nope",
        ],
    )
    def test_are_a_json_404(self, as_user, requester, path):
        body = _json_error(as_user(requester).get(path), 404)
        assert path in body["detail"]

    def test_are_a_json_404_for_anonymous_callers_and_every_method(self):
        client = Client(enforce_csrf_checks=True)  # a POST is told the path is wrong, not that CSRF failed
        for method in ("get", "post", "put", "patch", "delete", "head"):
            response = getattr(client, method)("/api/v1/nope")
            assert response.status_code == 404, method
            assert response["Content-Type"] == "application/json", method

    def test_a_missing_slash_on_the_schema_and_docs_still_redirects(self, client):
        for path in ("/api/docs", "/api/schema"):
            response = client.get(path)
            assert response.status_code == 301 and response["Location"] == f"{path}/"

    def test_pages_outside_the_api_keep_the_html_404(self, login, requester):
        response = login(requester).get("/no-such-page/")
        assert response.status_code == 404
        assert response["Content-Type"].startswith("text/html")


def test_a_wrong_method_is_a_json_405(as_user, requester, planned):
    client = as_user(requester)
    body = _json_error(client.delete("/api/v1/changes"), 405)
    assert "DELETE" in body["detail"]
    _json_error(client.delete(f"/api/v1/changes/{planned().pk}"), 405)
    _json_error(client.get(f"/api/v1/changes/{planned().pk}/transition"), 405)


class TestJsonBodiesOnly:
    @pytest.mark.parametrize("format", ["multipart", None])
    def test_a_form_body_is_a_json_415(self, as_user, staff, format):
        client = as_user(staff)
        data = {"hostname": "db07", "environment": "qa"}
        if format is None:
            response = client.post(
                "/api/v1/hosts", "hostname=db07&environment=qa", content_type="application/x-www-form-urlencoded"
            )
        else:
            response = client.post("/api/v1/hosts", data, format=format)
        body = _json_error(response, 415)
        assert "Unsupported media type" in body["detail"]
        assert not Host.objects.filter(hostname="db07").exists()

    def test_any_other_type_is_a_json_415_too(self, as_user, requester, planned):
        response = as_user(requester).post(
            f"/api/v1/changes/{planned().pk}/transition", "target=submitted", content_type="text/plain"
        )
        _json_error(response, 415)

    def test_json_still_works(self, as_user, staff):
        response = as_user(staff).post("/api/v1/hosts", {"hostname": "db07", "environment": "qa"}, format="json")
        assert response.status_code == 201, response.content


class TestLocationOfWhatIsCreated:
    def test_a_new_change(self, as_user, requester, hosts):
        start = timezone.now() + timedelta(days=2)
        body = {
            "title": "Patch openssl",
            "environment": "qa",
            "planned_start": start.isoformat(),
            "planned_end": (start + timedelta(hours=2)).isoformat(),
            "hosts": ["web01.prod"],
        }
        client = as_user(requester)
        response = client.post("/api/v1/changes", body, format="json")
        assert response.status_code == 201, response.content
        change = Change.objects.get()
        assert response["Location"] == f"http://testserver/api/v1/changes/{change.pk}"
        assert client.get(response["Location"]).json() == response.json()

    def test_a_new_host(self, as_user, staff):
        ServiceFactory(name="billing-web")
        client = as_user(staff)
        response = client.post("/api/v1/hosts", {"hostname": "DB07", "environment": "qa"}, format="json")
        assert response.status_code == 201, response.content
        host = Host.objects.get(hostname="db07")
        assert response["Location"] == f"http://testserver/api/v1/hosts/{host.pk}"
        assert client.get(response["Location"]).json() == response.json()

    def test_a_new_decision(self, as_user, requester, lead, planned):
        change = services.submit_change(change=planned(), actor=requester)
        client = as_user(lead)
        response = client.post(f"/api/v1/changes/{change.pk}/decide", {"decision": "approved"}, format="json")
        assert response.status_code == 201, response.content
        approval = Approval.objects.get(change=change, decision="approved")
        assert response["Location"] == f"http://testserver/api/v1/approvals/{approval.pk}"
        assert client.get(response["Location"]).json()["id"] == approval.pk

    def test_follows_the_host_the_request_came_to(self, token_for, staff):
        client = APIClient(HTTP_HOST="localhost:8000")
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(staff)}")
        response = client.post("/api/v1/hosts", {"hostname": "db08", "environment": "qa"}, format="json")
        assert response["Location"].startswith("http://localhost:8000/api/v1/hosts/")
