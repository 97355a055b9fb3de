from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from apps.approvals import services as approval_services
from apps.changes import services
from tests.factories import HostFactory, UserFactory, environment


@pytest.fixture(autouse=True)
def _private_throttle_counts(private_throttle_counts):
    """Every API test counts its requests in its own cache (see tests/conftest.py)."""


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def staff(db):
    return UserFactory(username="staffer", is_staff=True)


@pytest.fixture
def hosts(db):
    return [HostFactory(hostname=f"web{n:02d}.prod") for n in range(1, 4)]


@pytest.fixture
def planned(requester, team, hosts):
    """A change by ``requester`` on three prod hosts, planned from one hour ago to one hour ahead (draft)."""

    def _planned(**fields):
        now = timezone.now()
        values = {
            "title": "Deploy billing 2.4.0",
            "environment": environment("prod"),
            "team": team,
            "planned_start": now - timedelta(hours=1),
            "planned_end": now + timedelta(hours=1),
            "backout_plan": "Redeploy 2.3.9.",
            "artifact": "billing 2.4.0",
        } | fields
        return services.create_change(actor=requester, hosts=hosts, **values)

    return _planned


@pytest.fixture
def approve(lead):
    """Submit a change and have the team's lead approve it."""

    def _approve(change):
        change = services.submit_change(change=change, actor=change.requester)
        approval_services.decide(change=change, actor=lead, decision="approved")
        change.refresh_from_db()
        return change

    return _approve
