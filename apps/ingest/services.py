"""Change events from pipelines and tools (PagerDuty Events API v2 change-event shape).

Without ``change`` an event records an unplanned change (never submitted or approved); with ``change`` it is
the execution report of that planned change (apps.changes.services.ingest.record_execution). Unknown hosts
are created unverified, never dropped. A ``dedup_key`` makes the event idempotent: the record is written in
the same transaction, under a unique constraint, so a retried or concurrent duplicate creates nothing.
"""

import json
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.accounts.models import Team
from apps.changes import permissions
from apps.changes.choices import HostExecutionState
from apps.changes.exceptions import ChangeError, ChangeForbidden
from apps.changes.models import Change
from apps.changes.services.execution import HostState
from apps.changes.services.ingest import record_execution, record_unplanned_change
from apps.ingest.models import IngestKind, IngestRecord, IntegrationKey
from apps.inventory import services as inventory_services
from apps.inventory.models import Environment, Host, Service
from apps.platform.actors import as_actor

logger = logging.getLogger(__name__)
# An unplanned change is recorded with at least this planned duration (the model needs end > start).
MIN_DURATION = timedelta(minutes=1)
MAX_DETAILS_CHARS = 10000


class IngestConflict(ChangeError):
    http_status = 409


@dataclass(frozen=True)
class HostOutcome:
    """One host of an event, with what happened there when the event says so (else its status implies it)."""

    name: str
    state: str | None = None
    at: datetime | None = None


# What an event's status says happened on a host it lists without an outcome of its own.
STATE_FOR_STATUS = {"completed": HostExecutionState.APPLIED, "failed": HostExecutionState.FAILED}


@dataclass
class ChangeEvent:
    """A validated change event (apps.ingest.api.serializers builds it)."""

    summary: str
    started_at: datetime
    ended_at: datetime | None
    status: str = "completed"
    source: str = ""
    custom_details: dict = field(default_factory=dict)
    links: list[dict] = field(default_factory=list)
    hosts: list[HostOutcome] = field(default_factory=list)
    services: list[Service] = field(default_factory=list)
    environment: Environment | None = None
    kind: str = ""
    artifact: str = ""
    change: Change | None = None
    dedup_key: str | None = None
    raw: dict = field(default_factory=dict)
    team: Team | None = None
    # A PagerDuty-compatible event: the key it came with (the caller's authority) and the hash of its body.
    integration: IntegrationKey | None = None
    fingerprint: str = ""
    # What reading the event noticed (an ignored hint, a hostname that is not one): returned with the result.
    notes: list[str] = field(default_factory=list)

    @property
    def hostnames(self) -> list[str]:
        return [outcome.name for outcome in self.hosts]

    def host_states(self, hosts: list[Host]) -> dict[Host, HostState]:
        """The state each host reached: its own outcome, else the one the status implies, at ``ended_at``."""
        by_name = {host.hostname: host for host in hosts}
        default = STATE_FOR_STATUS.get(self.status)
        states = {}
        for outcome in self.hosts:
            state = outcome.state or default
            if state is not None:
                states[by_name[outcome.name]] = HostState(state, outcome.at or self.ended_at or self.started_at)
        return states


@dataclass
class IngestResult:
    change: Change
    unverified_hosts: list[str]
    warnings: list[str]
    duplicate: bool = False


def _recorded(dedup_key: str | None) -> IngestRecord | None:
    # Most events are new: the lookup reads the record alone; a replay loads its change when it answers.
    return IngestRecord.objects.filter(dedup_key=dedup_key).order_by().first() if dedup_key else None


def _replay(record: IngestRecord) -> IngestResult:
    return IngestResult(
        change=record.change, unverified_hosts=record.unverified_hosts, warnings=record.warnings, duplicate=True
    )


def _known_hosts(hostnames: list[str]) -> dict[str, Host]:
    rows = Host.objects.filter(hostname__in=hostnames).select_related("environment").order_by()
    return {host.hostname: host for host in rows}


