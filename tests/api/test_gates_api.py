"""Pipeline gates: freeze-state around the edges of (recurring) freezes, and whether a change may proceed."""

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from apps.changes.models import Change
from tests.factories import FreezeWindowFactory, HostFactory, ServiceFactory, environment

pytestmark = pytest.mark.django_db
START = datetime(2030, 3, 1, 18, 0, tzinfo=UTC)
END = START + timedelta(hours=12)


@pytest.fixture
def freeze():
    window = FreezeWindowFactory(name="Quarter close", start=START, end=END, reason="Finance closes the books")
    window.environments.add(environment("prod"))
    return window


def _state(client, **query):
    return client.get("/api/v1/freeze-state", query).json()


@pytest.mark.parametrize(
    ("at", "state"),
    [
        (START - timedelta(seconds=1), "open"),
        (START, "closed"),
        (END - timedelta(seconds=1), "closed"),
        (END, "open"),
    ],
)
def test_freeze_state_edges(as_user, requester, freeze, at, state):
    body = _state(as_user(requester), environment="prod", at=at.isoformat())
    assert body["state"] == state
    if state == "closed":
        assert body["windows"][0]["name"] == "Quarter close"
        assert body["windows"][0]["environments"] == ["prod"]
    assert body["environments"] == ["prod"]


def test_other_environment_is_open(as_user, requester, freeze):
    assert _state(as_user(requester), environment="qa", at=START.isoformat())["state"] == "open"


def test_recurring_freeze(as_user, requester):
    window = FreezeWindowFactory(
        name="Saturdays", start=START, end=START + timedelta(hours=2), recurrence="FREQ=WEEKLY"
    )
    window.environments.add(environment("prod"))
    client = as_user(requester)
    next_week = START + timedelta(days=7, minutes=30)
    assert _state(client, environment="prod", at=next_week.isoformat())["state"] == "closed"
    assert _state(client, environment="prod", at=(next_week + timedelta(hours=2)).isoformat())["state"] == "open"


def test_service_means_the_environments_of_its_hosts(as_user, requester, freeze):
    service = ServiceFactory(name="billing-web")
    HostFactory(hostname="web01", environment=environment("prod")).services.add(service)
    ServiceFactory(name="search")
    client = as_user(requester)
    body = _state(client, service="billing-web", at=START.isoformat())
    assert body["state"] == "closed" and body["environments"] == ["prod"]
    assert _state(client, service="search", at=START.isoformat())["state"] == "open"


def test_freeze_state_without_filters_and_errors(as_user, requester, freeze):
    client = as_user(requester)
    assert _state(client, at=START.isoformat())["state"] == "closed"
    assert client.get("/api/v1/freeze-state?environment=moon").status_code == 400
    assert "billing" not in str(client.get("/api/v1/freeze-state?service=nope").json())
    assert client.get("/api/v1/freeze-state?at=0001-01-01T00:00:00Z").status_code == 400
    assert _state(client)["state"] == "open"  # now


def test_freeze_windows_listing(as_user, requester, freeze):
    client = as_user(requester)
    rows = client.get("/api/v1/freeze-windows?environment=prod").json()["results"]
    assert [row["name"] for row in rows] == ["Quarter close"]
    assert client.get("/api/v1/freeze-windows?environment=qa").json()["count"] == 0
    assert client.get("/api/v1/freeze-windows?recurring=true").json()["count"] == 0


class TestGate:
    def _gate(self, client, change, at=None):
        query = {"at": at.isoformat()} if at else {}
        return client.get(f"/api/v1/changes/{change.pk}/gate", query).json()

    def test_approved_change_inside_its_window_may_proceed(self, as_user, requester, planned, approve):
        change = approve(planned())
        body = self._gate(as_user(requester), change)
        assert body == body | {"proceed": True, "reasons": [], "codes": [], "status": "approved", "change": change.pk}

    def test_not_approved(self, as_user, requester, planned):
        body = self._gate(as_user(requester), planned())
        assert body["proceed"] is False
        assert "must be approved" in body["reasons"][0]
        assert body["codes"] == ["not_approved"]

    def test_emergency_may_proceed_once_submitted(self, as_user, requester, planned):
        change = planned(change_type="emergency")
        change = Change.objects.get(pk=change.pk)
        client = as_user(requester)
        client.post(f"/api/v1/changes/{change.pk}/transition", {"target": "submitted"}, format="json")
        assert self._gate(client, change)["proceed"] is True

    def test_outside_its_window(self, as_user, requester, planned, approve):
        change = approve(planned())
        client = as_user(requester)
        early = self._gate(client, change, at=change.planned_start - timedelta(seconds=1))
        assert early["proceed"] is False and "has not started yet" in early["reasons"][0]
        assert early["codes"] == ["outside_window"]
        assert self._gate(client, change, at=change.planned_start)["proceed"] is True
        late = self._gate(client, change, at=change.planned_end)
        assert late["proceed"] is False and "is over" in late["reasons"][0]
        assert late["codes"] == ["outside_window"]

    def test_freeze_without_exception_blocks(self, as_user, requester, planned, approve):
        now = timezone.now()
        window = FreezeWindowFactory(start=now + timedelta(minutes=30), end=now + timedelta(hours=3))
        window.environments.add(environment("prod"))
        change = approve(planned(freeze_justification="Security fix for CVE-2030-1"))
        client = as_user(requester)
        assert self._gate(client, change, at=now + timedelta(minutes=29))["proceed"] is True
        inside = self._gate(client, change, at=now + timedelta(minutes=30))
        assert inside["proceed"] is True and inside["freezes"][0]["name"] == window.name
        Change.objects.filter(pk=change.pk).update(freeze_justification="")
        blocked = self._gate(client, change, at=now + timedelta(minutes=30))
        assert blocked["proceed"] is False and "frozen" in blocked["reasons"][0]
        assert blocked["codes"] == ["frozen"]

    def test_one_code_per_reason_in_order(self, as_user, requester, planned):
        now = timezone.now()
        window = FreezeWindowFactory(start=now - timedelta(hours=1), end=now + timedelta(days=3))
        window.environments.add(environment("prod"))
        change = planned(planned_start=now + timedelta(days=1), planned_end=now + timedelta(days=1, hours=1))
        body = self._gate(as_user(requester), change)
        assert body["codes"] == ["not_approved", "outside_window", "frozen"]
        assert len(body["reasons"]) == 3

    def test_bad_at_is_400_and_missing_change_404(self, as_user, requester, planned):
        client = as_user(requester)
        assert client.get(f"/api/v1/changes/{planned().pk}/gate?at=noon").status_code == 400
        assert client.get("/api/v1/changes/424242/gate").status_code == 404
