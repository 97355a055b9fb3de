"""Many change events at once (POST /api/v1/change-events/batch), answered as ingest_change_event would answer
them one after the other, in their order.

A run of events that record unplanned changes is read in one pass and written in one transaction: one query for
all their dedup keys, one for all their hostnames, one for the freeze windows, then one insert per table (hosts
first seen, changes, links, activity entries, outbox events, ingest records; apps.changes.services.ingest_bulk).
Each event is still judged on its own and in order, against what the events before it in the batch recorded:

- a dedup key recorded before is a replay; a key repeated in the batch is a duplicate of the first event that
  recorded it (an event refused with a key leaves the key free for the next one);
- a host an earlier event of the batch creates is known to the later ones (it decides their environment when they
  name none, and it is not "created" by them again);
- a refused event (400 unknown environment, invalid change fields; 403 the caller may not record changes) is
  refused before anything is written and leaves the others alone.

An execution report (an event naming a planned change) and a PagerDuty-style event (deduplicated by body under a
row lock) go through ingest_change_event between the runs, in their place. When the run's transaction fails on a
unique constraint (a concurrent request recorded one of its keys, or a host, meanwhile), nothing of it is kept and
its events are recorded one by one by ingest_change_event, each answering as the single POST does.
"""

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import IntegrityError, OperationalError, transaction

from apps.changes.models import Change
from apps.changes.services.ingest import new_unplanned_change
from apps.changes.services.ingest_bulk import UnplannedChange, record_unplanned_changes
from apps.ingest.models import IngestRecord
from apps.ingest.services import (
    ChangeEvent,
    IngestResult,
    _environment_of,
    _environment_required,
    _ingest_record,
    _known_hosts,
    _may_record,
    _outcome,
    _replay,
    _unplanned_fields,
    _unplanned_note,
    _unplanned_warnings,
    ingest_change_event,
)
from apps.inventory.models import Environment, Host
from apps.platform.actors import as_actor
from apps.platform.errors import DomainError

logger = logging.getLogger(__name__)
# What an event of a batch comes to: its result, or the error the single POST would have answered with.
Outcome = IngestResult | ValidationError | DomainError


@dataclass
class _Planned:
    """An event of the run that passed every check: what it records once the run is written."""

    index: int
    event: ChangeEvent
    environment: Environment
    change: Change
    new_hosts: list[str]
    hosts: list[Host] = field(default_factory=list)


def _recorded_many(events: Sequence[ChangeEvent]) -> dict[str, IngestRecord]:
    keys = {event.dedup_key for event in events if event.dedup_key}
    if not keys:
        return {}
    records = IngestRecord.objects.filter(dedup_key__in=keys).select_related("change").order_by()
    return {record.dedup_key: record for record in records if record.dedup_key}


def _one(actor, event: ChangeEvent) -> Outcome:
    try:
        return ingest_change_event(actor=actor, event=event)
    except (ValidationError, DomainError) as exc:
        return exc


