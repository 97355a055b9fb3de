"""Outbound webhooks against a real HTTP receiver on 127.0.0.1: signature, retries, the attempt log, fan-out."""

import hashlib
import hmac
import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from apps.events.choices import DeliveryStatus
from apps.events.models import OutboxEvent
from apps.notifications.dispatch import dispatch_event
from apps.webhooks import services
from apps.webhooks.models import WebhookDelivery, WebhookEndpoint
from apps.webhooks.tasks import deliver_webhook, retry_webhook_deliveries

pytestmark = pytest.mark.django_db


class Receiver:
    """A tiny webhook receiver: answers the queued status codes in turn (then 200) and records each request."""

    def __init__(self):
        self.requests: list[dict] = []
        self.statuses: list[int] = []
        self.headers: dict[str, str] = {}  # sent with every non-200 answer
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append({"headers": dict(self.headers), "body": body, "path": self.path})
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                self.send_response(status)
                for name, value in (receiver.headers if status != 200 else {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(b"ok" if status == 200 else b"boom")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/changeportal?x=1"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    with Receiver() as running:
        yield running


@pytest.fixture
def event():
    return OutboxEvent.objects.create(event_type="change.approved", payload={"change": {"id": 7, "title": "Deploy"}})


def _verify(secret: str, request: dict) -> bool:
    """What a receiver does: recompute the HMAC of the raw body and compare in constant time."""
    expected = "sha256=" + hmac.new(secret.encode(), request["body"], hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, request["headers"]["X-ChangePortal-Signature"])


def test_signed_delivery(receiver, event):
    endpoint = WebhookEndpoint.objects.create(name="chat", url=receiver.url)
    [delivery_id] = services.create_deliveries(event)
    assert deliver_webhook.apply(args=[delivery_id]).get() == DeliveryStatus.SENT
    [request] = receiver.requests
    assert request["path"] == "/hooks/changeportal?x=1"
    assert _verify(endpoint.secret, request)
    assert not _verify("wrong secret", request)
    body = json.loads(request["body"])
    assert body["id"] == event.pk and body["type"] == "change.approved" and body["data"]["change"]["id"] == 7
    assert body["created"]
    delivery = WebhookDelivery.objects.get()
    assert request["headers"]["X-ChangePortal-Event"] == "change.approved"
    assert request["headers"]["X-ChangePortal-Delivery"] == str(delivery.uuid)
    assert request["headers"]["Content-Type"] == "application/json"
    assert delivery.status == DeliveryStatus.SENT and delivery.response_code == 200 and delivery.delivered_at
    [attempt] = delivery.attempt_log.all()
    assert attempt.outcome == "succeeded" and attempt.response_code == 200 and attempt.response_excerpt == "ok"


def test_retry_on_500_then_success(receiver, event):
    WebhookEndpoint.objects.create(name="chat", url=receiver.url)
    receiver.statuses = [500, 503]
    [delivery_id] = services.create_deliveries(event)
    assert deliver_webhook.apply(args=[delivery_id]).get() == DeliveryStatus.PENDING
    delivery = WebhookDelivery.objects.get()
    assert delivery.attempts == 1 and delivery.response_code == 500 and delivery.last_error == "HTTP 500"
    first_retry = delivery.next_attempt_at
    assert first_retry > timezone.now() + timedelta(seconds=20)
    # Not due yet: the task is a no-op, and the beat job does not pick it up.
    assert deliver_webhook.apply(args=[delivery_id]).get() == "skipped"
    assert retry_webhook_deliveries.apply().get() == 0
    later = first_retry + timedelta(seconds=1)
    assert services.attempt_delivery(delivery_id, now=later) == DeliveryStatus.PENDING
    delivery.refresh_from_db()
    assert delivery.next_attempt_at - timezone.now() > timedelta(seconds=50)  # backoff doubled
    assert services.attempt_delivery(delivery_id, now=delivery.next_attempt_at) == DeliveryStatus.SENT
    log = list(WebhookDelivery.objects.get().attempt_log.values_list("number", "outcome", "response_code"))
    assert log == [(1, "failed", 500), (2, "failed", 503), (3, "succeeded", 200)]
    ids = {request["headers"]["X-ChangePortal-Delivery"] for request in receiver.requests}
    assert len(ids) == 1  # the same delivery id on every retry, so the receiver can dedupe
    assert services.attempt_delivery(delivery_id, now=timezone.now() + timedelta(days=1)) == "skipped"
    assert len(receiver.requests) == 3


def test_gives_up_after_max_attempts(receiver, event, settings):
    settings.WEBHOOK_MAX_ATTEMPTS = 2
    WebhookEndpoint.objects.create(name="chat", url=receiver.url)
    receiver.statuses = [500, 500, 500]
    [delivery_id] = services.create_deliveries(event)
    services.attempt_delivery(delivery_id)
    later = timezone.now() + timedelta(hours=2)
    assert services.attempt_delivery(delivery_id, now=later) == DeliveryStatus.FAILED
    assert services.attempt_delivery(delivery_id, now=later + timedelta(hours=2)) == "skipped"
    assert len(receiver.requests) == 2


def test_dead_endpoint_is_logged_not_raised(event, settings):
    settings.WEBHOOK_CONNECT_TIMEOUT = 1
    WebhookEndpoint.objects.create(name="gone", url="http://127.0.0.1:9/nothing-listens-here")
    [delivery_id] = services.create_deliveries(event)
    assert deliver_webhook.apply(args=[delivery_id]).get() == DeliveryStatus.PENDING
    attempt = WebhookDelivery.objects.get().attempt_log.get()
    assert attempt.outcome == "failed" and attempt.response_code is None and "Connection" in attempt.error


def test_slow_endpoint_times_out(event, settings):
    settings.WEBHOOK_READ_TIMEOUT = 1
    gate = threading.Event()

    class Slow(BaseHTTPRequestHandler):
        def do_POST(self):
            gate.wait(5)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Slow)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        WebhookEndpoint.objects.create(name="slow", url=f"http://127.0.0.1:{server.server_address[1]}/")
        [delivery_id] = services.create_deliveries(event)
        services.attempt_delivery(delivery_id)
    finally:
        gate.set()
        server.shutdown()
        server.server_close()
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == DeliveryStatus.PENDING and "timed out" in delivery.last_error
    assert 900 <= delivery.duration_ms < 4000


def test_fan_out_respects_event_types_and_active_flag(event):
    wants_all = WebhookEndpoint.objects.create(name="all", url="http://127.0.0.1:9/a")
    WebhookEndpoint.objects.create(name="approvals", url="http://127.0.0.1:9/b", event_types=["change.approved"])
    WebhookEndpoint.objects.create(name="failures", url="http://127.0.0.1:9/c", event_types=["change.failed"])
    WebhookEndpoint.objects.create(name="off", url="http://127.0.0.1:9/d", is_active=False)
    created = services.create_deliveries(event)
    assert len(created) == 2
    assert set(WebhookDelivery.objects.values_list("endpoint__name", flat=True)) == {"all", "approvals"}
    assert services.create_deliveries(event) == []  # idempotent: one delivery per (endpoint, event)
    wants_all.is_active = False
    wants_all.save()
    delivery = WebhookDelivery.objects.get(endpoint=wants_all)
    assert services.attempt_delivery(delivery.pk) == "skipped"
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.FAILED


def test_event_types_are_validated():
    # A public address literal: the check needs no DNS (the test machine has none).
    with pytest.raises(ValidationError):
        WebhookEndpoint(name="x", url="http://93.184.215.14/", event_types=["change.exploded"]).full_clean()
    WebhookEndpoint(name="x", url="http://93.184.215.14/", event_types=["change.failed"]).full_clean()


def test_unsafe_urls_are_refused_at_save_and_at_delivery(receiver, event, settings):
    settings.OUTBOUND_ALLOW_PRIVATE = False
    with pytest.raises(ValidationError) as refused:
        WebhookEndpoint(name="x", url=receiver.url).full_clean()
    assert "loopback" in str(refused.value)
    # Written around the form (the ORM, an old row, a setting turned off later): the delivery refuses it too.
    WebhookEndpoint.objects.create(name="inside", url=receiver.url)
    [delivery_id] = services.create_deliveries(event)
    assert deliver_webhook.apply(args=[delivery_id]).get() == DeliveryStatus.FAILED
    delivery = WebhookDelivery.objects.get(pk=delivery_id)
    assert receiver.requests == [] and delivery.attempts == 1 and "loopback" in delivery.last_error


def test_retry_after_is_honoured(receiver, event):
    receiver.statuses = [429]
    receiver.headers = {"Retry-After": "900"}
    WebhookEndpoint.objects.create(name="busy", url=receiver.url)
    [delivery_id] = services.create_deliveries(event)
    before = timezone.now()
    assert deliver_webhook.apply(args=[delivery_id]).get() == DeliveryStatus.PENDING
    delivery = WebhookDelivery.objects.get(pk=delivery_id)
    # The backoff alone would be 30 s; the receiver asked for 15 minutes.
    assert delivery.next_attempt_at >= before + timedelta(seconds=899)
    assert "Retry-After: 900" in delivery.attempt_log.get().error


def test_dispatch_enqueues_deliveries_on_commit(event, django_capture_on_commit_callbacks, monkeypatch):
    WebhookEndpoint.objects.create(name="chat", url="http://127.0.0.1:9/")
    sent = []
    monkeypatch.setattr(deliver_webhook, "apply_async", lambda args, **kwargs: sent.append(args))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert dispatch_event(event.pk, send_email_task=None) is True
    assert WebhookDelivery.objects.count() == 1 and sent == []  # nothing sent inside the transaction
    for callback in callbacks:
        callback()
    assert sent == [(WebhookDelivery.objects.get().pk,)]


def test_drain_picks_up_lost_and_due_deliveries(event, monkeypatch):
    WebhookEndpoint.objects.create(name="chat", url="http://127.0.0.1:9/")
    [delivery_id] = services.create_deliveries(event)
    sent = []
    monkeypatch.setattr(deliver_webhook, "apply_async", lambda args, **kwargs: sent.append(args))
    assert retry_webhook_deliveries.apply().get() == 0  # brand new: still on its way through the broker
    WebhookDelivery.objects.filter(pk=delivery_id).update(created=timezone.now() - timedelta(minutes=5))
    assert retry_webhook_deliveries.apply().get() == 1
    assert sent == [(delivery_id,)]


def test_retry_delay_backs_off_exponentially_up_to_an_hour():
    delays = [services.retry_delay(n).total_seconds() for n in range(1, 10)]
    assert delays[:4] == [30, 60, 120, 240]
    assert max(delays) == 3600
