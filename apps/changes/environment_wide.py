"""``Change.environment_wide``: the one module that writes it.

A change with no host and no service linked concerns its whole environment. The suspects read those few changes
through the partial index ``change_env_wide`` (environment, eff_start) WHERE environment_wide, instead of every
change of the environment in the window with an anti-join on both link tables (apps.incidents.candidates).

The flag follows the link rows, whoever writes them:

- ``for_new`` sets it on a change about to be inserted with the links it is going to get (create_change, the
  ingest of a change event, single or batch): no query;
- ``linked`` clears it once links were inserted (``bulk_create`` in services.lifecycle and services.ingest, a link
  saved on its own, ``change.services.add()/set()``, the receivers in apps.changes.signals);
- ``unlinked`` recomputes it once links were deleted (a host list or service list edit, a link deleted on its own);
- ``rebuild`` recomputes every change (``manage.py rebuild_environment_wide``, and migration changes/0009 for the
  rows that existed before the column).

Callers add or remove links holding the change's row lock (``select_for_update``), as every service does: two
unlocked deletes of a change's last two links could each still see the other's and leave the flag off.

``Change.save()`` of an existing row never writes the column, so an instance loaded before its links changed
cannot undo the flag. Raw inserts (the bench's COPY and raw ingest) get the column's database default, False:
they insert links with their changes.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Exists, OuterRef

from apps.changes.models import Change, ChangeHost, ChangeService


def for_new(change: Change, *, hosts: Iterable, services: Iterable) -> None:
    """``change`` is not saved yet and gets exactly these links right after its insert."""
    change.environment_wide = not any(True for _ in hosts) and not any(True for _ in services)


def linked(changes: Iterable[Change | int], *, current: bool = False) -> None:
    """Links were just added to ``changes``: none of them is environment-wide any more.

    One UPDATE of the rows still flagged. ``current``: the caller's instances were loaded (locked) or inserted in
    this transaction after their last link change, so one already cleared needs no query."""
    ids = set()
    for change in changes:
        if not isinstance(change, Change):
            ids.add(change)
            continue
        if not (current and change.environment_wide is False):
            ids.add(change.pk)
        change.environment_wide = False
    if ids:
        Change.objects.filter(pk__in=ids, environment_wide=True).update(environment_wide=False)


def _has_no_links():
    return ~Exists(ChangeHost.objects.filter(change_id=OuterRef("pk"))) & ~Exists(
        ChangeService.objects.filter(change_id=OuterRef("pk"))
    )


def unlinked(changes: Iterable[Change | int]) -> None:
    """Links were just removed from ``changes``: those left with none are environment-wide again."""
    changes = list(changes)
    ids = {change.pk if isinstance(change, Change) else change for change in changes}
    if not ids:
        return
    Change.objects.filter(pk__in=ids, environment_wide=False).filter(_has_no_links()).update(environment_wide=True)
    instances = [change for change in changes if isinstance(change, Change)]
    if instances:
        wide = set(Change.objects.filter(pk__in=ids, environment_wide=True).values_list("pk", flat=True))
        for change in instances:
            change.environment_wide = change.pk in wide


def rebuild() -> int:
    """Recompute the flag of every change from its links; returns how many were out of step (0 on a second run)."""
    fixed = Change.objects.filter(environment_wide=True).exclude(_has_no_links()).update(environment_wide=False)
    return fixed + Change.objects.filter(environment_wide=False).filter(_has_no_links()).update(environment_wide=True)