def _hosts(
    hostnames: list[str], environment: Environment | None, known: dict[str, Host] | None = None
) -> tuple[list[Host], list[str]]:
    """The named hosts, creating unknown ones as unverified in ``environment``; returns (hosts, created)."""
    hosts = dict(known) if known is not None else _known_hosts(hostnames)
    unknown = [name for name in hostnames if name not in hosts]
    if unknown and environment is None:
        valid = ", ".join(Environment.objects.order_by("order").values_list("slug", flat=True))
        raise ValidationError(
            {"environment": f"Required to create the unknown hosts {', '.join(unknown)}. Valid: {valid}."}
        )
    created = []
    if unknown:
        # One insert for all of them; a host someone created in the meantime is kept as it is, not duplicated.
        # The names arrive as Host.save would store them (stripped, lower case: the serializer normalises them).
        Host.objects.bulk_create(
            [Host(hostname=name, environment=environment, is_verified=False) for name in unknown],
            ignore_conflicts=True,
        )
        hosts |= _known_hosts(unknown)
        created = [name for name in unknown if not hosts[name].is_verified]
    return [hosts[name] for name in hostnames], created


def _environment_of(event: ChangeEvent, known: dict[str, Host]) -> Environment | None:
    """The given environment, else the one environment every known host of the event is in."""
    if event.environment is not None:
        return event.environment
    environments = {host.environment_id: host.environment for host in known.values()}
    return environments.popitem()[1] if len(environments) == 1 else None


def _summary(event: ChangeEvent) -> str:
    if not event.custom_details:
        return event.summary
    details = json.dumps(event.custom_details, indent=2, sort_keys=True, default=str)[:MAX_DETAILS_CHARS]
    return f"{event.summary}\n\nDetails:\n{details}"


def _other_environment_warning(hosts: list[Host], environment: Environment) -> list[str]:
    elsewhere = sorted(host.hostname for host in hosts if host.environment_id != environment.pk)
    if not elsewhere:
        return []
    return [f"Hosts outside {environment.slug}: {', '.join(elsewhere)}."]


def _origin(event: ChangeEvent) -> str:
    origin = f"from {event.source or 'an unnamed source'}"
    return f"{origin} via the integration key “{event.integration.name}”" if event.integration else origin


def _may_record(actor) -> None:
    # An integration key is its own authority (leads and staff issue them): the system records for it. A person
    # must be able to create changes.
    if not actor.is_system and not permissions.can_create(actor.user):
        raise ChangeForbidden("Only staff or members of a team can record changes.")


def _environment_required() -> ValidationError:
    valid = ", ".join(Environment.objects.order_by("order").values_list("slug", flat=True))
    return ValidationError(
        {"environment": f"Required when the hosts do not all belong to one known environment. Valid: {valid}."}
    )


def _unplanned_note(event: ChangeEvent) -> str:
    return f"Recorded from a change event (ingest) {_origin(event)}; it was never submitted or approved."


def _unplanned_fields(event: ChangeEvent, environment: Environment) -> dict:
    """The fields of the unplanned change an event records (record_unplanned_change's ``fields``)."""
    return {
        "title": event.summary[:200],
        "summary": _summary(event),
        "kind": event.kind or "other",
        "artifact": event.artifact,
        "links": event.links,
        "environment": environment,
        "team": event.team,
        "status": event.status,
        "is_unplanned": True,
        "planned_start": event.started_at,
        "planned_end": max(event.ended_at or event.started_at, event.started_at + MIN_DURATION),
        "actual_start": event.started_at,
        "actual_end": event.ended_at if event.status != "in_progress" else None,
    }


def _unplanned_warnings(change: Change, hosts: list[Host], environment: Environment) -> list[str]:
    warnings = [f"Recorded as unplanned change {change.reference}: no planned change was referenced."]
    return warnings + _other_environment_warning(hosts, environment)


def _record_unplanned(actor, event: ChangeEvent) -> tuple[Change, list[Host], list[str], list[str]]:
    _may_record(actor)
    known = _known_hosts(event.hostnames)
    environment = _environment_of(event, known)
    if environment is None:
        raise _environment_required()
    hosts, created = _hosts(event.hostnames, environment, known)
    change = record_unplanned_change(
        actor=actor,
        hosts=hosts,
        host_states=event.host_states(hosts),
        services=event.services,
        note=_unplanned_note(event),
        **_unplanned_fields(event, environment),
    )
    return change, hosts, created, _unplanned_warnings(change, hosts, environment)


