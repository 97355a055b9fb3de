"""Small steps of a change's life, each recorded at its own moment through the real services.

Going through the services (not raw inserts) gives the demo the same activity log, permission
checks and per-host bookkeeping as real use; each service takes the story's time as ``at``.
"""

from collections.abc import Iterable, Sequence
from datetime import datetime

from apps.accounts.models import TeamMembership
from apps.approvals import rounds
from apps.approvals.choices import Decision
from apps.approvals.models import Approval
from apps.approvals.services import decide
from apps.changes import services as change_services
from apps.changes.choices import ChangeStatus, HostExecutionState
from apps.changes.models import Change
from apps.inventory.models import Host, Service


def create(*, at: datetime, actor, hosts: Iterable[Host] = (), services: Iterable[Service] = (), **fields) -> Change:
    return change_services.create_change(actor=actor, hosts=list(hosts), services=list(services), at=at, **fields)


def move(change: Change, *, to: str, at: datetime, actor, note: str = "", confirm_incomplete: bool = False) -> Change:
    """A status move. Approving or rejecting is a lead's decision (approvals.services.decide); when the
    policies want more than ``actor``'s approval, the other required leads co-sign at the same moment."""
    if to in (ChangeStatus.REJECTED, ChangeStatus.APPROVED):
        decider = _decider(change, preferred=actor)
        if to == ChangeStatus.REJECTED:
            decide(change=change, actor=decider, decision=Decision.REJECTED, comment=note or "Not now.", at=at)
        else:
            decide(change=change, actor=decider, decision=Decision.APPROVED, comment=note, at=at)
            _co_sign(change, first=decider, at=at)
        return Change.objects.get(pk=change.pk)
    return change_services.transition_change(
        change=change, target=to, actor=actor, note=note, confirm_incomplete=confirm_incomplete, at=at
    )


def _decider(change: Change, *, preferred):
    """``preferred`` when the policies let them decide, otherwise a lead who may."""
    slots = [slot for slot in rounds.slots(change) if slot.open]
    memberships = list(TeamMembership.objects.filter(user=preferred))
    if any(rounds.can_fill(preferred, slot.required, memberships) for slot in slots):
        return preferred
    for slot in slots:
        lead = (
            TeamMembership.objects.filter(team_id=slot.required.team_id, is_lead=True)
            .exclude(user_id=change.requester_id)
            .select_related("user")
            .first()
        )
        if lead is not None:
            return lead.user
    return preferred


def _co_sign(change: Change, *, first, at: datetime) -> None:
    change = Change.objects.get(pk=change.pk)
    while rounds.awaiting_decision(change):
        decided = {first.pk, change.requester_id}
        decided |= set(rounds.current_decisions(change).values_list("decided_by_id", flat=True))
        open_slots = [slot for slot in rounds.slots(change) if slot.open]
        if not open_slots:
            return
        slot = open_slots[0]
        signer = (
            TeamMembership.objects.filter(team_id=slot.required.team_id, is_lead=True)
            .exclude(user_id__in=decided)
            .select_related("user")
            .first()
        )
        if signer is None:
            return
        decide(change=change, actor=signer.user, decision=Decision.APPROVED, comment="Co-signed.", at=at)
        change = Change.objects.get(pk=change.pk)


def countersign(change: Change, *, at: datetime, lead, team, note: str = "") -> Approval:
    """A second team's approval of an already approved change: no status move, so no service applies."""
    return Approval.objects.create(
        change=change,
        team=team,
        decided_by=lead,
        decision=Decision.APPROVED,
        comment=note,
        change_version=change.version,
        decided_at=at,
    )


def edit(change: Change, *, at: datetime, actor, fields: dict, note: str = "") -> Change:
    change, _diff = change_services.update_change(change=change, actor=actor, fields=fields, note=note, at=at)
    return change


def comment(change: Change, *, at: datetime, actor, text: str) -> None:
    change_services.add_comment(change=change, actor=actor, text=text, at=at)


def mark_hosts(
    change: Change,
    *,
    hosts: Iterable[Host],
    at: datetime,
    actor,
    state: str = HostExecutionState.APPLIED,
    note: str = "",
) -> None:
    change_services.set_host_states(change=change, hosts=list(hosts), state=state, actor=actor, note=note, at=at)


def approve_path(
    change: Change, *, requester, lead, submitted_at: datetime, approved_at: datetime, note: str = ""
) -> Change:
    """draft -> submitted -> approved, the usual way to an approved change."""
    change = move(change, to=ChangeStatus.SUBMITTED, at=submitted_at, actor=requester)
    return move(change, to=ChangeStatus.APPROVED, at=approved_at, actor=lead, note=note)


def run(
    change: Change,
    *,
    actor,
    started_at: datetime,
    host_waves: Iterable[tuple[datetime, Sequence[Host]]],
    ended_at: datetime | None,
    outcome: str = ChangeStatus.COMPLETED,
    note: str = "",
    confirm_incomplete: bool = False,
) -> Change:
    """approved -> in_progress, hosts applied wave by wave, then ``outcome`` at ``ended_at`` (None: still running)."""
    change = move(change, to=ChangeStatus.IN_PROGRESS, at=started_at, actor=actor)
    for wave_at, wave_hosts in host_waves:
        if not wave_hosts:
            continue
        mark_hosts(change, hosts=wave_hosts, at=wave_at, actor=actor)
    if ended_at is not None:
        change = move(change, to=outcome, at=ended_at, actor=actor, note=note, confirm_incomplete=confirm_incomplete)
    return change
