"""Writes of hosts and services, each recorded in the audit log (apps.audit) with who made it and through which
edge."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.audit import services as audit
from apps.audit.choices import AuditAction, AuditVia
from apps.inventory.models import Environment, Host, Service, Tag
from apps.platform.errors import DomainError

HOST_FIELDS = ("hostname", "fqdn", "ip_address", "environment", "is_active", "is_verified")
HOST_RELATIONS = ("services", "tags")
SERVICE_FIELDS = ("name", "slug", "description", "owner_team")
# The most hosts one bulk upsert takes (POST /api/v1/hosts/bulk); more is refused with a 400.
MAX_BULK_HOSTS = 1000


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


def _service_values(values: dict) -> dict:
    unknown = set(values) - set(SERVICE_FIELDS)
    if unknown:
        raise TypeError(f"Not service fields: {', '.join(sorted(unknown))}")
    return values


@transaction.atomic
def create_service(*, actor, via: str, note: str = "", **values) -> Service:
    """A new service from ``values`` (the fields of SERVICE_FIELDS; ``owner_team`` a Team or None)."""
    service = Service(**_service_values(values))
    service.save()
    audit.record(
        actor=actor,
        obj=service,
        action=AuditAction.CREATED,
        before={},
        after=audit.snapshot(service),
        via=via,
        note=note,
    )
    return service


@transaction.atomic
def update_service(*, actor, service: Service, via: str, note: str = "", **values) -> Service:
    """Set the given fields of ``service`` (only those given), under a row lock; the entry lists what changed."""
    values = _service_values(values)
    service = Service.objects.select_for_update().get(pk=service.pk)
    before = audit.snapshot(service)
    for name, value in values.items():
        setattr(service, name, value)
    service.save()
    audit.record(
        actor=actor,
        obj=service,
        action=AuditAction.UPDATED,
        before=before,
        after=audit.snapshot(service),
        via=via,
        note=note,
    )
    return service


# --- Bulk upsert of hosts ---------------------------------------------------------------------------------------


class HostsChangedMeanwhile(DomainError):
    """Someone created one of the batch's new hosts while it was being written: nothing was written; send it again."""

    http_status = 409


@dataclass
class UpsertResult:
    """Per item ``{"hostname", "status": created|updated|unchanged|error, "errors"}``, in the order given;
    ``applied`` is False when any item was invalid (then nothing was written)."""

    items: list[dict] = field(default_factory=list)
    applied: bool = False

    def count(self, status: str) -> int:
        return sum(1 for item in self.items if item["status"] == status)


def _host_state(host: Host, services: Sequence[Service], tags: Sequence[Tag]) -> dict:
    """The audit snapshot of a host as it is in memory (same keys as ``audit.snapshot(host)``), reading nothing."""
    state = audit.snapshot(host, HOST_FIELDS)
    state["services"] = sorted(str(service) for service in services)
    state["tags"] = sorted(str(tag) for tag in tags)
    return state


def _unknown(slugs: Sequence[str], known: Mapping[str, object], what: str) -> list[str]:
    missing = sorted({slug for slug in slugs if slug not in known})
    return [f"Unknown {what}: {', '.join(missing)}."] if missing else []


