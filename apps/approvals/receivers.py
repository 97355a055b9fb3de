"""Approvals' answers to the change lifecycle (apps.changes.signals), inside the lifecycle's transaction."""

from django.dispatch import receiver

from apps.approvals import history, rounds
from apps.changes.choices import ChangeStatus
from apps.changes.models import Change
from apps.changes.services.lifecycle import transition_change
from apps.changes.signals import change_submitted, material_edit_saved
from apps.platform.actors import Actor


@receiver(change_submitted, sender=Change)
def open_approval_round(sender, change: Change, actor, at=None, **kwargs) -> Change:
    """Compute who must approve; a change made from a standard template and still matching it is approved."""
    rounds.open_round(change)
    template = change.template
    if template is not None and template.is_standard and template.is_active and template.matches(change):
        return transition_change(
            change=change,
            target=ChangeStatus.APPROVED,
            actor=Actor.automatic(f"standard change template “{template.name}”"),
            note=f"Pre-approved standard change: made from the template “{template.name}”.",
            at=at,
        )
    return change


@receiver(material_edit_saved, sender=Change)
def withdraw_invalidated_approvals(sender, change: Change, fields: list[str], actor, at=None, **kwargs) -> Change:
    """What the leads approved is not what will run: their approvals go, and an approved change needs them again."""
    if change.status != ChangeStatus.APPROVED and not history.current_approvals(change).exists():
        return change
    reason = f"Material edit after approval ({', '.join(fields)})."
    history.withdraw_approvals(change=change, reason=reason, at=at)
    if change.status != ChangeStatus.APPROVED:
        return change
    return transition_change(
        change=change,
        target=ChangeStatus.SUBMITTED,
        actor=Actor.automatic("approval rules: a material edit withdraws the approval"),
        note=f"{reason} Approval withdrawn; the change needs a new decision.",
        at=at,
    )
