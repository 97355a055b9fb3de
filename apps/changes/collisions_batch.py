"""The collision engine's reading for many changes at once (the approval inbox): what
``collisions.collisions_for_change`` reports for each of them, in four queries however many there are.

The same rule and index as apps.changes.collisions: other changes' host (service) links in each change's window
widened by COLLISION_BUFFER_MINUTES, matched through the (host_id, eff_start) link-window index, cancelled and
rejected changes left out.
"""

from collections import defaultdict
from datetime import UTC, timedelta

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connection

from apps.accounts.models import Team
from apps.changes.collisions import IGNORED_STATUSES, CollisionReport, Conflict
from apps.changes.freeze import occurrences_of
from apps.changes.models import Change, ChangeHost, ChangeService, FreezeWindow
from apps.inventory.models import Host, Service

# What a row shows of a conflicting change (its reference and link), as apps.changes.collisions reads it.
_SHOWN = ("id", "title", "status", "eff_start", "eff_end", "team_id")
_CHANGE_FIELDS = tuple(f.attname for f in Change._meta.concrete_fields if f.attname in _SHOWN)


def _conflict_sql(link_table: str, link_column: str, named_table: str, named_column: str, per_change: str) -> str:
    """Links of other changes to the rows' hosts (services) in each row's window: m is the row's own link, l the
    other change's, matched through the (host_id, eff_start) index. {per_change} holds one bounds clause per row."""
    change = Change._meta.db_table
    team = Team._meta.db_table
    shown = ", ".join(f"c.{name}" for name in _CHANGE_FIELDS)
    return (
        f"SELECT m.change_id, (SELECT n.{named_column} FROM {named_table} n WHERE n.id = l.{link_column}), "
        f"{shown}, t.name FROM {link_table} m "
        f"JOIN {link_table} l ON l.{link_column} = m.{link_column} AND l.change_id <> m.change_id "
        f"JOIN {change} c ON c.id = l.change_id LEFT JOIN {team} t ON t.id = c.team_id "
        f"WHERE c.status NOT IN ({{ignored}}) AND ({per_change})"
    )


_BOUNDS = "(m.change_id = %s AND l.eff_start > %s AND l.eff_start < %s AND l.eff_end > %s)"


def _aware(value):
    # PostgreSQL returns aware datetimes; SQLite's declared-type converter returns naive UTC ones.
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


def _conflicts(changes: list[Change], link_model, column: str, named_model, named_column: str) -> dict:
    """{row change id: {other change id: (shown values, team name, [names])}} in one query."""
    found: dict[int, dict[int, list]] = defaultdict(dict)
    if not changes:
        return found
    buffer = timedelta(minutes=settings.COLLISION_BUFFER_MINUTES)
    longest = timedelta(hours=settings.MAX_CHANGE_DURATION_HOURS)
    adapt = connection.ops.adapt_datetimefield_value
    params: list = [*IGNORED_STATUSES]
    for change in changes:
        window_start, window_end = change.eff_start - buffer, change.eff_end + buffer
        params += [change.pk, adapt(window_start - longest), adapt(window_end), adapt(window_start)]
    sql = _conflict_sql(
        link_model._meta.db_table,
        column,
        named_model._meta.db_table,
        named_column,
        " OR ".join([_BOUNDS] * len(changes)),
    ).format(ignored=", ".join(["%s"] * len(IGNORED_STATUSES)))
    start, end = _CHANGE_FIELDS.index("eff_start"), _CHANGE_FIELDS.index("eff_end")
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for row_id, name, *values, team_name in cursor.fetchall():
            values[start], values[end] = _aware(values[start]), _aware(values[end])
            entry = found[row_id].setdefault(values[_CHANGE_FIELDS.index("id")], [values, team_name, []])
            entry[2].append(name)
    return found


def _conflict_change(values, team_name) -> Change:
    change = Change.from_db(DEFAULT_DB_ALIAS, _CHANGE_FIELDS, values)
    if change.team_id is not None:
        change.team = Team.from_db(DEFAULT_DB_ALIAS, ("id", "name"), (change.team_id, team_name))
    return change


def collision_reports(changes: list[Change]) -> dict[int, CollisionReport]:
    """What ``collisions_for_change`` reports for each change: four queries for all of them."""
    by_host = _conflicts(changes, ChangeHost, "host_id", Host, "hostname")
    by_service = _conflicts(changes, ChangeService, "service_id", Service, "name")
    windows = []
    environment_ids = {change.environment_id for change in changes if change.environment_id is not None}
    if environment_ids:
        windows = list(
            FreezeWindow.objects.candidates(min(c.eff_start for c in changes), max(c.eff_end for c in changes))
            .filter(environments__in=environment_ids)
            .distinct()
            .prefetch_related("environments")
        )
    buffer = timedelta(minutes=settings.COLLISION_BUFFER_MINUTES)
    reports = {}
    for change in changes:
        others: dict[int, tuple] = {}
        hosts: dict[int, list[str]] = defaultdict(list)
        services: dict[int, list[str]] = defaultdict(list)
        for source, names in ((by_host, hosts), (by_service, services)):
            for other_id, (values, team_name, hit) in source.get(change.pk, {}).items():
                others[other_id] = (values, team_name)
                names[other_id].extend(hit)
        eff_start = _CHANGE_FIELDS.index("eff_start")
        conflicts = [
            Conflict(
                change=_conflict_change(*others[other_id]),
                hosts=sorted(hosts[other_id]),
                services=sorted(services[other_id]),
            )
            for other_id in sorted(others, key=lambda pk: (others[pk][0][eff_start], pk))
        ]
        freezes = []
        if change.environment_id is not None:
            for window in windows:
                if any(env.pk == change.environment_id for env in window.environments.all()):
                    freezes.extend(occurrences_of(window, change.eff_start, change.eff_end))
            freezes.sort(key=lambda occurrence: (occurrence.start, occurrence.window.pk))
        reports[change.pk] = CollisionReport(conflicts=conflicts, freezes=freezes, buffer=buffer)
    return reports
