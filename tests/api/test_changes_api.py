"""Changes over REST: list and filters, create and edit through the services, transitions, host states, feed."""

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.changes.choices import ActivityAction, ChangeStatus, HostExecutionState
from apps.changes.models import Change, ChangeActivity
from tests.factories import ChangeFactory, ChangeHostFactory, HostFactory, environment

pytestmark = pytest.mark.django_db


def _body(**fields):
    start = timezone.now() + timedelta(days=2)
    return {
        "title": "Patch openssl",
        "environment": "qa",
        "planned_start": start.isoformat(),
        "planned_end": (start + timedelta(hours=2)).isoformat(),
        "kind": "patch",
        "hosts": ["web01.prod"],
    } | fields


class TestRead:
    def test_list_is_paginated_with_brief_nested_objects(self, as_user, requester, planned):
        change = planned()
        body = as_user(requester).get("/api/v1/changes").json()
        assert body["count"] == 1
        row = body["results"][0]
        assert row["id"] == change.pk and row["reference"] == change.reference
        assert set(row["environment"]) == {"id", "slug", "name", "is_production"}
        assert row["environment"]["slug"] == "prod" and row["environment"]["is_production"]
        assert row["team"]["slug"] == "billing-dev"
        assert [host["hostname"] for host in row["hosts"]] == ["web01.prod", "web02.prod", "web03.prod"]
        assert row["hosts"][0]["state"] == "pending"
        assert row["version"] == 1

    def test_filters_are_the_change_list_filters(self, as_user, requester):
        prod = ChangeFactory(title="prod one", environment=environment("prod"), status=ChangeStatus.APPROVED)
        ChangeFactory(title="qa one", environment=environment("qa"))
        host = HostFactory(hostname="db01")
        ChangeHostFactory(change=prod, host=host)
        client = as_user(requester)
        ids = lambda query: [row["id"] for row in client.get(f"/api/v1/changes?{query}").json()["results"]]  # noqa: E731
        assert ids("environment=prod") == [prod.pk]
        assert ids("status=approved") == [prod.pk]
        assert ids("host=DB01") == [prod.pk]
        assert ids("q=prod") == [prod.pk]
        assert client.get("/api/v1/changes?environment=nowhere").status_code == 400

    def test_updated_since_and_ordering(self, as_user, requester):
        old = ChangeFactory(title="old")
        Change.objects.filter(pk=old.pk).update(updated=timezone.now() - timedelta(days=3))
        new = ChangeFactory(title="new")
        client = as_user(requester)
        since = (timezone.now() - timedelta(days=1)).isoformat()
        body = client.get("/api/v1/changes", {"updated_since": since}).json()
        assert [row["id"] for row in body["results"]] == [new.pk]
        ordered = client.get("/api/v1/changes?ordering=updated").json()["results"]
        assert [row["id"] for row in ordered] == [old.pk, new.pk]
        assert client.get("/api/v1/changes", {"updated_since": "yesterday"}).status_code == 400

    def test_detail_and_404(self, as_user, requester, planned):
        change = planned()
        client = as_user(requester)
        assert client.get(f"/api/v1/changes/{change.pk}").json()["title"] == change.title
        missing = client.get("/api/v1/changes/999999")
        assert missing.status_code == 404 and missing.json()["detail"]

    def test_feed_pages_by_cursor_in_update_order(self, as_user, requester):
        changes = [ChangeFactory(title=f"c{n}") for n in range(5)]
        client = as_user(requester)
        first = client.get("/api/v1/changes/feed?limit=2").json()
        assert [row["id"] for row in first["results"]] == [changes[0].pk, changes[1].pk]
        second = client.get(first["next"]).json()
        assert [row["id"] for row in second["results"]] == [changes[2].pk, changes[3].pk]
        assert client.get("/api/v1/changes/feed?cursor=garbage").status_code == 404


