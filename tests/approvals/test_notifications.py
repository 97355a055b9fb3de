from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerDown

from apps.approvals import tasks as approval_tasks
from apps.approvals.services import decide
from apps.changes import services
from apps.changes.choices import ChangeStatus
from apps.events import tasks as event_tasks
from apps.events.choices import DeliveryStatus, EventType
from apps.events.models import EmailNotification, OutboxEvent
from apps.notifications import tasks as notification_tasks

pytestmark = pytest.mark.usefixtures("eager_tasks")


def _subjects():
    return sorted((message.to[0], message.subject.split(":")[0]) for message in mail.outbox)


@pytest.mark.django_db(transaction=True)
def test_submission_emails_the_eligible_approvers_only(make_change, lead, requester, outsider):
    make_change()
    assert _subjects() == [("lead@example.com", "[ChangePortal] Approval needed")]
    assert "Open it: http" in mail.outbox[0].body


@pytest.mark.django_db(transaction=True)
def test_each_decision_is_sent_to_the_requester(make_change, lead):
    change = make_change()
    mail.outbox.clear()
    decide(change=change, actor=lead, decision="rejected", comment="Needs a test plan")
    assert ("requester@example.com", f"[ChangePortal] lead rejected CHG-{change.pk}") in [
        (m.to[0], m.subject) for m in mail.outbox
    ]
    assert "Needs a test plan" in mail.outbox[-1].body


@pytest.mark.django_db(transaction=True)
def test_reapproval_email_carries_the_diff(make_change, lead, requester):
    change = make_change()
    decide(change=change, actor=lead, decision="approved")
    mail.outbox.clear()
    change.refresh_from_db()
    services.update_change(change=change, actor=requester, fields={"artifact": "openssl 3.0.14"})
    [message] = [m for m in mail.outbox if "Re-approval needed" in m.subject]
    assert "artifact: '' → 'openssl 3.0.14'" in message.body


@pytest.mark.django_db(transaction=True)
def test_retried_tasks_send_nothing_twice(make_change, lead):
    make_change()
    event = OutboxEvent.objects.get(event_type=EventType.CHANGE_SUBMITTED)
    assert event.dispatched_at is not None
    sent = len(mail.outbox)
    assert notification_tasks.dispatch_event(event.pk) is False
    notification = EmailNotification.objects.get(event=event)
    assert event_tasks.send_email_notification(notification.pk) is False
    assert len(mail.outbox) == sent
    assert notification.status == DeliveryStatus.SENT


@pytest.mark.django_db(transaction=True)
def test_reminder_job_reminds_once_per_version(make_change, lead, settings):
    settings.APPROVAL_REMINDER_HOURS = 24
    soon = make_change(hours_ahead=5)
    make_change(hours_ahead=72, title="Later")
    mail.outbox.clear()
    assert approval_tasks.remind_approvers() == 1
    assert approval_tasks.remind_approvers() == 1
    reminders = [m for m in mail.outbox if "Reminder" in m.subject]
    assert len(reminders) == 1 and f"CHG-{soon.pk}" in reminders[0].subject


@pytest.mark.django_db(transaction=True)
def test_overdue_emergency_job_flags_once(make_change, requester, lead):
    change = make_change(change_type="emergency", hours_ahead=0)
    started = services.transition_change(change=change, target=ChangeStatus.IN_PROGRESS, actor=requester)
    started.approval_due_at = timezone.now() - timedelta(hours=1)
    started.save()
    mail.outbox.clear()
    assert approval_tasks.flag_overdue_emergencies() == 1
    approval_tasks.flag_overdue_emergencies()
    overdue = [m for m in mail.outbox if "overdue" in m.subject.lower()]
    assert sorted(m.to[0] for m in overdue) == ["lead@example.com", "requester@example.com"]


@pytest.mark.django_db(transaction=True)
def test_notification_enqueued_while_the_broker_is_down_is_delivered_later(make_change, lead, monkeypatch):
    def broker_down(*args, **kwargs):
        raise BrokerDown("Error 111 connecting to redis:6379. Connection refused.")

    monkeypatch.setattr(notification_tasks.dispatch_event, "apply_async", broker_down)
    change = make_change()  # the submission itself succeeds
    assert change.status == ChangeStatus.SUBMITTED
    event = OutboxEvent.objects.get(event_type=EventType.CHANGE_SUBMITTED)
    assert event.dispatched_at is None and mail.outbox == []
    monkeypatch.undo()
    OutboxEvent.objects.filter(pk=event.pk).update(created=timezone.now() - timedelta(minutes=5))
    assert event_tasks.drain_outbox() == {"events": 1, "emails": 0}
    assert [m.to[0] for m in mail.outbox] == ["lead@example.com"]
    assert event_tasks.drain_outbox() == {"events": 0, "emails": 0}


def test_tasks_are_acknowledged_late_so_a_killed_worker_does_not_lose_them(settings):
    assert settings.CELERY_TASK_ACKS_LATE and settings.CELERY_TASK_REJECT_ON_WORKER_LOST
    for task in (notification_tasks.dispatch_event, event_tasks.send_email_notification, event_tasks.drain_outbox):
        assert task.acks_late is True