@transaction.atomic
def upsert_hosts(
    *, actor, via: str, items: Sequence[Mapping], errors: Mapping[int, dict] | None = None, note: str = ""
) -> UpsertResult:
    """Create or update many hosts by hostname, all or nothing.

    ``items`` are dicts of host fields with ``hostname`` (lower case), ``environment`` as a slug and ``services`` /
    ``tags`` as lists of slugs; ``errors`` holds the items already found malformed, by index. An existing host gets
    only the fields its item gives. If any item is invalid nothing is written and ``applied`` is False. Reads and
    writes take a fixed number of queries whatever the number of items (one per kind of lookup, bulk inserts and
    updates, one insert of audit entries)."""
    result = UpsertResult()
    invalid = {index: dict(found) for index, found in (errors or {}).items()}
    valid = [item for index, item in enumerate(items) if index not in invalid]
    environments = {
        env.slug: env
        for env in Environment.objects.filter(slug__in={i["environment"] for i in valid if "environment" in i})
    }
    services = {s.slug: s for s in Service.objects.filter(slug__in={x for i in valid for x in i.get("services", ())})}
    tags = {t.slug: t for t in Tag.objects.filter(slug__in={x for i in valid for x in i.get("tags", ())})}
    existing = {
        host.hostname: host
        for host in Host.objects.select_for_update(of=("self",))
        .select_related("environment")
        .prefetch_related("services", "tags")
        .filter(hostname__in=[item["hostname"] for item in valid])
    }
    planned: list[tuple[str, Host, list[Service], list[Tag], dict, dict]] = []
    seen: set[str] = set()
    for index, item in enumerate(items):
        hostname: str = item.get("hostname") or ""
        if index in invalid:
            result.items.append({"hostname": hostname, "status": "error", "errors": invalid[index]})
            continue
        problems: dict[str, list[str]] = {}
        if hostname in seen:
            problems["hostname"] = [f"{hostname} appears more than once in this request."]
        seen.add(hostname)
        host = existing.get(hostname)
        if "environment" in item and item["environment"] not in environments:
            problems["environment"] = [f"Unknown environment: {item['environment']}."]
        elif "environment" not in item and host is None:
            problems["environment"] = ["A new host needs an environment."]
        for name, known in (("services", services), ("tags", tags)):
            if missing := _unknown(item.get(name, ()), known, name):
                problems[name] = missing
        if problems:
            result.items.append({"hostname": hostname, "status": "error", "errors": problems})
            continue
        plain = {name: item[name] for name in HOST_FIELDS if name in item and name != "environment"}
        if "environment" in item:
            plain["environment"] = environments[item["environment"]]
        if host is None:
            host, before = Host(**plain), {}
            host_services, host_tags = [], []
        else:
            host_services, host_tags = list(host.services.all()), list(host.tags.all())
            before = _host_state(host, host_services, host_tags)
            for name, value in plain.items():
                setattr(host, name, value)
        if "services" in item:
            host_services = [services[slug] for slug in dict.fromkeys(item["services"])]
        if "tags" in item:
            host_tags = [tags[slug] for slug in dict.fromkeys(item["tags"])]
        after = _host_state(host, host_services, host_tags)
        status = "created" if not before else ("updated" if audit.diff(before, after) else "unchanged")
        planned.append((status, host, host_services, host_tags, before, after))
        result.items.append({"hostname": hostname, "status": status, "errors": {}})
    if any(item["status"] == "error" for item in result.items):
        return result
    try:
        with transaction.atomic():
            _write(planned)
    except IntegrityError as exc:
        raise HostsChangedMeanwhile(
            "A host of this batch was created by someone else meanwhile: nothing was written, send it again."
        ) from exc
    audit.record_many(
        actor=actor,
        model=Host,
        entries=[
            (host, AuditAction.CREATED if status == "created" else AuditAction.UPDATED, before, after)
            for status, host, _, _, before, after in planned
            if status != "unchanged"
        ],
        via=via,
        note=note,
    )
    result.applied = True
    return result


def _write(planned: Sequence[tuple[str, Host, list[Service], list[Tag], dict, dict]]) -> None:
    """Insert the new hosts, update the changed ones, and replace the service and tag links of both (bulk)."""
    new = [host for status, host, *_ in planned if status == "created"]
    changed = [host for status, host, *_ in planned if status == "updated"]
    if new:
        Host.objects.bulk_create(new)
    if changed:
        now = timezone.now()
        for host in changed:
            host.updated = now
        Host.objects.bulk_update(changed, [name for name in HOST_FIELDS if name != "hostname"] + ["updated"])
    written = [entry for entry in planned if entry[0] != "unchanged"]
    ids = [host.pk for host in changed]
    links: dict[str, list[tuple[int, int]]] = {
        "services": [(entry[1].pk, service.pk) for entry in written for service in entry[2]],
        "tags": [(entry[1].pk, tag.pk) for entry in written for tag in entry[3]],
    }
    for relation, pairs in links.items():
        through = getattr(Host, relation).through
        target = "service_id" if relation == "services" else "tag_id"
        if ids:
            through.objects.filter(host_id__in=ids).delete()
        if pairs:
            through.objects.bulk_create([through(host_id=host_id, **{target: other}) for host_id, other in pairs])
