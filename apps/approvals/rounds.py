"""An approval round: the slots a submitted change must fill, and who may fill them.

apps.approvals.receivers opens a round when the change lifecycle announces a submission.
"""

from dataclasses import dataclass

from apps.approvals.choices import Decision
from apps.approvals.models import Approval, RequiredApproval
from apps.approvals.policies import requirements_for
from apps.changes import state_machine
from apps.changes.choices import ChangeStatus, ChangeType
from apps.changes.models import Change

# An emergency change that ran before its approval is approved retroactively.
RUNNING = state_machine.PLAN_FROZEN


@dataclass
class Slot:
    required: RequiredApproval
    given: list[Approval]

    @property
    def open(self) -> int:
        return max(self.required.count - len(self.given), 0)

    @property
    def label(self) -> str:
        who = "lead" if self.required.leads_only else "member"
        team = self.required.team.name if self.required.team else "any team"
        return f"{self.required.count} {who}{'s' if self.required.count != 1 else ''} of {team}"


def open_round(change: Change) -> list[RequiredApproval]:
    """(Re)compute the required approvals of a change being submitted; earlier approvals were withdrawn."""
    RequiredApproval.objects.filter(change=change).delete()
    return [
        RequiredApproval.objects.create(
            change=change,
            team=requirement.team,
            count=requirement.count,
            leads_only=requirement.leads_only,
            reasons="; ".join(requirement.reasons),
        )
        for requirement in requirements_for(change)
    ]


def current_decisions(change: Change):
    return Approval.objects.filter(change=change, withdrawn_at__isnull=True).select_related("decided_by", "team")


def slots(change: Change, *, required=None, decisions=None) -> list[Slot]:
    """Each required slot with the current approvals counted against it (prefetched lists may be passed)."""
    required = list(change.required_approvals.select_related("team")) if required is None else required
    decisions = list(current_decisions(change)) if decisions is None else decisions
    approvals = [d for d in decisions if d.decision == Decision.APPROVED]
    return [
        Slot(required=slot, given=[a for a in approvals if a.team_id == slot.team_id or slot.team_id is None])
        for slot in required
    ]


def awaiting_decision(change: Change) -> bool:
    """Submitted changes, and emergency changes that started before their approval."""
    if change.status == ChangeStatus.SUBMITTED:
        return True
    return change.change_type == ChangeType.EMERGENCY and change.status in RUNNING and change.approved_at is None


def can_fill(user, slot: RequiredApproval, memberships) -> bool:
    for membership in memberships:
        if slot.team_id is not None and membership.team_id != slot.team_id:
            continue
        if membership.is_lead or not slot.leads_only:
            return True
    return False
