"""Parsers of inventory sources for ``manage.py import_inventory``: each returns rows (hostname, host fields,
where the row came from, the problems found while parsing). They read nothing from the database; apps.inventory.sync
checks the names against it and plans the writes."""

import csv
import io
import ipaddress
import json
import urllib.parse
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field

import yaml

CSV_COLUMNS = ("hostname", "environment", "services", "tags", "fqdn", "ip", "active")
LIST_SEPARATOR = ";"  # services and tags in a CSV cell: "billing-web;billing-api"
ENVIRONMENT_GROUPS = ("dev", "qa", "prod")
IGNORED_GROUPS = ("all", "ungrouped")
NETBOX_LISTS = ("/api/dcim/devices/", "/api/virtualization/virtual-machines/")
TRUE, FALSE = {"1", "true", "yes", "y", "active"}, {"0", "false", "no", "n", "inactive", ""}


@dataclass
class Row:
    """One host of a source: ``fields`` holds only what the source says (host field names, slugs for environment,
    services and tags); ``position`` is "line 3", "item 2" or "host web01"."""

    position: str
    hostname: str
    fields: dict = field(default_factory=dict)
    errors: dict[str, list[str]] = field(default_factory=dict)


def _ip(row: Row, value: str) -> None:
    value = (value or "").strip().split("/")[0]
    if not value:
        row.fields["ip_address"] = None
        return
    try:
        row.fields["ip_address"] = str(ipaddress.ip_address(value))
    except ValueError:
        row.errors.setdefault("ip", []).append(f"Not an IP address: {value}.")


def _slugs(cell: str) -> list[str]:
    return list(dict.fromkeys(part.strip().lower() for part in (cell or "").split(LIST_SEPARATOR) if part.strip()))


def parse_csv(text: str) -> list[Row]:
    """A header line with some of CSV_COLUMNS (``hostname`` required). A column that is present sets its field on
    every row (an empty cell clears fqdn, ip, services or tags); a missing column leaves the field as it is."""
    reader = csv.DictReader(io.StringIO(text))
    columns = [name.strip().lower() for name in reader.fieldnames or []]
    if "hostname" not in columns:
        raise ValueError("The CSV needs a header line with a hostname column.")
    unknown = sorted(set(columns) - set(CSV_COLUMNS))
    if unknown:
        raise ValueError(f"Unknown CSV columns: {', '.join(unknown)} (known: {', '.join(CSV_COLUMNS)}).")
    reader.fieldnames = columns
    rows = []
    for raw in reader:
        row = Row(position=f"line {reader.line_num}", hostname=(raw.get("hostname") or "").strip().lower())
        for name in columns:
            value = (raw.get(name) or "").strip()
            if name == "environment" and value:
                row.fields["environment"] = value.lower()
            elif name in ("services", "tags"):
                row.fields[name] = _slugs(value)
            elif name == "fqdn":
                row.fields["fqdn"] = value.lower()
            elif name == "ip":
                _ip(row, value)
            elif name == "active":
                if value.lower() not in TRUE | FALSE:
                    row.errors.setdefault("active", []).append(f"Not true or false: {value}.")
                row.fields["is_active"] = value.lower() in TRUE or value == ""
        rows.append(row)
    return rows


def load_mapping(text: str, name: str = "") -> dict[str, dict[str, str]]:
    """``{"services": {group: slug}, "tags": {...}, "environments": {...}}``, in JSON or (for .yml/.yaml) YAML."""
    if name.endswith((".yml", ".yaml")):
        try:
            data = yaml.safe_load(text) or {}
        except yaml.YAMLError as exc:
            raise ValueError(f"Not YAML: {exc}") from exc
    else:
        data = json.loads(text or "{}")
    if not isinstance(data, dict) or set(data) - {"services", "tags", "environments"}:
        raise ValueError("The mapping file holds only services, tags and environments, each {group: slug}.")
    return {
        key: {str(k): str(v) for k, v in (data.get(key) or {}).items()} for key in ("services", "tags", "environments")
    }


