"""Plan and apply an inventory import: compare the rows of a source (apps.inventory.importers) with the hosts in
the database, list what would be created, changed (field: before → after), left unchanged and retired, then write
it in one transaction through ``services.upsert_hosts`` (in chunks of MAX_BULK_HOSTS), audited with the given via.
All or nothing: if any row is invalid, nothing is written."""

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction

from apps.inventory import importers, services
from apps.inventory.importers import Row
from apps.inventory.models import Environment, Host, Service, Tag, hostname_validator

FORMATS = ("csv", "ansible", "netbox")
COMPARED = ("environment", "services", "tags", "fqdn", "ip_address", "is_active")


class ImportFailed(Exception):
    """The database changed between the plan and its writes (a host created meanwhile): nothing was written."""


@dataclass
class Plan:
    """``created`` / ``updated`` are ``(row, {field: (before, after)})``; ``errors`` ``(position, field, reason)``."""

    created: list[tuple[Row, dict]] = field(default_factory=list)
    updated: list[tuple[Row, dict]] = field(default_factory=list)
    unchanged: list[Row] = field(default_factory=list)
    retired: list[str] = field(default_factory=list)
    errors: list[tuple[str, str, str]] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"created {len(self.created)}, updated {len(self.updated)}, unchanged {len(self.unchanged)}, "
            f"retired {len(self.retired)}, errors {len(self.errors)}"
        )


def read(kind: str, texts: Sequence[str], mapping: dict | None = None) -> list[Row]:
    """The rows of ``texts`` in format ``kind`` (one of FORMATS); raises ValueError for a source it cannot read."""
    try:
        if kind == "csv":
            return [row for text in texts for row in importers.parse_csv(text)]
        if kind == "ansible":
            tags = set(Tag.objects.values_list("slug", flat=True))
            return [row for text in texts for row in importers.parse_ansible(text, mapping, tags)]
        if kind == "netbox":
            environments = set(Environment.objects.values_list("slug", flat=True))
            return importers.parse_netbox(list(texts), mapping, environments)
    except (AttributeError, TypeError, KeyError) as exc:  # JSON of another shape
        raise ValueError(f"Not a {kind} source: {exc}") from exc
    raise ValueError(f"Unknown format {kind} (known: {', '.join(FORMATS)}).")


def _state(host: Host) -> dict:
    return {
        "environment": host.environment.slug,
        "services": sorted(service.slug for service in host.services.all()),
        "tags": sorted(tag.slug for tag in host.tags.all()),
        "fqdn": host.fqdn,
        "ip_address": host.ip_address,
        "is_active": host.is_active,
    }


def _check(row: Row, seen: dict[str, str], known: dict[str, set[str]], exists: bool) -> list[tuple[str, str]]:
    problems = [(name, reason) for name, reasons in row.errors.items() for reason in reasons]
    try:
        hostname_validator(row.hostname)
        if not row.hostname:
            raise ValidationError("A hostname is required.")
    except ValidationError as exc:
        problems.append(("hostname", f"{row.hostname or '(empty)'}: {' '.join(exc.messages)}"))
    if row.hostname and row.hostname in seen:
        problems.append(("hostname", f"{row.hostname} appears more than once (also {seen[row.hostname]})."))
    seen.setdefault(row.hostname, row.position)
    environment = row.fields.get("environment")
    if environment is None and not exists:
        problems.append(("environment", "A new host needs an environment."))
    elif environment is not None and environment not in known["environment"]:
        problems.append(("environment", f"Unknown environment: {environment}."))
    for name in ("services", "tags"):
        missing = sorted(set(row.fields.get(name, ())) - known[name])
        if missing:
            problems.append((name, f"Unknown {name}: {', '.join(missing)}."))
    return problems


def plan(rows: Sequence[Row], *, retire_missing: bool = False, environments: Iterable[str] = ()) -> Plan:
    """What importing ``rows`` would do. With ``retire_missing``, the active hosts absent from the rows are retired
    (made inactive), limited to ``environments`` when given, else to the environments the rows' hosts are in."""
    result = Plan()
    known = {
        "environment": set(Environment.objects.values_list("slug", flat=True)),
        "services": set(Service.objects.values_list("slug", flat=True)),
        "tags": set(Tag.objects.values_list("slug", flat=True)),
    }
    existing = {
        host.hostname: host
        for host in Host.objects.select_related("environment")
        .prefetch_related("services", "tags")
        .filter(hostname__in=[row.hostname for row in rows])
    }
    seen: dict[str, str] = {}
    for row in rows:
        host = existing.get(row.hostname)
        problems = _check(row, seen, known, host is not None)
        result.errors.extend((row.position, name, reason) for name, reason in problems)
        if problems:
            continue
        before = _state(host) if host else {}
        changes = {}
        for name in COMPARED:
            if name not in row.fields:
                continue
            after = row.fields[name]
            if name in ("services", "tags"):
                after = sorted(set(after))
            if host is None or before[name] != after:
                changes[name] = (before.get(name), after)
        if host is None:
            result.created.append((row, changes))
        elif changes:
            result.updated.append((row, changes))
        else:
            result.unchanged.append(row)
    if retire_missing:
        scope = set(environments) or {
            str(row.fields.get("environment") or existing[row.hostname].environment.slug)
            for row in rows
            if row.fields.get("environment") or row.hostname in existing
        }
        result.retired = list(
            Host.objects.active()
            .filter(environment__slug__in=scope)
            .exclude(hostname__in=[row.hostname for row in rows])
            .order_by("hostname")
            .values_list("hostname", flat=True)
        )
    return result


def _chunks(items: list[dict], size: int) -> Iterable[list[dict]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


@transaction.atomic
def apply(result: Plan, *, actor, via: str, note: str = "", progress: Callable[[int], None] | None = None) -> None:
    """Write a plan without errors: creates and updates (only the fields that differ, plus the hostname), then the
    retirements, in chunks of ``services.MAX_BULK_HOSTS``; ``progress(n)`` after each chunk of n hosts."""
    if result.errors:
        raise ValueError("A plan with errors is not applied.")
    items = [
        {"hostname": row.hostname, **{name: row.fields[name] for name in changes}}
        for row, changes in [*result.created, *result.updated]
    ]
    items += [{"hostname": hostname, "is_active": False} for hostname in result.retired]
    for chunk in _chunks(items, services.MAX_BULK_HOSTS):
        written = services.upsert_hosts(actor=actor, via=via, items=chunk, note=note)
        if not written.applied:
            problems = [f"{item['hostname']}: {item['errors']}" for item in written.items if item["errors"]]
            raise ImportFailed("The inventory changed meanwhile, nothing was written: " + "; ".join(problems))
        if progress:
            progress(len(chunk))