def _record_report(actor, event: ChangeEvent) -> tuple[Change, list[Host], list[str], list[str]]:
    change = event.change
    assert change is not None, "only events that name a planned change are reports"  # narrows for mypy
    hosts, created = _hosts(event.hostnames, event.environment or change.environment)
    warnings = []
    if event.artifact and change.artifact and event.artifact != change.artifact:
        warnings.append(f"Reported artifact {event.artifact!r} differs from the planned {change.artifact!r}.")
    warnings += record_execution(
        change=change,
        actor=actor,
        hosts=hosts,
        host_states=event.host_states(hosts),
        status=event.status,
        started_at=event.started_at,
        ended_at=event.ended_at,
        source=event.source,
        summary=event.summary,
    )
    return change, hosts, created, warnings + _other_environment_warning(hosts, change.environment)


def _recent_duplicate(event: ChangeEvent) -> IngestRecord | None:
    """The same body with the same key within the dedup window (PagerDuty events carry no dedup key).

    Locking the key's row first serialises the events of one key, so two copies sent at once make one change."""
    assert event.integration is not None, "only keyed events are deduplicated by body"  # narrows for mypy
    IntegrationKey.objects.select_for_update().filter(pk=event.integration.pk).first()
    since = timezone.now() - timedelta(seconds=settings.PAGERDUTY_DEDUP_WINDOW_SECONDS)
    return (
        IngestRecord.objects.filter(integration=event.integration, fingerprint=event.fingerprint, created__gte=since)
        .select_related("change")
        .first()
    )


def _outcome(
    actor, event: ChangeEvent, change: Change, hosts: list[Host], created: list[str], warnings: list[str]
) -> tuple[list[str], list[str]]:
    """The event's answer (warnings, unverified hosts), auditing the hosts it created."""
    warnings = event.notes + warnings
    if created:
        warnings.append(f"Unknown hosts created as unverified: {', '.join(created)}.")
        new = set(created)
        note = f"First seen in a change event {_origin(event)} for {change.reference}."
        inventory_services.record_first_seen(
            actor=actor, hosts=[host for host in hosts if host.hostname in new], note=note
        )
    return warnings, sorted(host.hostname for host in hosts if not host.is_verified)


def _ingest_record(actor, event: ChangeEvent, change: Change, unverified: list[str], warnings: list[str]):
    return IngestRecord(
        dedup_key=event.dedup_key or None,
        kind=IngestKind.EXECUTION if event.change is not None else IngestKind.UNPLANNED,
        change=change,
        actor=actor.user,
        integration=event.integration,
        fingerprint=event.fingerprint,
        source=event.source[:255],
        payload=event.raw,
        unverified_hosts=unverified,
        warnings=warnings,
    )


def ingest_change_event(*, actor, event: ChangeEvent) -> IngestResult:
    """``actor``: the caller (a user), or the system acting for an integration key (Actor.automatic)."""
    actor = as_actor(actor)
    record = _recorded(event.dedup_key)
    if record is not None:
        return _replay(record)
    try:
        with transaction.atomic():
            if event.integration is not None and event.fingerprint:
                record = _recent_duplicate(event)
                if record is not None:
                    return _replay(record)
            record_fn = _record_report if event.change is not None else _record_unplanned
            change, hosts, created, warnings = record_fn(actor, event)
            warnings, unverified = _outcome(actor, event, change, hosts, created, warnings)
            _ingest_record(actor, event, change, unverified, warnings).save()
    except IntegrityError as exc:
        # The same dedup_key committed by a concurrent request: answer as for a retry.
        record = _recorded(event.dedup_key)
        if record is not None:
            return _replay(record)
        logger.warning("Change event refused on a conflicting concurrent write", exc_info=True)
        raise IngestConflict("A concurrent write conflicted with this event; send it again.") from exc
    return IngestResult(change=change, unverified_hosts=unverified, warnings=warnings)
