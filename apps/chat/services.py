"""Chat channel set-up, Slack member links and decisions made from Slack. Keyword-only, explicit actor, audited."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from apps.accounts.models import TeamMembership
from apps.approvals import rounds
from apps.approvals import services as approval_services
from apps.approvals.models import Approval, RequiredApproval
from apps.audit import services as audit
from apps.audit.choices import AuditAction
from apps.changes import services as change_services
from apps.changes.choices import ActivityAction
from apps.changes.exceptions import ChangeError
from apps.chat.models import ChatChannel, SlackAction, SlackUserLink
from apps.platform import outbound
from apps.platform.actors import Actor

AUDITED = ["name", "kind", "team_id", "url_hint", "topics", "timezone", "quiet_start", "quiet_end", "digest_hour"]
VIA_SLACK = "via Slack"


class SlackRefusal(Exception):
    """A Slack action that is not carried out; the message is what the clicking user is told (ephemeral)."""

    def __init__(self, message: str, change=None):
        super().__init__(message)
        self.message, self.change = message, change


def managed_teams(user):
    """The teams whose channels ``user`` may set up: all for staff, else the teams they lead."""
    from apps.accounts.models import Team

    if user.is_staff:
        return Team.objects.all()
    return Team.objects.filter(memberships__user=user, memberships__is_lead=True)


def can_manage(user, channel_team_id: int | None) -> bool:
    if user.is_staff:
        return True
    if channel_team_id is None:
        return False  # the portal-wide channel is staff's
    return TeamMembership.objects.filter(user=user, team_id=channel_team_id, is_lead=True).exists()


def _snapshot(channel: ChatChannel) -> dict:
    return {name: getattr(channel, name) for name in AUDITED} | {
        "quiet_start": str(channel.quiet_start or ""),
        "quiet_end": str(channel.quiet_end or ""),
        "is_active": channel.is_active,
    }


@transaction.atomic
def save_channel(*, actor, channel: ChatChannel, url: str = "", via: str) -> ChatChannel:
    """Create or edit a channel. ``url`` empty keeps the stored one (it is never shown again in full)."""
    if not can_manage(actor, channel.team_id):
        raise PermissionDenied("Only a lead of the team, or staff, may set up its chat channels.")
    is_new = channel.pk is None
    before = {} if is_new else _snapshot(ChatChannel.objects.get(pk=channel.pk))
    if url:
        try:
            outbound.check(url)
        except outbound.UnsafeURL as exc:
            raise ValidationError({"url": str(exc)}) from exc
        channel.set_url(url)
    elif is_new:
        raise ValidationError({"url": "Give the channel's incoming webhook URL."})
    if is_new:
        channel.owner = actor
    channel.full_clean(exclude=["url_encrypted", "url_hint", "owner"])
    channel.save()
    audit.record(
        actor=actor,
        obj=channel,
        action=AuditAction.CREATED if is_new else AuditAction.UPDATED,
        before=before,
        after=_snapshot(channel),
        via=via,
        note="URL replaced" if url and not is_new else "",
    )
    return channel


@transaction.atomic
def set_active(*, actor, channel: ChatChannel, active: bool, via: str) -> ChatChannel:
    if not can_manage(actor, channel.team_id):
        raise PermissionDenied("Only a lead of the team, or staff, may switch its chat channels.")
    before = _snapshot(channel)
    channel.is_active = active
    if active:
        channel.consecutive_failures, channel.unhealthy_since = 0, None
    channel.save(update_fields=["is_active", "consecutive_failures", "unhealthy_since"])
    audit.record(actor=actor, obj=channel, action=AuditAction.UPDATED, before=before, after=_snapshot(channel), via=via)
    return channel


@transaction.atomic
def link_slack_user(*, actor, slack_user_id: str, via: str) -> SlackUserLink | None:
    """The signed-in user says which Slack member they are (empty: unlink). A member id belongs to one user."""
    slack_user_id = slack_user_id.strip().upper()
    existing = SlackUserLink.objects.filter(user=actor).first()
    before = {"slack_user_id": existing.slack_user_id} if existing else {}
    if not slack_user_id:
        if existing:
            audit.record(
                actor=actor,
                obj=existing,
                action=AuditAction.DELETED,
                before=before,
                after={},
                via=via,
                object_id=existing.pk,
            )
            existing.delete()
        return None
    if not (slack_user_id[0] in "UW" and slack_user_id.isalnum() and 8 <= len(slack_user_id) <= 32):
        raise ValidationError(
            {"slack_user_id": "A Slack member ID looks like U012AB3CDE (Profile → ⋮ → Copy member ID)."}
        )
    if SlackUserLink.objects.filter(slack_user_id=slack_user_id).exclude(user=actor).exists():
        raise ValidationError({"slack_user_id": "That Slack member is linked to another portal user."})
    link = existing or SlackUserLink(user=actor)
    link.slack_user_id = slack_user_id
    link.save()
    audit.record(
        actor=actor,
        obj=link,
        action=AuditAction.UPDATED if existing else AuditAction.CREATED,
        before=before,
        after={"slack_user_id": slack_user_id},
        via=via,
    )
    return link


def user_for_slack(slack_user_id: str):
    link = SlackUserLink.objects.select_related("user").filter(slack_user_id=slack_user_id).first()
    if link is None or not link.user.is_active:
        raise SlackRefusal(
            "Your Slack account is not linked to a ChangePortal user. Add your Slack member ID on your profile page "
            "in the portal, then click again."
        )
    return link.user


def slot_for(slot_id) -> RequiredApproval:
    try:
        slot = RequiredApproval.objects.select_related("change", "team").get(pk=int(slot_id))
    except (RequiredApproval.DoesNotExist, TypeError, ValueError):
        raise SlackRefusal(
            "This approval request is out of date (the change was resubmitted or withdrawn); open the change in the "
            "portal."
        ) from None
    return slot


def check_may_decide(user, slot: RequiredApproval) -> None:
    """The refusals worth giving before a modal opens; decide() checks everything again."""
    change = slot.change
    if not rounds.awaiting_decision(change):
        raise SlackRefusal(f"Already decided: {change.reference} is {change.get_status_display().lower()}.", change)
    if rounds.current_decisions(change).filter(decided_by=user).exists():
        raise SlackRefusal(f"Already decided: you already decided on {change.reference}.", change)


def log_action(*, slack_user_id: str, user, change, action: str, outcome: str, message: str = "") -> None:
    SlackAction.objects.create(
        slack_user_id=slack_user_id[:32],
        user=user,
        change=change,
        action=action[:20],
        outcome=outcome,
        message=message[:2000],
    )


@transaction.atomic
def decide_from_slack(*, slack_user_id: str, slot_id, decision: str, comment: str = "") -> Approval:
    """The portal's approval service, as the linked user, for the slot's team; the activity log says "via Slack"."""
    user = user_for_slack(slack_user_id)
    slot = slot_for(slot_id)
    check_may_decide(user, slot)
    try:
        approval = approval_services.decide(
            change=slot.change, actor=user, decision=decision, comment=comment, team=slot.team
        )
    except ChangeError as exc:
        raise SlackRefusal(exc.message, slot.change) from exc
    except ValidationError as exc:
        raise SlackRefusal(" ".join(exc.messages), slot.change) from exc
    change_services.record_activity(
        change=approval.change,
        actor=Actor.person(user, authority=VIA_SLACK),
        action=ActivityAction.APPROVAL,
        note=f"{approval.get_decision_display()} via Slack (Slack member {slack_user_id}).",
        changes={"via": {"before": None, "after": "slack"}},
    )
    return approval
