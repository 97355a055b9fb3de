"""What a verified Slack interactivity payload does.

- ``block_actions`` "approve": decide as the linked user; the message is replaced (response_url) with the outcome.
- ``block_actions`` "reject": a modal asks for the note (views.open, which needs SLACK_BOT_TOKEN).
- ``view_submission`` of that modal: reject with the note; the original message is replaced with the outcome.
A refusal (not linked, own change, already decided, not a lead of the team...) is answered to the clicking user
only (an ephemeral message), or as the modal's field error.
"""

import datetime
import json

from django.conf import settings

from apps.approvals import rounds
from apps.approvals.choices import Decision
from apps.chat import services, slack
from apps.chat.choices import SlackOutcome
from apps.chat.formats import to_slack
from apps.chat.messages import decided_message
from apps.chat.tasks import post_slack_response
from apps.events.enqueue import enqueue_on_commit


def _respond(response_url: str, body: dict) -> None:
    if response_url:
        enqueue_on_commit(post_slack_response, response_url, body)


def _outcome_body(approval) -> dict:
    change = approval.change
    change.refresh_from_db()
    zone = datetime.UTC
    verb = "Approved" if approval.decision == Decision.APPROVED else "Rejected"
    outcome = f"{verb} by {approval.decided_by.get_username()} via Slack"
    if approval.comment:
        outcome += f": {approval.comment}"
    still_open = rounds.awaiting_decision(change) and any(slot.open for slot in rounds.slots(change))
    message = decided_message(change, zone=zone, outcome=outcome, still_open=still_open)
    return to_slack(message) | {"replace_original": True}


def _dict(value) -> dict:
    """A payload part as a dict, {} for anything else: a malformed payload is refused, never a 500."""
    return value if isinstance(value, dict) else {}


def handle(payload: dict) -> tuple[int, dict | None]:
    """(HTTP status, JSON body or None for an empty 200)."""
    kind = payload.get("type")
    if kind == "block_actions":
        return _block_action(payload)
    if kind == "view_submission" and _dict(payload.get("view")).get("callback_id") == slack.REJECT_CALLBACK:
        return _reject_submission(payload)
    return 200, None  # other interactions (a link button, a closed modal) need nothing from us


def _block_action(payload: dict) -> tuple[int, dict | None]:
    slack_user = str(_dict(payload.get("user")).get("id") or "")
    response_url = str(payload.get("response_url") or "")
    actions = payload.get("actions")
    action = _dict(actions[0]) if isinstance(actions, list) and actions else {}
    action_id, value = str(action.get("action_id") or ""), action.get("value")
    if action_id not in ("approve", "reject"):
        return 200, None
    if not slack_user:
        return 400, {"error": "The payload names no Slack user."}
    user = change = None
    try:
        user = services.user_for_slack(slack_user)
        slot = services.slot_for(value)
        change = slot.change
        if action_id == "approve":
            approval = services.decide_from_slack(slack_user_id=slack_user, slot_id=value, decision=Decision.APPROVED)
            services.log_action(
                slack_user_id=slack_user, user=user, change=change, action="approve", outcome=SlackOutcome.DONE
            )
            _respond(response_url, _outcome_body(approval))
            return 200, None
        services.check_may_decide(user, slot)
        view = slack.reject_modal(
            slot_id=slot.pk, reference=change.reference, title=change.title, response_url=response_url
        )
        opened = slack.api_call("views.open", {"trigger_id": payload.get("trigger_id"), "view": view})
        if not opened.ok:
            raise services.SlackRefusal(
                f"Could not open the rejection form ({opened.error}). Reject {change.reference} in the portal: "
                f"{settings.SITE_URL}{change.get_absolute_url()}",
                change,
            )
        services.log_action(
            slack_user_id=slack_user, user=user, change=change, action="reject", outcome=SlackOutcome.MODAL
        )
    except services.SlackRefusal as refusal:
        services.log_action(
            slack_user_id=slack_user,
            user=user,
            change=refusal.change or change,
            action=action_id,
            outcome=SlackOutcome.REFUSED,
            message=refusal.message,
        )
        _respond(response_url, slack.ephemeral(refusal.message))
    return 200, None


def _reject_submission(payload: dict) -> tuple[int, dict | None]:
    slack_user = str(_dict(payload.get("user")).get("id") or "")
    try:
        metadata = _dict(json.loads(str(_dict(payload.get("view")).get("private_metadata") or "{}")))
    except ValueError:
        metadata = {}
    note = slack.submitted_note(payload)
    if not note.strip():
        return 200, {"response_action": "errors", "errors": {slack.NOTE_BLOCK: "Say why: the requester reads this."}}
    try:
        approval = services.decide_from_slack(
            slack_user_id=slack_user, slot_id=metadata.get("slot"), decision=Decision.REJECTED, comment=note
        )
    except services.SlackRefusal as refusal:
        services.log_action(
            slack_user_id=slack_user,
            user=None,
            change=refusal.change,
            action="reject_note",
            outcome=SlackOutcome.REFUSED,
            message=refusal.message,
        )
        return 200, {"response_action": "errors", "errors": {slack.NOTE_BLOCK: refusal.message[:150]}}
    services.log_action(
        slack_user_id=slack_user,
        user=approval.decided_by,
        change=approval.change,
        action="reject_note",
        outcome=SlackOutcome.DONE,
    )
    _respond(str(metadata.get("response_url") or ""), _outcome_body(approval))
    return 200, None
