"""An email is claimed with a lease, sent with no transaction (and no row lock) open, then recorded."""

import smtplib
from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection
from django.utils import timezone

from apps.events import tasks
from apps.events.choices import DeliveryStatus, EventType
from apps.events.models import EmailNotification, OutboxEvent


@pytest.fixture
def email(db):
    event = OutboxEvent.objects.create(event_type=EventType.CHANGE_SUBMITTED, dispatched_at=timezone.now())
    return EmailNotification.objects.create(event=event, recipient="lead@example.com", subject="Hello", body="Body")


@pytest.mark.django_db(transaction=True)
def test_smtp_is_called_with_no_transaction_open_and_the_lease_is_held(email, monkeypatch):
    seen = []

    def send_mail(subject, body, sender, recipients):
        leased = EmailNotification.objects.get(pk=email.pk).lease_until
        seen.append((connection.in_atomic_block, leased is not None and leased > timezone.now(), recipients))
        return 1

    monkeypatch.setattr(tasks, "send_mail", send_mail)
    assert tasks.send_email_notification(email.pk) is True
    assert seen == [(False, True, ["lead@example.com"])]
    email.refresh_from_db()
    assert (email.status, email.attempts, email.lease_until) == (DeliveryStatus.SENT, 1, None)


@pytest.mark.django_db(transaction=True)
def test_two_workers_on_the_same_email_send_it_once(email, monkeypatch):
    """The second worker arrives while the first is in the middle of its SMTP call."""
    sent, second = [], []

    def send_mail(subject, body, sender, recipients):
        if not second:
            second.append(tasks.send_email_notification(email.pk))
        sent.append(recipients)
        return 1

    monkeypatch.setattr(tasks, "send_mail", send_mail)
    assert tasks.send_email_notification(email.pk) is True
    assert second == [False] and sent == [["lead@example.com"]]
    assert tasks.send_email_notification(email.pk) is False  # and once sent, never again
    assert len(sent) == 1


@pytest.mark.django_db
def test_an_unexpired_claim_keeps_other_workers_off(email):
    EmailNotification.objects.filter(pk=email.pk).update(lease_until=timezone.now() + timedelta(seconds=30))
    assert tasks.send_email_notification(email.pk) is False
    assert mail.outbox == []
    email.refresh_from_db()
    assert (email.status, email.attempts) == (DeliveryStatus.PENDING, 0)


@pytest.mark.django_db
@pytest.mark.usefixtures("eager_tasks")
def test_a_crashed_workers_expired_lease_is_sent_again_by_the_drain(email):
    old = timezone.now() - timedelta(minutes=5)
    EmailNotification.objects.filter(pk=email.pk).update(created=old, lease_until=old + tasks.email_lease())
    assert tasks.drain_outbox() == {"events": 0, "emails": 1}
    assert [m.to for m in mail.outbox] == [["lead@example.com"]]
    email.refresh_from_db()
    assert (email.status, email.lease_until) == (DeliveryStatus.SENT, None)
    assert tasks.drain_outbox() == {"events": 0, "emails": 0}


@pytest.mark.django_db(transaction=True)
def test_a_failed_send_is_recorded_and_released_for_the_retry(email, monkeypatch):
    def send_mail(*args):
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")

    monkeypatch.setattr(tasks, "send_mail", send_mail)
    with pytest.raises(smtplib.SMTPServerDisconnected):
        tasks.send_email_notification.run(email.pk)
    email.refresh_from_db()
    assert (email.status, email.attempts, email.lease_until) == (DeliveryStatus.PENDING, 1, None)
    assert email.last_error == "SMTPServerDisconnected: Connection unexpectedly closed"
    monkeypatch.setattr(tasks, "send_mail", lambda *args: 1)
    assert tasks.send_email_notification(email.pk) is True  # the retry claims it at once


@pytest.mark.django_db
def test_the_last_failed_attempt_fails_the_email(email, monkeypatch):
    EmailNotification.objects.filter(pk=email.pk).update(attempts=tasks.MAX_EMAIL_ATTEMPTS - 1)
    monkeypatch.setattr(tasks, "send_mail", lambda *args: (_ for _ in ()).throw(ConnectionError("refused")))
    assert tasks.send_email_notification(email.pk) is False
    email.refresh_from_db()
    assert (email.status, email.attempts, email.lease_until) == (DeliveryStatus.FAILED, tasks.MAX_EMAIL_ATTEMPTS, None)
