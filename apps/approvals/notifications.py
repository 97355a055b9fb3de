"""Who is emailed about which event, and what the email says. Pure reads: the dispatcher stores and sends."""

from django.conf import settings
from django.db.models import Q

from apps.accounts.models import TeamMembership
from apps.approvals.history import changes_since_last_approval
from apps.approvals.models import Approval, RequiredApproval
from apps.changes.models import Change
from apps.events.choices import EventType

APPROVER_EVENTS = {
    EventType.CHANGE_SUBMITTED,
    EventType.CHANGE_REAPPROVAL,
    EventType.APPROVAL_REMINDER,
    EventType.EMERGENCY_OVERDUE,
}
REQUESTER_EVENTS = {EventType.CHANGE_DECISION, EventType.EMERGENCY_OVERDUE}


def eligible_approvers(change: Change) -> list:
    """People who may still decide: members (or leads) of a required team, minus the requester and those
    who already decided in this round."""
    slots = list(RequiredApproval.objects.filter(change=change))
    decided = set(
        Approval.objects.filter(change=change, withdrawn_at__isnull=True).values_list("decided_by_id", flat=True)
    )
    # Only the memberships that can fill a slot: the required teams, plus every lead when a slot takes any team.
    relevant = Q(team_id__in=[slot.team_id for slot in slots if slot.team_id is not None])
    if any(slot.team_id is None for slot in slots):
        relevant |= Q(is_lead=True)
    memberships = TeamMembership.objects.select_related("user").filter(relevant, user__is_active=True)
    people = {}
    for membership in memberships:
        for slot in slots:
            team_ok = slot.team_id is None or slot.team_id == membership.team_id
            if team_ok and (membership.is_lead or not slot.leads_only):
                people[membership.user_id] = membership.user
    return [
        user
        for user_id, user in sorted(people.items())
        if user_id != change.requester_id and user_id not in decided and user.email
    ]


def _describe(change: Change) -> str:
    lines = [
        f"{change.reference}: {change.title}",
        f"Kind: {change.get_kind_display()}   Risk: {change.get_risk_display()}   Environment: {change.environment}",
        f"Window (UTC): {change.planned_start:%Y-%m-%d %H:%M} – {change.planned_end:%Y-%m-%d %H:%M}",
        f"Hosts: {change.host_links.count()}   Requested by: {change.requester or '—'}",
    ]
    if change.needs_freeze_exception:
        lines.append(f"Needs a freeze exception: {change.freeze_justification or 'no justification given'}")
    lines.append(f"Open it: {settings.SITE_URL}{change.get_absolute_url()}")
    return "\n".join(lines)


def _diff_text(change: Change) -> str:
    last, diff = changes_since_last_approval(change)
    if not diff:
        return ""
    rows = [f"  {field}: {values['before']!r} → {values['after']!r}" for field, values in diff.items()]
    who = last.decided_by.get_username() if last else "the leads"
    return f"\nChanged since {who} approved it:\n" + "\n".join(rows) + "\n"


def emails_for_event(event) -> list[tuple[str, str, str]]:
    change_id = (event.payload.get("change") or {}).get("id")
    if change_id is None:
        return []
    change = Change.objects.select_related("environment", "requester").filter(pk=change_id).first()
    if change is None:
        return []
    emails = []
    if event.event_type in APPROVER_EVENTS:
        subject, intro = {
            EventType.CHANGE_SUBMITTED: ("Approval needed", "A change awaits your decision."),
            EventType.CHANGE_REAPPROVAL: (
                "Re-approval needed",
                "A change you approved (or were asked to) was edited after approval and needs a new decision.",
            ),
            EventType.APPROVAL_REMINDER: ("Reminder: approval needed soon", "This change starts soon."),
            EventType.EMERGENCY_OVERDUE: (
                "Overdue retroactive approval",
                "This emergency change started without approval and its retroactive approval is overdue.",
            ),
        }[event.event_type]
        body = f"{intro}\n\n{_describe(change)}\n{_diff_text(change)}"
        for user in eligible_approvers(change):
            emails.append((user.email, f"[ChangePortal] {subject}: {change.reference} {change.title}", body))
    requester = change.requester
    if event.event_type in REQUESTER_EVENTS and requester is not None and requester.email:
        if event.event_type == EventType.CHANGE_DECISION:
            payload = event.payload
            subject = f"[ChangePortal] {payload.get('decided_by')} {payload.get('decision')} {change.reference}"
            body = f"{payload.get('comment') or 'No comment.'}\n\n{_describe(change)}"
        else:
            subject = f"[ChangePortal] Retroactive approval overdue: {change.reference}"
            body = _describe(change)
        if all(existing[0] != requester.email for existing in emails):
            emails.append((requester.email, subject, body))
    return emails