class TestWrite:
    def test_create_goes_through_the_service(self, as_user, requester, hosts):
        response = as_user(requester).post("/api/v1/changes", _body(services=[]), format="json")
        assert response.status_code == 201, response.json()
        change = Change.objects.get(pk=response.json()["id"])
        assert change.requester == requester and change.status == ChangeStatus.DRAFT
        assert ChangeActivity.objects.filter(change=change, action=ActivityAction.CREATED).exists()
        assert response.json()["hosts"][0]["hostname"] == "web01.prod"

    def test_create_and_submit(self, as_user, requester, hosts, team):
        response = as_user(requester).post("/api/v1/changes", _body(team=team.slug, submit=True), format="json")
        assert response.status_code == 201, response.json()
        assert response.json()["status"] == "submitted"

    @pytest.mark.parametrize(
        ("override", "field"),
        [
            ({"hosts": ["web01.prod", "ghost01"]}, "hosts"),
            ({"environment": "moon"}, "environment"),
            ({"title": ""}, "title"),
            ({"kind": "wizardry"}, "kind"),
            ({"planned_start": "not a date"}, "planned_start"),
            ({"planned_start": "9999-12-31T23:00:00Z"}, "planned_start"),
            ({"services": ["no-such-service"]}, "services"),
            ({"links": [{"url": "javascript:alert(1)"}]}, "links"),
        ],
    )
    def test_invalid_input_is_400_naming_the_field(self, as_user, requester, hosts, override, field):
        response = as_user(requester).post("/api/v1/changes", _body(**override), format="json")
        assert response.status_code == 400
        assert field in response.json()
        assert not Change.objects.exists()

    def test_model_rules_are_400_too(self, as_user, requester, hosts):
        start = timezone.now() + timedelta(days=1)
        body = _body(planned_start=start.isoformat(), planned_end=(start - timedelta(hours=1)).isoformat())
        response = as_user(requester).post("/api/v1/changes", body, format="json")
        assert response.status_code == 400
        assert "planned_end" in response.json()

    def test_unknown_host_message_names_it(self, as_user, requester, hosts):
        response = as_user(requester).post("/api/v1/changes", _body(hosts=["ghost01"]), format="json")
        assert "ghost01" in str(response.json()["hosts"])

    def test_user_without_team_cannot_create(self, as_user, outsider, hosts):
        assert as_user(outsider).post("/api/v1/changes", _body(), format="json").status_code == 403

    def test_patch_with_version(self, as_user, requester, planned):
        change = planned()
        response = as_user(requester).patch(
            f"/api/v1/changes/{change.pk}", {"title": "Deploy billing 2.4.1", "version": 1}, format="json"
        )
        assert response.status_code == 200, response.json()
        assert response.json()["title"] == "Deploy billing 2.4.1"
        assert response.json()["version"] == 2

    def test_stale_version_is_409(self, as_user, requester, planned):
        change = planned()
        client = as_user(requester)
        assert (
            client.patch(f"/api/v1/changes/{change.pk}", {"title": "A", "version": 1}, format="json").status_code == 200
        )
        stale = client.patch(f"/api/v1/changes/{change.pk}", {"title": "B", "version": 1}, format="json")
        assert stale.status_code == 409
        assert "version" in stale.json()["detail"]

    def test_patch_without_version_is_400(self, as_user, requester, planned):
        change = planned()
        response = as_user(requester).patch(f"/api/v1/changes/{change.pk}", {"title": "x"}, format="json")
        assert response.status_code == 400 and "version" in response.json()

    def test_put_replaces_hosts(self, as_user, requester, planned):
        change = planned()
        body = _body(environment="prod", hosts=["web02.prod"], version=1)
        response = as_user(requester).put(f"/api/v1/changes/{change.pk}", body, format="json")
        assert response.status_code == 200, response.json()
        assert [host["hostname"] for host in response.json()["hosts"]] == ["web02.prod"]

    def test_outsider_cannot_edit(self, as_user, outsider, planned):
        change = planned()
        response = as_user(outsider).patch(f"/api/v1/changes/{change.pk}", {"title": "x", "version": 1}, format="json")
        assert response.status_code == 403


