"""The change's window copied onto its link rows: the one module that writes it.

Every ChangeHost and ChangeService row carries a copy of its change's effective window (``Change.eff_start`` /
``eff_end``), so the covering indexes (host_id, eff_start, change_id) INCLUDE (eff_end) and (service_id,
eff_start) INCLUDE (eff_end, change_id) answer suspects and collisions alone (README, "Data model and the hot
queries"). Nothing else in the app writes those copies:

- ``host_links`` / ``service_links`` build unsaved link rows that carry the window, for ``bulk_create``
  (services.lifecycle, services.ingest);
- ``fill`` gives a link saved on its own (``ChangeHost.save()``, ``ChangeService.save()``: factories, the admin's
  inlines) its change's window when it has none;
- ``fill_added_services`` fills the links ``change.services.add()/set()`` (or ``service.changes.add()``) insert
  in bulk, in the same transaction;
- ``follow`` moves a change's link rows with its window when a save moves it (form edit, API PATCH, execution
  reports, transitions that record the actual start or end);
- ``rebuild`` recomputes every link row's window from its change (``manage.py rebuild_link_windows``).

The model hooks (``Change.save``, the links' ``save``, ``m2m_changed``) reach this module through the receivers in
``apps.changes.signals``: the models are defined below it. Two writers stay outside on purpose: ``bench/`` COPYs
its synthetic history with the windows the generator computed (no model code runs there), and migrations
(``changes/0004`` backfilled the service links) work on historical models, which have no custom save.

The other copy taken from the link rows, ``Change.environment_wide`` (no host and no service linked), has its own
writer, ``apps.changes.environment_wide``: a path that inserts changes with their links in bulk calls
``environment_wide.for_new`` on each change before the insert (or ``linked`` after inserting links to saved ones).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import F, Max, Min, OuterRef, Q, Subquery

from apps.changes.models import Change, ChangeHost, ChangeService
from apps.inventory.models import Host, Service

LINK_MODELS = (ChangeHost, ChangeService)
# Change ids per UPDATE in ``rebuild``: a few tens of thousands of link rows per statement at the bench's scale.
REBUILD_BATCH = 5000


def host_links(change: Change, hosts: Iterable[Host]) -> list[ChangeHost]:
    """Unsaved rows linking ``change`` to ``hosts``, carrying its window (pending, as a new link is)."""
    return [ChangeHost(change=change, host=host, eff_start=change.eff_start, eff_end=change.eff_end) for host in hosts]


def service_links(change: Change, services: Iterable[Service]) -> list[ChangeService]:
    """Unsaved rows linking ``change`` to ``services``, carrying its window."""
    return [
        ChangeService(change=change, service=service, eff_start=change.eff_start, eff_end=change.eff_end)
        for service in services
    ]


def fill(link: ChangeHost | ChangeService) -> None:
    """A link about to be saved on its own gets its change's window if it has none yet."""
    if link.eff_start is None or link.eff_end is None:
        link.eff_start, link.eff_end = link.change.eff_start, link.change.eff_end


def fill_added_services(*, instance, reverse: bool, pk_set: Iterable[int]) -> None:
    """The links just inserted by ``change.services.add()`` (or ``service.changes.add()`` when ``reverse``)."""
    if reverse:
        links = ChangeService.objects.filter(service=instance, change_id__in=pk_set, eff_start__isnull=True)
        of_change = Change.objects.filter(pk=OuterRef("change_id"))
        links.update(
            eff_start=Subquery(of_change.values("eff_start")[:1]), eff_end=Subquery(of_change.values("eff_end")[:1])
        )
    else:
        links = ChangeService.objects.filter(change=instance, service_id__in=pk_set, eff_start__isnull=True)
        links.update(eff_start=instance.eff_start, eff_end=instance.eff_end)


def follow(change: Change) -> None:
    """The change's link rows take its (saved) window."""
    for model in LINK_MODELS:
        model.objects.filter(change=change).update(eff_start=change.eff_start, eff_end=change.eff_end)


def rebuild(*, batch: int = REBUILD_BATCH) -> int:
    """Recompute every link row's window from its change; returns how many rows were out of step.

    One UPDATE per kind of link and range of ``batch`` change ids, each setting the window from the change by a
    correlated subquery and touching only the rows that differ: a second run changes nothing and returns 0.
    """
    bounds = Change.objects.aggregate(low=Min("pk"), high=Max("pk"))
    if bounds["low"] is None:
        return 0
    of_change = Change.objects.filter(pk=OuterRef("change_id"))
    window = {
        "eff_start": Subquery(of_change.values("eff_start")[:1]),
        "eff_end": Subquery(of_change.values("eff_end")[:1]),
    }
    out_of_step = (
        Q(eff_start__isnull=True)
        | Q(eff_end__isnull=True)
        | ~Q(eff_start=F("change__eff_start"))
        | ~Q(eff_end=F("change__eff_end"))
    )
    fixed = 0
    for low in range(bounds["low"], bounds["high"] + 1, batch):
        for model in LINK_MODELS:
            rows = model.objects.filter(out_of_step, change_id__gte=low, change_id__lt=low + batch)
            fixed += rows.update(**window)
    return fixed
