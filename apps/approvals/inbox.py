"""The approval inbox's rows and the navigation badge: a fixed number of queries, however many rows.

Each row shows what ``decision_panel.decision_context`` shows for one change (slots, who may decide, the diff since
the last approval, conflicts and freeze hits). Here every kind of fact is read once for all rows, the way
apps.incidents.candidates gathers suspects: slots, current decisions, last approvals, edits since them, host and
service conflicts, freeze windows and host counts. Read-only; the rules stay in rounds and services.
"""

from collections import defaultdict
from datetime import UTC, timedelta

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connection
from django.db.models import Count, Exists, F, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce

from apps.accounts.models import Team
from apps.approvals import eligibility, rounds
from apps.approvals.choices import Decision
from apps.approvals.models import Approval, RequiredApproval
from apps.changes.choices import ActivityAction
from apps.changes.collisions import IGNORED_STATUSES, CollisionReport, Conflict
from apps.changes.freeze import occurrences_of
from apps.changes.models import Change, ChangeActivity, ChangeHost, ChangeService, FreezeWindow
from apps.changes.permissions import memberships_of
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


def since_last_approvals(changes: list[Change]) -> dict[int, tuple[Approval | None, dict]]:
    """Each change's latest approval and the merged before/after of the edits made after it: two queries."""
    ids = [change.pk for change in changes]
    last: dict[int, Approval] = {}
    approved = Approval.objects.filter(change_id__in=ids, decision=Decision.APPROVED).select_related("decided_by")
    for approval in approved.order_by("change_id", "-decided_at", "-id"):
        last.setdefault(approval.change_id, approval)
    merged: dict[int, dict[str, dict]] = defaultdict(dict)
    if last:
        after = Q()
        for change_id, approval in last.items():
            after |= Q(change_id=change_id, created__gt=approval.decided_at)
        edits = ChangeActivity.objects.filter(after, action=ActivityAction.EDIT).order_by("change_id", "created", "id")
        for entry in edits:
            fields = merged[entry.change_id]
            for field, values in entry.changes.items():
                if field in fields:
                    fields[field]["after"] = values.get("after")
                else:
                    fields[field] = {"before": values.get("before"), "after": values.get("after")}
    result: dict[int, tuple[Approval | None, dict]] = {}
    for change_id in ids:
        if change_id not in last:
            result[change_id] = (None, {})
            continue
        diff = {field: values for field, values in merged[change_id].items() if values["before"] != values["after"]}
        result[change_id] = (last[change_id], diff)
    return result


def inbox_rows(user, changes) -> list[dict]:
    """The context of each inbox row (``approvals/partials/inbox_row.html``), in the order given."""
    changes = list(changes)
    ids = [change.pk for change in changes]
    required: dict[int, list[RequiredApproval]] = defaultdict(list)
    for slot in RequiredApproval.objects.filter(change_id__in=ids).select_related("team"):
        required[slot.change_id].append(slot)
    decisions: dict[int, list[Approval]] = defaultdict(list)
    current = Approval.objects.filter(change_id__in=ids, withdrawn_at__isnull=True).select_related("decided_by", "team")
    for approval in current:
        decisions[approval.change_id].append(approval)
    host_counts = dict(
        ChangeHost.objects.filter(change_id__in=ids)
        .order_by()
        .values("change_id")
        .annotate(n=Count("id"))
        .values_list("change_id", "n")
    )
    history = since_last_approvals(changes)
    collisions = collision_reports(changes)
    rows = []
    for change in changes:
        slots = rounds.slots(change, required=required[change.pk], decisions=decisions[change.pk])
        awaiting = rounds.awaiting_decision(change)
        last_approval, since_approval = history[change.pk]
        rows.append(
            {
                "change": change,
                "slots": slots,
                "awaiting": awaiting,
                "can_decide": eligibility.can_decide(user, change, slots),
                "fillable_slots": eligibility.fillable(user, slots),
                "last_approval": last_approval,
                "since_approval": since_approval,
                "collisions": collisions[change.pk],
                "host_count": host_counts.get(change.pk, 0),
            }
        )
    return rows


def inbox_count(user) -> int:
    """``len(services.inbox_for(user))`` in one query (plus the user's memberships, cached on the user): changes
    awaiting a decision with an open slot this user may fill, not their own and not yet decided by them."""
    if not memberships_of(user):
        return 0
    slot_filter = eligibility.slot_filter_for(user)
    approved = Approval.objects.filter(
        change_id=OuterRef("change_id"), decision=Decision.APPROVED, withdrawn_at__isnull=True
    ).order_by()
    # A slot for a team counts that team's approvals; a slot for any team counts every approval (rounds.slots).
    given_for_team = approved.filter(team_id=OuterRef("team_id")).values("change_id").annotate(n=Count("id"))
    given_any = approved.values("change_id").annotate(n=Count("id"))
    open_slots = (
        RequiredApproval.objects.filter(slot_filter, change_id=OuterRef("pk"))
        .annotate(
            given_team=Coalesce(Subquery(given_for_team.values("n")[:1]), 0),
            given_any=Coalesce(Subquery(given_any.values("n")[:1]), 0),
        )
        .filter(Q(team__isnull=False, count__gt=F("given_team")) | Q(team__isnull=True, count__gt=F("given_any")))
    )
    return eligibility.decidable_changes(user).filter(Exists(open_slots)).order_by().count()
