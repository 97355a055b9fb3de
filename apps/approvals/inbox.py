"""The approval inbox's rows and the navigation badge: a fixed number of queries, however many rows.

Each row shows what ``decision_panel.decision_context`` shows for one change (slots, who may decide, the diff since
the last approval, conflicts and freeze hits). Here every kind of fact is read once for all rows, the way
apps.incidents.candidates gathers suspects: slots, current decisions, last approvals, edits since them, host and
service conflicts, freeze windows and host counts. Read-only; the rules stay in rounds and services.
"""

from collections import defaultdict

from django.db.models import Count, Exists, F, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce

from apps.approvals import eligibility, rounds
from apps.approvals.choices import Decision
from apps.approvals.decision_panel import decision_facts
from apps.approvals.models import Approval, RequiredApproval
from apps.changes.choices import ActivityAction
from apps.changes.collisions_batch import collision_reports
from apps.changes.models import Change, ChangeActivity, ChangeHost
from apps.changes.permissions import memberships_of


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
        last_approval, since_approval = history[change.pk]
        facts = decision_facts(
            user,
            change,
            slots=rounds.slots(change, required=required[change.pk], decisions=decisions[change.pk]),
            last_approval=last_approval,
            since_approval=since_approval,
            collisions=collisions[change.pk],
        )
        rows.append(facts | {"host_count": host_counts.get(change.pk, 0)})
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