class TestActions:
    def test_transition(self, as_user, requester, planned):
        change = planned()
        response = as_user(requester).post(
            f"/api/v1/changes/{change.pk}/transition", {"target": "submitted"}, format="json"
        )
        assert response.status_code == 200, response.json()
        assert response.json()["status"] == "submitted"

    def test_illegal_transition_is_409_listing_allowed_moves(self, as_user, requester, planned):
        change = planned()
        response = as_user(requester).post(
            f"/api/v1/changes/{change.pk}/transition", {"target": "completed"}, format="json"
        )
        assert response.status_code == 409
        assert "Allowed" in response.json()["detail"]

    def test_unknown_target_is_400(self, as_user, requester, planned):
        change = planned()
        response = as_user(requester).post(f"/api/v1/changes/{change.pk}/transition", {"target": "done"}, format="json")
        assert response.status_code == 400 and "target" in response.json()

    def test_note_required_is_400(self, as_user, requester, planned):
        change = planned()
        response = as_user(requester).post(
            f"/api/v1/changes/{change.pk}/transition", {"target": "cancelled"}, format="json"
        )
        assert response.status_code == 400 and "note" in response.json()

    def test_complete_with_pending_hosts_needs_confirmation(self, as_user, requester, planned, approve):
        change = approve(planned())
        client = as_user(requester)
        url = f"/api/v1/changes/{change.pk}/transition"
        assert client.post(url, {"target": "in_progress"}, format="json").status_code == 200
        refused = client.post(url, {"target": "completed"}, format="json")
        assert refused.status_code == 400 and "confirm_incomplete" in refused.json()
        body = {"target": "completed", "confirm_incomplete": True, "note": "web03 was decommissioned"}
        assert client.post(url, body, format="json").json()["status"] == "completed"

    def test_bulk_host_states(self, as_user, requester, planned):
        change = planned()
        response = as_user(requester).post(
            f"/api/v1/changes/{change.pk}/hosts/state",
            {"hosts": ["web01.prod", "WEB02.prod"], "state": "applied", "note": "ok"},
            format="json",
        )
        assert response.status_code == 200, response.json()
        assert response.json()["updated"] == ["web01.prod", "web02.prod"]
        states = {row["hostname"]: row["state"] for row in response.json()["hosts"]}
        assert states == {"web01.prod": "applied", "web02.prod": "applied", "web03.prod": "pending"}

    def test_single_host_state(self, as_user, requester, planned):
        change = planned()
        url = f"/api/v1/changes/{change.pk}/hosts/web03.prod/state"
        response = as_user(requester).post(url, {"state": "failed"}, format="json")
        assert response.status_code == 200
        assert change.host_links.get(host__hostname="web03.prod").state == HostExecutionState.FAILED

    def test_host_state_errors(self, as_user, requester, outsider, planned):
        change = planned()
        HostFactory(hostname="other01")
        client = as_user(requester)
        base = f"/api/v1/changes/{change.pk}/hosts"
        assert client.post(f"{base}/other01/state", {"state": "applied"}, format="json").status_code == 404
        unknown = client.post(f"{base}/state", {"hosts": ["ghost"], "state": "applied"}, format="json")
        assert unknown.status_code == 400 and "ghost" in str(unknown.json())
        not_linked = client.post(f"{base}/state", {"hosts": ["other01"], "state": "applied"}, format="json")
        assert not_linked.status_code == 400
        bad_state = client.post(f"{base}/state", {"hosts": ["web01.prod"], "state": "done"}, format="json")
        assert bad_state.status_code == 400
        forbidden = as_user(outsider).post(
            f"{base}/state", {"hosts": ["web01.prod"], "state": "applied"}, format="json"
        )
        assert forbidden.status_code == 403


def test_list_query_count_does_not_grow_with_rows(as_user, requester, django_assert_max_num_queries):
    client = as_user(requester)
    client.get("/api/v1/changes")  # the token's first use writes last_used_at

    def make(count):
        for _ in range(count):
            change = ChangeFactory()
            ChangeHostFactory(change=change)

    make(2)
    with django_assert_max_num_queries(12) as few:
        assert client.get("/api/v1/changes").status_code == 200
    make(20)
    with django_assert_max_num_queries(12) as many:
        assert len(client.get("/api/v1/changes").json()["results"]) == 22
    assert len(many.captured_queries) == len(few.captured_queries)
    with django_assert_max_num_queries(12) as feed:
        assert client.get("/api/v1/changes/feed").status_code == 200
    assert len(feed.captured_queries) <= len(few.captured_queries)
