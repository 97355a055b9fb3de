"""Two leads deciding at the same moment, and a broker outage, against the real services in CI."""

import os
import threading
import time
from datetime import timedelta

import pytest
from celery.contrib.testing.worker import start_worker
from django.core import mail
from django.db import connection, connections
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerDown

from apps.approvals.models import Approval
from apps.approvals.services import decide
from apps.changes.choices import ChangeStatus
from apps.changes.exceptions import ChangeError
from apps.changes.models import Change
from apps.events import tasks as event_tasks
from apps.events.choices import EventType
from apps.events.models import EmailNotification, OutboxEvent
from apps.notifications import tasks as notification_tasks
from changeportal.celery import app as celery_app
from tests.factories import MembershipFactory, UserFactory


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_two_leads_deciding_at_once_leave_one_decision(make_change, lead, team):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL row locks (SQLite serializes every write, so there is no race to test)")
    other_lead = UserFactory(username="lead2")
    MembershipFactory(team=team, user=other_lead, is_lead=True)
    change = make_change()
    barrier = threading.Barrier(2)
    outcomes: dict[str, str] = {}

    def attempt(user, decision):
        try:
            barrier.wait(timeout=10)
            decide(change=Change.objects.get(pk=change.pk), actor=user, decision=decision, comment="at once")
            outcomes[user.username] = "ok"
        except ChangeError as exc:
            outcomes[user.username] = exc.message
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=attempt, args=(lead, "approved")),
        threading.Thread(target=attempt, args=(other_lead, "rejected")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(outcomes) == ["lead", "lead2"]
    assert list(outcomes.values()).count("ok") == 1, outcomes
    change.refresh_from_db()
    approvals = list(Approval.objects.filter(change=change))
    assert len(approvals) == 1
    expected = ChangeStatus.APPROVED if approvals[0].decision == "approved" else ChangeStatus.REJECTED
    assert change.status == expected


@pytest.mark.django_db(transaction=True)
def test_real_broker_outage_then_delivery(make_change, lead, monkeypatch):
    """Submit while publishing to Redis fails; once it works again, the drain hands the work to a real
    worker over the real broker and the approver gets exactly one email."""
    if not os.environ.get("REDIS_URL"):
        pytest.skip("needs a real Redis broker: set REDIS_URL (CI does)")
    assert not celery_app.conf.task_always_eager

    def broker_down(*args, **kwargs):
        raise BrokerDown("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(notification_tasks.dispatch_event, "apply_async", broker_down)
    change = make_change()
    assert change.status == ChangeStatus.SUBMITTED  # the user's request did not fail
    event = OutboxEvent.objects.get(event_type=EventType.CHANGE_SUBMITTED)
    assert event.dispatched_at is None
    monkeypatch.undo()  # the broker is back
    OutboxEvent.objects.filter(pk=event.pk).update(created=timezone.now() - timedelta(minutes=1))

    celery_app.control.purge()  # tasks other tests left on the broker without a worker
    with start_worker(celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        assert event_tasks.drain_outbox()["events"] == 1
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if EmailNotification.objects.filter(event=event, status="sent").exists():
                break
            time.sleep(0.2)
    event.refresh_from_db()
    assert event.dispatched_at is not None
    assert list(EmailNotification.objects.filter(event=event).values_list("recipient", "status")) == [
        ("lead@example.com", "sent")
    ]
    assert [m.to for m in mail.outbox] == [["lead@example.com"]]
