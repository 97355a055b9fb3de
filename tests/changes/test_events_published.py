"""Every change is heard: creating a change (form, API) and recording per-host states publish outbox events."""

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.changes import services
from apps.events.models import OutboxEvent
from tests.changes.test_form_views import CREATE, form_data  # noqa: F401 - the form's fixture
from tests.factories import HostFactory, environment

pytestmark = pytest.mark.django_db


def _published(event_type: str) -> list[dict]:
    return [event.payload for event in OutboxEvent.objects.filter(event_type=event_type).order_by("pk")]


def test_the_form_publishes_change_created(login, requester, form_data):  # noqa: F811
    HostFactory(hostname="web01.qa", environment=environment("qa"))
    response = login(requester).post(CREATE, form_data | {"hosts": ["web01.qa"]})
    assert response.status_code == 302
    (payload,) = _published("change.created")
    assert payload["change"]["title"] == "Patch libssl on billing web" and payload["change"]["hosts"] == ["web01.qa"]
    assert payload["actor"] == "requester" and payload["change"]["status"] == "draft"


def test_the_api_publishes_change_created_then_submitted(as_user, requester, team):
    start = timezone.now() + timedelta(days=2)
    body = {
        "title": "Rotate certificates",
        "environment": "qa",
        "team": team.slug,
        "planned_start": start.isoformat(),
        "planned_end": (start + timedelta(hours=1)).isoformat(),
        "submit": True,
    }
    assert as_user(requester).post("/api/v1/changes", body, format="json").status_code == 201
    types = list(OutboxEvent.objects.order_by("pk").values_list("event_type", flat=True))
    assert types[:2] == ["change.created", "change.submitted"]


def test_per_host_states_publish_one_event_with_each_hosts_move(requester, team):
    hosts = [HostFactory(hostname=f"web0{n}.qa", environment=environment("qa")) for n in (1, 2)]
    start = timezone.now() - timedelta(hours=1)
    change = services.create_change(
        actor=requester,
        title="Patch",
        environment=environment("qa"),
        team=team,
        planned_start=start,
        planned_end=start + timedelta(hours=2),
        hosts=hosts,
    )
    services.set_host_states(change=change, hosts=hosts[:1], state="failed", actor=requester, note="disk full")
    (payload,) = _published("change.host_states")
    assert payload["host_states"] == {
        "web01.qa": {"before": "pending", "after": "failed", "at": payload["host_states"]["web01.qa"]["at"]}
    }
    assert payload["actor"] == "requester" and payload["note"] == "disk full" and payload["host_states_count"] == 1
    services.set_host_states(change=change, hosts=hosts[:1], state="failed", actor=requester)
    assert len(_published("change.host_states")) == 1  # nothing moved: nothing to hear
