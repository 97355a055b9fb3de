"""Webhook deliveries under faults, with real Celery workers (child processes) on the real broker:
a worker SIGKILLed in the middle of a delivery, and an endpoint that accepts connections but never answers.

Workers run tests.faults.fast_settings: the retry job and the outbox drain every second, the first retry
after 1 s and a 1 s lease margin, so what takes minutes in production takes seconds here.
"""

import os
from datetime import timedelta

import pytest

from apps.events.choices import DeliveryStatus
from apps.events.services import publish_event
from apps.webhooks.choices import AttemptOutcome
from apps.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from loadtest.stack import wait_until, worker
from tests.faults.conftest import require_postgres

READ_TIMEOUT = 6  # generous: the healthy delivery must beat it on a loaded 2-core machine
FIRST_RETRY = timedelta(seconds=1)  # WEBHOOK_FIRST_RETRY_SECONDS in fast_settings


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_worker_killed_mid_delivery_is_delivered_once(child_env, logs, receiver, clean_broker):
    require_postgres()
    WebhookEndpoint.objects.create(name="slow receiver", url=receiver.url("/hold"))
    # The lease outlives the read timeout: a live attempt is never doubled, a dead one is retried after it.
    env = child_env(os.environ["REDIS_URL"], WEBHOOK_CONNECT_TIMEOUT="1", WEBHOOK_READ_TIMEOUT="6")

    with worker(env, log=logs / "worker-1.log") as doomed:
        publish_event(event_type="change.approved", payload={"change": {"id": 0, "title": "Killed worker"}})
        wait_until(lambda: receiver.received("/hold"), timeout=60, what="the first attempt to reach the receiver")
        doomed.kill()  # SIGKILL while the receiver still holds the request: no result is ever recorded
    receiver.release.set()
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == DeliveryStatus.PENDING and delivery.attempts == 0

    with worker(env, log=logs / "worker-2.log", beat=True) as replacement:
        wait_until(
            lambda: WebhookDelivery.objects.filter(status=DeliveryStatus.SENT).exists(),
            timeout=60,
            what="the retried delivery",
        )
        runs = replacement.output().count("retry_webhook_deliveries[")
        wait_until(
            lambda: replacement.output().count("retry_webhook_deliveries[") >= runs + 4,
            timeout=60,
            what="two more runs of the retry job",
        )

    delivery.refresh_from_db()
    requests = receiver.received("/hold")
    assert len(requests) == 2  # the killed attempt and the retry
    assert {request.delivery for request in requests} == {str(delivery.uuid)}  # one stable idempotency key
    assert len({(request.signature, request.body) for request in requests}) == 1  # the same signed body
    assert receiver.unique_deliveries("/hold") == {str(delivery.uuid)}
    assert delivery.status == DeliveryStatus.SENT and delivery.attempts == 1
    assert list(WebhookAttempt.objects.values_list("outcome", flat=True)) == [AttemptOutcome.SUCCEEDED]


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_hanging_endpoint_times_out_backs_off_and_delays_nobody(child_env, logs, receiver, clean_broker):
    require_postgres()
    hang = WebhookEndpoint.objects.create(name="hangs", url=receiver.url("/hang"))  # first: its task goes first
    healthy = WebhookEndpoint.objects.create(name="healthy", url=receiver.url("/ok"))
    env = child_env(os.environ["REDIS_URL"], WEBHOOK_CONNECT_TIMEOUT="1", WEBHOOK_READ_TIMEOUT=str(READ_TIMEOUT))

    with worker(env, log=logs / "worker.log", pool="prefork", concurrency=2, beat=True):
        publish_event(event_type="change.failed", payload={"change": {"id": 0, "title": "Hanging endpoint"}})
        wait_until(
            lambda: WebhookAttempt.objects.filter(delivery__endpoint=hang).count() >= 3,
            timeout=90,
            what="three attempts at the hanging endpoint",
        )

    hung = receiver.received("/hang")
    [arrived] = receiver.received("/ok")
    # Sent while the first attempt at the hanging endpoint was still waiting for its answer.
    assert arrived.at < hung[0].at + READ_TIMEOUT
    ok = WebhookDelivery.objects.get(endpoint=healthy)
    assert ok.status == DeliveryStatus.SENT and ok.attempts == 1

    stuck = WebhookDelivery.objects.get(endpoint=hang)
    attempts = list(stuck.attempt_log.order_by("number"))
    assert stuck.status == DeliveryStatus.PENDING  # to be retried, not given up (WEBHOOK_MAX_ATTEMPTS is 8)
    assert len({request.delivery for request in hung}) == 1 and len(hung) == len(attempts)
    for attempt in attempts:
        assert attempt.outcome == AttemptOutcome.FAILED and "timed out" in attempt.error, attempt.error
        assert READ_TIMEOUT * 1000 <= attempt.duration_ms < (READ_TIMEOUT + 15) * 1000
    # Each retry waited at least its backoff (1 s, then 2 s) on top of the previous attempt's timeout.
    for number, (previous, following) in enumerate(zip(attempts, attempts[1:], strict=False), start=1):
        backoff = FIRST_RETRY * 2 ** (number - 1)
        assert following.created - previous.created >= backoff + timedelta(seconds=READ_TIMEOUT)
