from django.db import IntegrityError, transaction

from apps.events.enqueue import dispatch_task, enqueue_on_commit
from apps.events.models import OutboxEvent


def publish_event(*, event_type: str, payload: dict, dedup_key: str | None = None) -> OutboxEvent:
    """Record an event in the caller's transaction; it is dispatched once that transaction commits.

    ``dedup_key`` makes publishing idempotent: the same key publishes one event however often it is called.
    """
    if not dedup_key:
        # Nothing to collide with: no savepoint (the hot ingest path publishes on every event).
        event = OutboxEvent.objects.create(event_type=event_type, payload=payload)
        enqueue_on_commit(dispatch_task(), event.pk)
        return event
    existing = OutboxEvent.objects.filter(dedup_key=dedup_key).first()
    if existing:
        return existing
    try:
        with transaction.atomic():
            event = OutboxEvent.objects.create(event_type=event_type, payload=payload, dedup_key=dedup_key)
    except IntegrityError:
        return OutboxEvent.objects.get(dedup_key=dedup_key)
    enqueue_on_commit(dispatch_task(), event.pk)
    return event


def publish_events(*, event_type: str, payloads: list[dict]) -> list[OutboxEvent]:
    """``publish_event`` for many events without dedup keys: one insert, each dispatched once the caller commits."""
    events = OutboxEvent.objects.bulk_create([OutboxEvent(event_type=event_type, payload=p) for p in payloads])
    task = dispatch_task()
    for event in events:
        enqueue_on_commit(task, event.pk)
    return events
