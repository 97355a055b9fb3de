"""Redis unavailable: the UI and API keep working; once Redis is back, a real worker and the outbox drain
deliver every notification and webhook, each exactly once.

The app runs as a gunicorn child process whose REDIS_URL (broker, cache) points at a loopback port with
nothing listening; later a private redis-server is started on that very port.
"""

import random
import shutil
import socket
from datetime import timedelta

import pytest
from django.utils import timezone

from apps.accounts.tokens import create_api_token
from apps.approvals.models import Approval
from apps.changes.choices import ChangeStatus
from apps.changes.models import Change
from apps.events.choices import DeliveryStatus
from apps.events.models import EmailNotification, OutboxEvent
from apps.ingest.models import IngestRecord
from apps.webhooks.models import WebhookDelivery, WebhookEndpoint
from loadtest.stack import free_port, gunicorn, redis_server, wait_until, worker
from tests.factories import PASSWORD, HostFactory, environment
from tests.faults.conftest import mail_subjects, require_postgres
from tests.faults.web import Web


def _quiet_port() -> int:
    """A free port below Linux's ephemeral range (32768+): no outgoing connection of this test (to PostgreSQL,
    gunicorn, the receiver) can take it while the outage lasts, so the Redis that comes back can bind it."""
    for candidate in random.sample(range(20000, 32000), 50):
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", candidate))
            except OSError:
                continue
            return candidate
    return free_port()


def _use_the_app_while_redis_is_down(port: int, token: str, lead) -> int:
    """Submit, decide, look up, ingest: every answer must be a success; returns the change id."""
    web = Web(port)
    start = timezone.now() + timedelta(days=2)
    status, body = web.api(
        "POST",
        "/api/v1/changes",
        token,
        {
            "title": "Rotate TLS certificates",
            "environment": "prod",
            "team": "payments",
            "planned_start": start.isoformat(),
            "planned_end": (start + timedelta(hours=1)).isoformat(),
            "backout_plan": "Restore the previous certificates.",
            "hosts": ["pay01.prod"],
            "submit": True,
        },
    )
    assert status == 201, body
    change_id = body["id"]

    browser = Web(port)
    assert browser.login(lead.username, PASSWORD) == 302
    status, page = browser.get("/approvals/")
    assert status == 200 and "Rotate TLS certificates" in page
    status, _ = browser.post_form(f"/approvals/{change_id}/decide/", {"decision": "approved", "from": "inbox"})
    assert status == 302
    status, page = browser.get("/calendar/")
    assert status == 200 and "Rotate TLS certificates" in page

    event = {"routing_key": "payments", "payload": {"summary": "Restarted nginx"}, "hosts": ["pay01.prod"]}
    status, body = web.api("POST", "/api/v1/change-events", token, event | {"dedup_key": "outage-1"})
    assert status == 202, body
    status, body = web.api("GET", "/api/v1/hosts/pay01.prod/suspects", token)
    assert status == 200 and "Restarted nginx" in str(body), body
    status, page = browser.get("/bridge/hosts/pay01.prod/")
    assert status == 200 and "Restarted nginx" in page
    return change_id


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_redis_outage_keeps_the_app_up_and_loses_nothing(fault_team, child_env, logs, receiver, tmp_path):
    require_postgres()
    if not shutil.which("redis-server"):
        pytest.skip("needs the redis-server binary (a private Redis plays the one that comes back)")
    team, requester, lead = fault_team
    HostFactory(hostname="pay01.prod", environment=environment("prod"))
    token = create_api_token(user=requester, name="outage", scope="read_write").plaintext
    WebhookEndpoint.objects.create(name="receiver", url=receiver.url("/ok"))
    redis_port = _quiet_port()  # nothing listens here until the outage ends
    mail_dir = tmp_path / "mail"
    env = child_env(f"redis://127.0.0.1:{redis_port}/0", FAULTS_MAIL_DIR=str(mail_dir))

    with gunicorn(env, log=logs / "gunicorn.log", threads=4) as port:
        change_id = _use_the_app_while_redis_is_down(port, token, lead)

    change = Change.objects.get(pk=change_id)
    assert change.status == ChangeStatus.APPROVED
    assert Approval.objects.filter(change=change, decision="approved").count() == 1
    assert IngestRecord.objects.filter(dedup_key="outage-1").count() == 1
    events = list(OutboxEvent.objects.values_list("event_type", flat=True))
    assert {"change.submitted", "change.approved"} <= set(events)
    assert not OutboxEvent.objects.filter(dispatched_at__isnull=False).exists()  # waiting, not lost
    assert receiver.received() == []

    with redis_server(redis_port, log=logs / "redis.log"), worker(env, log=logs / "worker.log", beat=True) as proc:

        def all_delivered() -> bool:
            return (
                not OutboxEvent.objects.filter(dispatched_at__isnull=True).exists()
                and not WebhookDelivery.objects.exclude(status=DeliveryStatus.SENT).exists()
                and not EmailNotification.objects.exclude(status=DeliveryStatus.SENT).exists()
            )

        wait_until(all_delivered, timeout=90, what="every event, webhook and email to be delivered")
        # Two more runs of each periodic job: a duplicate would be sent by now.
        runs = proc.output().count("drain_outbox[")
        wait_until(lambda: proc.output().count("drain_outbox[") >= runs + 4, timeout=60, what="two more drains")

    event_count = OutboxEvent.objects.count()
    deliveries = WebhookDelivery.objects.all()
    assert deliveries.count() == event_count  # the endpoint subscribes to every event
    assert sorted(request.delivery for request in receiver.received("/ok")) == sorted(
        str(delivery.uuid) for delivery in deliveries
    )  # each delivery arrived, and exactly once
    assert set(deliveries.values_list("attempts", flat=True)) == {1}
    emails = EmailNotification.objects.all()
    assert emails.exists() and set(emails.values_list("attempts", flat=True)) == {1}
    assert sorted(mail_subjects(mail_dir)) == sorted(emails.values_list("subject", flat=True))