class _Run:
    """A run of unplanned events: judged in order in Python, then written at once."""

    def __init__(self, actor, events: Sequence[ChangeEvent]):
        self.actor, self.events = actor, events
        self.outcomes: list[Outcome | None] = [None] * len(events)
        self.planned: list[_Planned] = []
        self.duplicates: list[tuple[int, int]] = []  # (index, index of the planned event it repeats)
        self.known: dict[str, Host] = {}  # the hosts of the run's events that exist, by name
        self.pending: dict[str, Host] = {}  # hosts the planned events create, by name, unsaved

    def judge(self) -> None:
        recorded = _recorded_many(self.events)
        try:
            _may_record(self.actor)
            forbidden = None
        except DomainError as exc:
            forbidden = exc
        known = self.known = _known_hosts(sorted({name for event in self.events for name in event.hostnames}))
        claimed: dict[str, int] = {}
        for index, event in enumerate(self.events):
            key = event.dedup_key
            if key and key in recorded:
                self.outcomes[index] = _replay(recorded[key])
            elif key and key in claimed:
                self.duplicates.append((index, claimed[key]))
            elif forbidden is not None:
                self.outcomes[index] = forbidden
            else:
                planned = self._plan(index, event, known)
                if planned is not None and key:
                    claimed[key] = index

    def _plan(self, index: int, event: ChangeEvent, known: dict[str, Host]) -> _Planned | None:
        visible = {name: host for name in event.hostnames if (host := known.get(name) or self.pending.get(name))}
        environment = _environment_of(event, visible)
        if environment is None:
            self.outcomes[index] = _environment_required()
            return None
        try:
            change = new_unplanned_change(actor=self.actor, **_unplanned_fields(event, environment))
        except ValidationError as exc:
            self.outcomes[index] = exc
            return None
        new_hosts = [name for name in event.hostnames if name not in visible]
        for name in new_hosts:
            self.pending[name] = Host(hostname=name, environment=environment, is_verified=False)
        planned = _Planned(index=index, event=event, environment=environment, change=change, new_hosts=new_hosts)
        self.planned.append(planned)
        return planned

    def write(self) -> None:
        if not self.planned:
            return
        hosts = dict(self.known)
        if self.pending:
            # As in the single path: a host someone created in the meantime is kept as it is, not duplicated.
            # In hostname order, as the dedup records below in key order: two batches naming the same new hosts
            # or keys then wait for each other in the same order instead of deadlocking.
            Host.objects.bulk_create(
                sorted(self.pending.values(), key=lambda host: host.hostname), ignore_conflicts=True
            )
            hosts |= _known_hosts(list(self.pending))
        items = []
        for item in self.planned:
            item.hosts = [hosts[name] for name in item.event.hostnames]
            items.append(
                UnplannedChange(
                    change=item.change,
                    hosts=item.hosts,
                    host_states=item.event.host_states(item.hosts),
                    services=item.event.services,
                    note=_unplanned_note(item.event),
                )
            )
        changes = record_unplanned_changes(actor=self.actor, items=items)
        records = []
        for item, change in zip(self.planned, changes, strict=True):
            created = [name for name in item.new_hosts if not hosts[name].is_verified]
            warnings = _unplanned_warnings(change, item.hosts, item.environment)
            warnings, unverified = _outcome(self.actor, item.event, change, item.hosts, created, warnings)
            records.append(_ingest_record(self.actor, item.event, change, unverified, warnings))
            self.outcomes[item.index] = IngestResult(change=change, unverified_hosts=unverified, warnings=warnings)
        IngestRecord.objects.bulk_create(sorted(records, key=lambda record: record.dedup_key or ""))

    def answers(self) -> list[Outcome]:
        for index, first in self.duplicates:
            original = self.outcomes[first]
            assert isinstance(original, IngestResult), "a key is claimed by a recorded event only"  # for mypy
            self.outcomes[index] = IngestResult(
                change=original.change,
                unverified_hosts=original.unverified_hosts,
                warnings=original.warnings,
                duplicate=True,
            )
        assert all(outcome is not None for outcome in self.outcomes), "every event of the run is answered"
        return [outcome for outcome in self.outcomes if outcome is not None]


def _bulk(event: ChangeEvent) -> bool:
    return event.change is None and event.integration is None


# PostgreSQL's deadlock and serialization failures: the run's transaction was rolled back whole and may be retried.
RETRYABLE_SQLSTATES = {"40P01", "40001"}


def _retryable(exc: OperationalError) -> bool:
    return getattr(exc.__cause__, "sqlstate", None) in RETRYABLE_SQLSTATES


def _record_run(actor, events: Sequence[ChangeEvent]) -> list[Outcome]:
    run = _Run(actor, events)
    try:
        with transaction.atomic():
            run.judge()
            run.write()
    except IntegrityError:
        logger.info("A batch's run of %d events met a concurrent write; recording them one by one", len(events))
        return [_one(actor, event) for event in events]
    except OperationalError as exc:
        # A concurrent batch or event (e.g. a single POST creating the same hosts in another order) deadlocked
        # with this run: nothing of it was kept, so each event is recorded on its own, as the single POST does.
        if not _retryable(exc):
            raise
        logger.info(
            "A batch's run of %d events deadlocked with a concurrent write; recording them one by one", len(events)
        )
        return [_one(actor, event) for event in events]
    return run.answers()


def ingest_change_events(*, actor, events: Sequence[ChangeEvent]) -> list[Outcome]:
    """The outcome of each event, in order: ``actor`` as for ingest_change_event."""
    actor = as_actor(actor)
    outcomes: list[Outcome] = []
    index = 0
    while index < len(events):
        if not _bulk(events[index]):
            outcomes.append(_one(actor, events[index]))
            index += 1
            continue
        end = index
        while end < len(events) and _bulk(events[end]):
            end += 1
        outcomes += _record_run(actor, events[index:end])
        index = end
    return outcomes
