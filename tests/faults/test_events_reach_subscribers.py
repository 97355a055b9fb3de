"""Every change is heard: with gunicorn and a real Celery worker on the real broker, a webhook subscriber receives
the change.recorded of a PagerDuty client's event, the change.host_states of a pipeline's execution report and
the change.created of a change made through the API, each signed with the endpoint's secret."""

import hashlib
import hmac
import json
import os
from datetime import timedelta

import pdpyras
import pytest
from django.utils import timezone

from apps.accounts.tokens import create_api_token
from apps.ingest import keys
from apps.webhooks.models import WebhookEndpoint
from loadtest.stack import gunicorn, wait_until, worker
from tests.factories import HostFactory, environment
from tests.faults.conftest import require_postgres
from tests.faults.web import Web

SECRET = "s3cret-for-the-subscriber-0123456789"


def _events(receiver) -> dict[str, dict]:
    events = {}
    for request in receiver.received("/hook"):
        expected = "sha256=" + hmac.new(SECRET.encode(), request.body, hashlib.sha256).hexdigest()
        assert hmac.compare_digest(expected, request.signature), "every delivery is signed with the secret"
        body = json.loads(request.body)
        events.setdefault(body["type"], body)
    return events


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_ingested_reported_and_created_changes_reach_a_webhook(fault_team, child_env, logs, receiver, clean_broker):
    require_postgres()
    team, requester, lead = fault_team
    HostFactory(hostname="pay01.prod", environment=environment("prod"))
    WebhookEndpoint.objects.create(
        name="subscriber",
        url=receiver.url("/hook"),
        secret=SECRET,
        event_types=["change.recorded", "change.host_states", "change.created"],
    )
    key = keys.create_integration_key(actor=lead, name="pdpyras", environment=environment("prod"), team=team)
    token = create_api_token(user=requester, name="ci", scope="read_write").plaintext
    env = child_env(os.environ["REDIS_URL"])

    with gunicorn(env, log=logs / "gunicorn.log") as port, worker(env, log=logs / "worker.log"):
        session = pdpyras.ChangeEventsAPISession(key.plaintext)
        session.url = f"http://127.0.0.1:{port}"
        session.submit(summary="Restarted nginx", source="ansible", custom_details={"hosts": ["pay01.prod"]})

        web = Web(port)
        start = timezone.now() - timedelta(minutes=10)
        status, planned = web.api(
            "POST",
            "/api/v1/changes",
            token,
            {
                "title": "Rotate TLS certificates",
                "environment": "prod",
                "team": team.slug,
                "planned_start": start.isoformat(),
                "planned_end": (start + timedelta(hours=1)).isoformat(),
                "backout_plan": "Restore the previous certificates.",
                "hosts": ["pay01.prod"],
            },
        )
        assert status == 201, planned
        report = {"payload": {"summary": "Certificates rotated"}, "change": planned["id"], "hosts": ["pay01.prod"]}
        status, body = web.api("POST", "/api/v1/change-events", token, report)
        assert status == 202, body
        wait_until(lambda: len(_events(receiver)) == 3, timeout=60, what="the three events at the subscriber")

    events = _events(receiver)
    recorded = events["change.recorded"]["data"]
    assert recorded["change"]["title"] == "Restarted nginx" and recorded["change"]["is_unplanned"] is True
    assert recorded["change"]["team"] == team.slug and recorded["host_states"]["pay01.prod"]["state"] == "applied"
    created = events["change.created"]["data"]
    assert created["change"]["id"] == planned["id"] and created["actor"] == requester.username
    states = events["change.host_states"]["data"]
    assert states["change"]["id"] == planned["id"]
    assert states["host_states"] == {
        "pay01.prod": {"before": "pending", "after": "applied", "at": states["host_states"]["pay01.prod"]["at"]}
    }
