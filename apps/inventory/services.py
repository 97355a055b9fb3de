"""Writes of hosts, each recorded in the audit log (apps.audit) with who made it and through which edge."""

from django.db import transaction

from apps.audit import services as audit
from apps.audit.choices import AuditAction, AuditVia
from apps.inventory.models import Host

HOST_FIELDS = ("hostname", "fqdn", "ip_address", "environment", "is_active", "is_verified")
HOST_RELATIONS = ("services", "tags")


def _split(values: dict) -> tuple[dict, dict]:
    unknown = set(values) - {*HOST_FIELDS, *HOST_RELATIONS}
    if unknown:
        raise TypeError(f"Not host fields: {', '.join(sorted(unknown))}")
    plain = {name: value for name, value in values.items() if name in HOST_FIELDS}
    related = {name: value for name, value in values.items() if name in HOST_RELATIONS}
    return plain, related


@transaction.atomic
def create_host(*, actor, via: str, note: str = "", **values) -> Host:
    """A new host from ``values`` (the fields of HOST_FIELDS; ``services`` and ``tags`` as lists of objects)."""
    plain, related = _split(values)
    host = Host(**plain)
    host.save()
    for name, items in related.items():
        getattr(host, name).set(items)
    host.refresh_from_db()  # what was stored, not what was assigned
    audit.record(
        actor=actor, obj=host, action=AuditAction.CREATED, before={}, after=audit.snapshot(host), via=via, note=note
    )
    return host


@transaction.atomic
def update_host(*, actor, host: Host, via: str, note: str = "", **values) -> Host:
    """Set the given fields of ``host`` (only those given), under a row lock; the entry lists what changed."""
    plain, related = _split(values)
    host = Host.objects.select_for_update().get(pk=host.pk)
    before = audit.snapshot(host)
    for name, value in plain.items():
        setattr(host, name, value)
    host.save()
    for name, items in related.items():
        getattr(host, name).set(items)
    host.refresh_from_db()  # what was stored, not what was assigned
    audit.record(
        actor=actor, obj=host, action=AuditAction.UPDATED, before=before, after=audit.snapshot(host), via=via, note=note
    )
    return host


def record_first_seen(*, actor, hosts: list[Host], note: str) -> None:
    """Audit the hosts a change event created (unverified) because it named them before anyone registered them."""
    unique = list({host.pk: host for host in hosts}.values())
    audit.record_created_many(
        actor=actor, objects=unique, fields=("hostname", "environment", "is_verified"), via=AuditVia.API, note=note
    )
