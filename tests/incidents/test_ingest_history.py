"""A QA -> production history sent only through the API (hosts, change events) ranks exactly as the same history
entered by hand: the per-host states, the drift factor and every reason come out the same.

The history: billing 2.4.0 deployed to QA, an openssl patch on production only, then billing 2.4.0 deployed to
production where web03 failed. At 07:00 the bridge asks what changed on web03.prod and on web01.prod.
"""

import json
import re
from datetime import UTC, datetime, timedelta

import pytest
from django.db import transaction

from apps.changes.choices import ChangeKind, ChangeStatus, HostExecutionState
from apps.changes.models import Change, ChangeHost
from tests.factories import HostFactory, MembershipFactory, ServiceFactory, TeamFactory, UserFactory, environment

pytestmark = pytest.mark.django_db
AT = datetime(2026, 11, 27, 7, 0, tzinfo=UTC)
PROD = ["web01.prod", "web02.prod", "web03.prod"]
# (title, environment, kind, artifact, end before AT, {host: state})
HISTORY = [
    (
        "Deploy billing 2.4.0 to QA",
        "qa",
        ChangeKind.RELEASE,
        "billing 2.4.0",
        timedelta(hours=30),
        {"web01.qa": "applied"},
    ),
    (
        "Patch openssl 3.0.13-1",
        "prod",
        ChangeKind.PATCH,
        "openssl 3.0.13-1",
        timedelta(hours=20),
        dict.fromkeys(PROD, "applied"),
    ),
    (
        "Deploy billing 2.4.0",
        "prod",
        ChangeKind.RELEASE,
        "billing 2.4.0",
        timedelta(hours=6),
        {"web01.prod": "applied", "web02.prod": "applied", "web03.prod": "failed"},
    ),
]
DURATION = timedelta(minutes=40)


@pytest.fixture
def pipeline(db, as_user):
    team = TeamFactory(name="Billing", slug="billing")
    robot = UserFactory(username="jenkins")
    MembershipFactory(team=team, user=robot)
    ServiceFactory(name="billing-web", slug="billing-web")
    client = as_user(robot)
    client.inventory = as_user(UserFactory(username="inventory-admin", is_staff=True))
    return client


def _through_the_api(client) -> None:
    for hostname, env in [("web01.qa", "qa"), *((name, "prod") for name in PROD)]:
        host = {"hostname": hostname, "environment": env, "services": ["billing-web"]}
        response = client.inventory.post("/api/v1/hosts", host, format="json")
        assert response.status_code == 201, response.json()
    for title, env, kind, artifact, before, states in HISTORY:
        end = AT - before
        outcomes = [name if state == "applied" else {"name": name, "state": state} for name, state in states.items()]
        event = {
            "payload": {"summary": title, "source": "jenkins", "timestamp": end.isoformat()},
            "started_at": (end - DURATION).isoformat(),
            "hosts": outcomes,
            "environment": env,
            "kind": kind,
            "artifact": artifact,
        }
        response = client.post("/api/v1/change-events", event, format="json")
        assert response.status_code == 202, response.json()


def _by_hand() -> None:
    robot = UserFactory._meta.model.objects.get(username="jenkins")
    hosts = {}
    for hostname, env in [("web01.qa", "qa"), *((name, "prod") for name in PROD)]:
        hosts[hostname] = HostFactory(hostname=hostname, environment=environment(env))
        hosts[hostname].services.set(ServiceFactory._meta.model.objects.filter(slug="billing-web"))
    for title, env, kind, artifact, before, states in HISTORY:
        end = AT - before
        change = Change.objects.create(
            title=title,
            environment=environment(env),
            kind=kind,
            artifact=artifact,
            requester=robot,
            status=ChangeStatus.COMPLETED,
            is_unplanned=True,
            planned_start=end - DURATION,
            planned_end=end,
            actual_start=end - DURATION,
            actual_end=end,
        )
        for name, state in states.items():
            ChangeHost.objects.create(change=change, host=hosts[name], state=state, state_changed_at=end)


def _bridge(client, hostname: str) -> list[dict]:
    body = client.get(f"/api/v1/hosts/{hostname}/suspects", {"at": AT.isoformat(), "hours": 72}).json()
    ignored = {"id", "reference", "url", "summary_title"}
    return [{key: value for key, value in suspect.items() if key not in ignored} for suspect in body["suspects"]]


def _answers(client, build) -> dict[str, list[dict]]:
    with transaction.atomic():
        build()
        answers = {hostname: _bridge(client, hostname) for hostname in ("web03.prod", "web01.prod")}
        transaction.set_rollback(True)
    # The two histories get different ids (PostgreSQL does not roll sequences back): compare without them.
    return json.loads(re.sub(r"CHG-\d+", "CHG-n", json.dumps(answers)))


def test_ingested_history_ranks_like_the_same_history_entered_by_hand(pipeline):
    ingested = _answers(pipeline, lambda: _through_the_api(pipeline))
    by_hand = _answers(pipeline, _by_hand)
    assert ingested == by_hand


def test_the_bridge_reads_the_ingested_history_right(pipeline):
    _through_the_api(pipeline)
    web03 = _bridge(pipeline, "web03.prod")
    assert [s["title"] for s in web03] == ["Patch openssl 3.0.13-1", "Deploy billing 2.4.0"]
    patch, release = web03
    # The patch never reached QA (on web03 the release that came after it failed, so it was not combined).
    assert patch["drift"] is True and patch["on_host"] == HostExecutionState.APPLIED
    drift = next(reason for reason in patch["reasons"] if reason["factor"] == "drift")
    assert drift["text"] == "production only: openssl 3.0.13-1 never applied in QA or dev (billing-web)"
    # The release reached QA first: no drift; it failed on this host 6 h before the incident.
    assert release["drift"] is False and release["on_host"] == HostExecutionState.FAILED
    assert release["summary"].startswith("failed on this host 6 h before the incident")
    assert release["host_states"] == {"applied": 2, "failed": 1}

    web01 = {s["title"]: s for s in _bridge(pipeline, "web01.prod")}
    assert web01["Deploy billing 2.4.0"]["on_host"] == HostExecutionState.APPLIED
    assert web01["Deploy billing 2.4.0"]["summary"].startswith("applied on this host 6 h before the incident")
    # Here the release was applied after the patch: it was tested in QA without the patch.
    drift = next(r for r in web01["Patch openssl 3.0.13-1"]["reasons"] if r["factor"] == "drift")
    release = Change.objects.get(title="Deploy billing 2.4.0")
    assert drift["text"].endswith(f"; {release.reference} (billing 2.4.0) ran here after it but was tested without it")
    assert not any("pending" in reason["text"] for s in web01.values() for reason in s["reasons"])
