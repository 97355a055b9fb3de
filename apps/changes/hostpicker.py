"""The one host picker (the change form's and the incident form's): resolving what is typed or pasted into
hosts without ever dropping a name silently, the type-ahead, and the picker's add/remove/paste actions.

Rules, the same for both forms: a name not in the inventory is listed back, never dropped; a NUL is refused as an
unknown name (it cannot reach PostgreSQL); a retired (inactive) host is refused with a message when it is being
added, while a change that already names it keeps it; the type-ahead and group picks offer active hosts only.
"""

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db.models import Q

from apps.inventory.models import Environment, Host, Service, Tag

SEARCH_LIMIT = 20
_SEPARATORS = re.compile(r"[\s,;]+")


@dataclass
class Resolution:
    hosts: list[Host]
    unknown: list[str]

    def without_retired(self) -> tuple["Resolution", list[str]]:
        """For names being added now: retired (inactive) hosts are left out and named, not silently linked.
        Links a change already has keep their retired hosts (history stays as it was)."""
        retired = [host.hostname for host in self.hosts if not host.is_active]
        active = [host for host in self.hosts if host.is_active]
        return Resolution(hosts=active, unknown=self.unknown), retired


def split_names(text: str) -> list[str]:
    """Hostnames from pasted text: one per line, or separated by commas, semicolons or spaces; order kept."""
    seen: dict[str, None] = {}
    for name in _SEPARATORS.split(text or ""):
        name = name.strip().lower()
        if name:
            seen.setdefault(name, None)
    return list(seen)


def resolve(names) -> Resolution:
    # NUL cannot reach PostgreSQL; U+FFFD keeps the pasted name visible as unknown instead of a 500.
    names = [name.replace("\x00", "\ufffd").strip().lower() for name in names if name and name.strip()]
    found = {host.hostname: host for host in Host.objects.filter(hostname__in=names).select_related("environment")}
    unknown = [name for name in dict.fromkeys(names) if name not in found]
    hosts = [found[name] for name in dict.fromkeys(names) if name in found]
    return Resolution(hosts=hosts, unknown=unknown)


def search(query: str, *, exclude=(), limit: int = SEARCH_LIMIT) -> list[Host]:
    """Type-ahead: prefix matches first (index-backed on the lower-case hostname), then substring matches."""
    query = query.replace("\x00", "").strip().lower()
    if not query:
        return []
    base = Host.objects.filter(is_active=True).exclude(hostname__in=list(exclude)).select_related("environment")
    prefix = list(base.filter(hostname__startswith=query).order_by("hostname")[:limit])
    if len(prefix) < limit:
        more = (
            base.filter(Q(hostname__contains=query) | Q(fqdn__icontains=query))
            .exclude(hostname__startswith=query)
            .order_by("hostname")[: limit - len(prefix)]
        )
        prefix.extend(more)
    return prefix


def group_choices() -> list[tuple[str, list[tuple[str, str]]]]:
    """Groups a requester can add at once, as <optgroup>s: value is 'kind:slug'."""
    return [
        ("Service", [(f"service:{s.slug}", s.name) for s in Service.objects.order_by("name")]),
        ("Environment", [(f"environment:{e.slug}", e.name) for e in Environment.objects.order_by("order", "name")]),
        ("Tag", [(f"tag:{t.slug}", t.name) for t in Tag.objects.order_by("name")]),
    ]


def hosts_of_group(value: str) -> list[Host]:
    kind, _, slug = (value or "").partition(":")
    filters = {
        "service": Q(services__slug=slug),
        "environment": Q(environment__slug=slug),
        "tag": Q(tags__slug=slug),
    }
    if kind not in filters or not slug:
        return []
    return list(Host.objects.active().filter(filters[kind]).distinct().order_by("hostname"))


def normalized(names) -> list[str]:
    """Posted hostnames, lower-cased and stripped; NUL shows as U+FFFD (an unknown name, never a query error)."""
    names = (name.replace("\x00", "\ufffd") for name in names if name)
    return [name.strip().lower() for name in names if name.strip()]


@dataclass
class PickerState:
    """What the picker shows after an action: the selected hosts and what was not added, and why."""

    names: list[str]
    unknown: list[str] = field(default_factory=list)
    retired: list[str] = field(default_factory=list)
    paste_kept: str = ""


def apply_action(data) -> PickerState:
    """The picker's actions on the posted selection: add one, remove one, clear, add a whole group, add pasted
    names. Names being added are resolved now: retired hosts are refused and named, unknown pasted names are kept
    in the paste box; a typed unknown name stays selected and is listed as unknown."""
    names = normalized(data.getlist("hosts"))
    action = data.get("action", "")
    state = PickerState(names=names)
    if action == "add":
        added, state.retired = resolve([data.get("host", "")]).without_retired()
        names += [host.hostname for host in added.hosts] + added.unknown
    elif action == "remove":
        names[:] = [name for name in names if name not in normalized([data.get("host", "")])]
    elif action == "clear":
        names.clear()
    elif action == "add_group":
        names += [host.hostname for host in hosts_of_group(data.get("host_group", ""))]
    elif action == "paste":
        pasted, state.retired = resolve(split_names(data.get("hosts_paste", ""))).without_retired()
        names += [host.hostname for host in pasted.hosts]
        state.unknown = pasted.unknown
        state.paste_kept = "\n".join(pasted.unknown)
    return state


def clean_picked(names, *, already: Callable[[], Iterable[str]] = tuple) -> list[Host]:
    """A form's selected hosts (the picker's hidden ``hosts``): every name known, no retired host newly added.
    ``already`` gives the hostnames the record names now (an edit keeps a host retired since); it is called only
    when a retired host is picked."""
    resolution = resolve(names)
    if resolution.unknown:
        raise ValidationError(
            f"These hosts are not in the inventory: {', '.join(resolution.unknown)}. Remove them or add them "
            "to the inventory first."
        )
    retired = [host.hostname for host in resolution.hosts if not host.is_active]
    if retired:
        kept = set(already())
        retired = [name for name in retired if name not in kept]
    if retired:
        raise ValidationError(
            f"Retired hosts: {', '.join(retired)}. Remove them (retired hosts stay in history but take no new "
            "changes or incidents)."
        )
    return resolution.hosts


class PastedUnknown(ValidationError):
    """The paste box named hosts the inventory does not know (listed back in the picker)."""

    def __init__(self, unknown: list[str]):
        super().__init__(
            f"Unknown hostnames: {', '.join(unknown)}. Nothing from this box was added: correct or remove these "
            "names (the others are fine)."
        )
        self.unknown = unknown


def clean_pasted(text: str) -> list[Host]:
    """A form's paste box on submit: refused whole when a name is retired or unknown (PastedUnknown)."""
    resolution, retired = resolve(split_names(text)).without_retired()
    if retired:
        raise ValidationError(
            f"Retired hosts: {', '.join(retired)}. Nothing from this box was added: remove these names (retired "
            "hosts stay in history but take no new changes)."
        )
    if resolution.unknown:
        raise PastedUnknown(resolution.unknown)
    return resolution.hosts