def parse_ansible(
    text: str, mapping: Mapping[str, Mapping[str, str]] | None = None, known_tags: set[str] | frozenset = frozenset()
) -> list[Row]:
    """``ansible-inventory --list`` output. Every host of ``_meta.hostvars`` or of a group's ``hosts`` is a row;
    ``ansible_host`` is its ip (or, when it is a name, its fqdn). Groups (a host is in a group and in its parents,
    through ``children``) map in this order: the mapping file's environments / services / tags; then a group named
    dev, qa or prod sets the environment; then a group named like an existing tag becomes that tag; any other group
    is ignored (as are ``all`` and ``ungrouped``)."""
    data = json.loads(text)
    mapping = mapping or {}
    hostvars = (data.get("_meta") or {}).get("hostvars") or {}
    groups = {name: value for name, value in data.items() if name != "_meta" and isinstance(value, dict)}
    parents: dict[str, set[str]] = {}
    for name, group in groups.items():
        for child in group.get("children") or []:
            parents.setdefault(child, set()).add(name)

    def ancestry(group: str, seen: set[str]) -> set[str]:
        for parent in parents.get(group, ()):
            if parent not in seen:
                seen.add(parent)
                ancestry(parent, seen)
        return seen

    membership: dict[str, set[str]] = {host: set() for host in hostvars}
    for name, group in groups.items():
        for host in group.get("hosts") or []:
            membership.setdefault(host, set()).update(ancestry(name, {name}))
    rows = []
    for host, member_of in membership.items():
        row = Row(position=f"host {host}", hostname=str(host).strip().lower())
        environments, services, tags = set(), set(), set()
        for group in sorted(member_of - set(IGNORED_GROUPS)):
            if group in mapping.get("environments", {}):
                environments.add(mapping["environments"][group])
            elif group in mapping.get("services", {}):
                services.add(mapping["services"][group])
            elif group in mapping.get("tags", {}):
                tags.add(mapping["tags"][group])
            elif group in ENVIRONMENT_GROUPS:
                environments.add(group)
            elif group in known_tags:
                tags.add(group)
        if len(environments) > 1:
            row.errors["environment"] = [f"In groups of several environments: {', '.join(sorted(environments))}."]
        elif environments:
            row.fields["environment"] = environments.pop()
        row.fields["services"], row.fields["tags"] = sorted(services), sorted(tags)
        address = str((hostvars.get(host) or {}).get("ansible_host") or "")
        if address:
            try:
                row.fields["ip_address"] = str(ipaddress.ip_address(address))
            except ValueError:
                row.fields["fqdn"] = address.lower()
        rows.append(row)
    return rows


def parse_netbox(
    texts: list[str], mapping: Mapping[str, Mapping[str, str]] | None = None, known: set[str] | frozenset = frozenset()
) -> list[Row]:
    """NetBox list responses (``/api/dcim/devices/``, ``/api/virtualization/virtual-machines/``), one or more pages.
    Per result: ``name`` is the hostname; ``primary_ip4.address`` (prefix dropped) the ip; ``status.value`` "active"
    → active, anything else → inactive; the environment is ``custom_fields.environment``, else the mapping file's
    environment for the site or cluster slug, else a tag named like an environment (``known`` environment slugs);
    ``custom_fields.services`` (a list or a ``;`` string) the services; the other ``tags[].slug`` the tags."""
    mapping = mapping or {}
    rows = []
    index = 0
    for text in texts:
        page = json.loads(text)
        for result in page.get("results") or []:
            index += 1
            name = result.get("name") or ""
            row = Row(position=f"item {index} ({name or 'no name'})", hostname=str(name).strip().lower())
            custom = result.get("custom_fields") or {}
            tag_slugs = [tag.get("slug", "") for tag in result.get("tags") or [] if isinstance(tag, dict)]
            placement = [
                (result.get(key) or {}).get("slug") for key in ("site", "cluster") if isinstance(result.get(key), dict)
            ]
            environment = custom.get("environment") or next(
                (
                    mapping.get("environments", {})[slug]
                    for slug in placement
                    if slug in mapping.get("environments", {})
                ),
                None,
            )
            environment = environment or next((slug for slug in tag_slugs if slug in known), None)
            if environment:
                row.fields["environment"] = str(environment).lower()
            services = custom.get("services") or []
            row.fields["services"] = _slugs(services) if isinstance(services, str) else sorted(set(services))
            row.fields["tags"] = sorted({slug for slug in tag_slugs if slug and slug != environment})
            _ip(row, ((result.get("primary_ip4") or {}).get("address")) or "")
            row.fields["is_active"] = ((result.get("status") or {}).get("value") or "active") == "active"
            rows.append(row)
    return rows


def fetch_netbox(base_url: str, token: str, *, timeout: float = 30) -> list[str]:
    """The pages of NETBOX_LISTS from a NetBox at ``base_url`` (``Authorization: Token …``), following ``next``."""
    pages = []
    for path in NETBOX_LISTS:
        url: str | None = urllib.parse.urljoin(base_url.rstrip("/") + "/", path.lstrip("/")) + "?limit=1000"
        while url:
            request = urllib.request.Request(
                url, headers={"Authorization": f"Token {token}", "Accept": "application/json"}
            )
            with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - an operator's URL
                text = response.read().decode("utf-8")
            pages.append(text)
            url = json.loads(text).get("next")
    return pages
