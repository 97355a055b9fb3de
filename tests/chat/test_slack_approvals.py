"""Approve and reject from Slack: signed interactivity requests built here, a local receiver as the Slack
incoming webhook and as the response_url, and a local fake of Slack's Web API for views.open."""

import json
import time

import pytest

from apps.approvals.choices import Decision
from apps.approvals.models import Approval, RequiredApproval
from apps.changes.choices import ActivityAction, ChangeStatus
from apps.changes.models import ChangeActivity
from apps.chat import services
from apps.chat.choices import ChatTopic
from apps.chat.models import ChatDelivery, SlackAction
from apps.events.choices import DeliveryStatus
from tests.chat.conftest import click, sign
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

LEAD_SLACK = "U0LEAD0001"


@pytest.fixture
def linked_lead(lead):
    services.link_slack_user(actor=lead, slack_user_id=LEAD_SLACK, via="ui")
    return lead


def _posted_buttons(receiver) -> list[dict]:
    [message] = receiver.bodies("/slack")
    [actions] = [block for block in message["blocks"] if block["type"] == "actions"]
    return actions["elements"]


def test_submitted_change_is_posted_and_approved_from_slack(
    team, linked_lead, make_change, channel_for, chat_receiver, response_receiver, slack_post
):
    """The issue's "done when": a submitted change posts an approval message to the team's Slack channel; the lead
    approves it from the message; the change is approved in the portal, audited as the lead via Slack."""
    channel_for(chat_receiver.url("/slack"), team=team, topics=[ChatTopic.APPROVAL_REQUESTED])
    change = make_change()
    assert change.status == ChangeStatus.SUBMITTED

    approve_button, reject_button = _posted_buttons(chat_receiver)
    slot = RequiredApproval.objects.get(change=change)
    assert (approve_button["action_id"], approve_button["value"]) == ("approve", str(slot.pk))
    assert (reject_button["action_id"], reject_button["value"]) == ("reject", str(slot.pk))
    message = chat_receiver.bodies("/slack")[0]
    assert f"<https://portal.example.com/changes/{change.pk}/|{change.reference}>" in json.dumps(message)

    response = slack_post(
        click("approve", approve_button["value"], user=LEAD_SLACK, response_url=response_receiver.url("/respond"))
    )
    assert response.status_code == 200

    change.refresh_from_db()
    assert change.status == ChangeStatus.APPROVED
    approval = Approval.objects.get(change=change)
    assert approval.decided_by == linked_lead and approval.decision == Decision.APPROVED
    via = ChangeActivity.objects.get(change=change, acting_as="via Slack")
    assert via.actor == linked_lead and via.action == ActivityAction.APPROVAL and LEAD_SLACK in via.note
    # The message is replaced in place: the outcome, no buttons any more.
    [update] = response_receiver.bodies("/respond")
    assert update["replace_original"] is True
    assert not [block for block in update["blocks"] if block["type"] == "actions"]
    assert "Approved by lead via Slack" in json.dumps(update)
    assert SlackAction.objects.get().outcome == "done"


def test_double_click_answers_already_decided(
    team, linked_lead, make_change, channel_for, chat_receiver, response_receiver, slack_post
):
    channel_for(chat_receiver.url("/slack"), team=team)
    change = make_change()
    slot = RequiredApproval.objects.get(change=change)
    payload = click("approve", slot.pk, user=LEAD_SLACK, response_url=response_receiver.url("/respond"))
    assert slack_post(payload).status_code == 200
    assert slack_post(payload).status_code == 200
    assert Approval.objects.filter(change=change).count() == 1
    second = response_receiver.bodies("/respond")[1]
    assert second["response_type"] == "ephemeral" and second["replace_original"] is False
    assert "Already decided" in second["text"]


def test_self_approval_is_refused_ephemerally(
    team, requester, make_change, channel_for, chat_receiver, response_receiver, slack_post
):
    """The requester leads the team too: the approval service still refuses their own change."""
    requester.team_memberships.update(is_lead=True)
    services.link_slack_user(actor=requester, slack_user_id="U0REQ00001", via="ui")
    channel_for(chat_receiver.url("/slack"), team=team)
    change = make_change()
    slot = RequiredApproval.objects.get(change=change)
    slack_post(click("approve", slot.pk, user="U0REQ00001", response_url=response_receiver.url("/respond")))
    change.refresh_from_db()
    assert change.status == ChangeStatus.SUBMITTED and not Approval.objects.exists()
    [answer] = response_receiver.bodies("/respond")
    assert answer["response_type"] == "ephemeral" and "your own change" in answer["text"]
    assert SlackAction.objects.get().outcome == "refused"


def test_a_member_who_is_not_a_lead_is_refused(
    team, make_change, channel_for, chat_receiver, response_receiver, slack_post
):
    member = UserFactory(username="member")
    MembershipFactory(team=team, user=member)
    services.link_slack_user(actor=member, slack_user_id="U0MEMBER01", via="ui")
    channel_for(chat_receiver.url("/slack"), team=team)
    change = make_change()
    slot = RequiredApproval.objects.get(change=change)
    slack_post(click("approve", slot.pk, user="U0MEMBER01", response_url=response_receiver.url("/respond")))
    assert not Approval.objects.exists()
    assert "not in a group" in response_receiver.bodies("/respond")[0]["text"]


def test_unknown_slack_user_is_told_to_link_their_account(
    team, lead, make_change, channel_for, chat_receiver, response_receiver, slack_post
):
    channel_for(chat_receiver.url("/slack"), team=team)
    change = make_change()
    slot = RequiredApproval.objects.get(change=change)
    slack_post(click("approve", slot.pk, user="U0NOBODY01", response_url=response_receiver.url("/respond")))
    assert not Approval.objects.exists()
    [answer] = response_receiver.bodies("/respond")
    assert answer["response_type"] == "ephemeral" and "not linked" in answer["text"]


def test_bad_signature_and_stale_timestamp_are_refused(
    team, linked_lead, make_change, channel_for, chat_receiver, response_receiver, slack_post
):
    channel_for(chat_receiver.url("/slack"), team=team)
    change = make_change()
    slot = RequiredApproval.objects.get(change=change)
    payload = click("approve", slot.pk, user=LEAD_SLACK, response_url=response_receiver.url("/respond"))

    forged = slack_post(payload, headers=sign(b"something else"))
    assert forged.status_code == 401 and "signature" in forged.json()["error"]
    wrong_secret = slack_post(payload, headers=sign(b"x", secret="not-the-secret"))
    assert wrong_secret.status_code == 401
    stale = slack_post(payload, timestamp=int(time.time()) - 6 * 60)  # validly signed, but six minutes old: a replay
    assert stale.status_code == 401 and "five minutes" in stale.json()["error"]
    unsigned = slack_post(payload, headers={})
    assert unsigned.status_code == 401

    assert not Approval.objects.exists() and response_receiver.requests == [] and not SlackAction.objects.exists()
    assert slack_post(payload).status_code == 200  # the same payload, properly signed now
    assert Approval.objects.count() == 1


def test_interactivity_is_off_without_a_signing_secret(settings, slack_post):
    settings.SLACK_SIGNING_SECRET = ""
    response = slack_post({"type": "block_actions"})
    assert response.status_code == 401 and "not configured" in response.json()["error"]


def test_reject_opens_a_modal_and_its_submission_rejects(
    team, linked_lead, make_change, channel_for, chat_receiver, response_receiver, slack_api, slack_post
):
    channel_for(chat_receiver.url("/slack"), team=team)
    change = make_change()
    slot = RequiredApproval.objects.get(change=change)
    response_url = response_receiver.url("/respond")
    assert slack_post(click("reject", slot.pk, user=LEAD_SLACK, response_url=response_url)).status_code == 200

    [opened] = slack_api.requests
    assert opened["path"] == "/api/views.open"
    assert opened["headers"]["Authorization"] == "Bearer xoxb-test-token"
    view = opened["json"]["view"]
    assert opened["json"]["trigger_id"] and view["callback_id"] == "reject_change"
    change.refresh_from_db()
    assert change.status == ChangeStatus.SUBMITTED  # nothing decided until the note comes

    submission = {
        "type": "view_submission",
        "user": {"id": LEAD_SLACK},
        "view": {
            "callback_id": view["callback_id"],
            "private_metadata": view["private_metadata"],
            "state": {"values": {"note": {"note": {"type": "plain_text_input", "value": ""}}}},
        },
    }
    empty = slack_post(submission)
    assert empty.json()["response_action"] == "errors" and "note" in empty.json()["errors"]
    submission["view"]["state"]["values"]["note"]["note"]["value"] = "The backout plan skips the database."
    assert slack_post(submission).status_code == 200

    change.refresh_from_db()
    assert change.status == ChangeStatus.REJECTED
    approval = Approval.objects.get(change=change)
    assert approval.decision == Decision.REJECTED and approval.comment == "The backout plan skips the database."
    assert ChangeActivity.objects.filter(change=change, acting_as="via Slack", actor=linked_lead).exists()
    [update] = response_receiver.bodies("/respond")
    assert update["replace_original"] is True and "Rejected by lead via Slack" in json.dumps(update)


def test_reject_without_a_bot_token_says_to_use_the_portal(
    settings, team, linked_lead, make_change, channel_for, chat_receiver, response_receiver, slack_post
):
    settings.SLACK_BOT_TOKEN = ""
    channel_for(chat_receiver.url("/slack"), team=team)
    change = make_change()
    slot = RequiredApproval.objects.get(change=change)
    slack_post(click("reject", slot.pk, user=LEAD_SLACK, response_url=response_receiver.url("/respond")))
    [answer] = response_receiver.bodies("/respond")
    assert "SLACK_BOT_TOKEN" in answer["text"] and f"/changes/{change.pk}/" in answer["text"]
    assert not Approval.objects.exists()


def test_a_resubmitted_change_makes_old_buttons_stale(
    team, linked_lead, make_change, channel_for, chat_receiver, response_receiver, slack_post
):
    channel_for(chat_receiver.url("/slack"), team=team)
    change = make_change()
    slot_id = RequiredApproval.objects.get(change=change).pk
    RequiredApproval.objects.filter(pk=slot_id).delete()  # what a new round does (apps.approvals.rounds.open_round)
    slack_post(click("approve", slot_id, user=LEAD_SLACK, response_url=response_receiver.url("/respond")))
    assert "out of date" in response_receiver.bodies("/respond")[0]["text"]


def test_the_approval_message_is_a_delivery_with_its_attempt_logged(team, make_change, channel_for, chat_receiver):
    channel = channel_for(chat_receiver.url("/slack"), team=team, topics=[ChatTopic.APPROVAL_REQUESTED])
    make_change()
    delivery = ChatDelivery.objects.get(channel=channel)
    assert delivery.status == DeliveryStatus.SENT and delivery.attempt_log.get().response_code == 200


@pytest.mark.parametrize(
    "payload",
    [
        {"type": "block_actions", "actions": "x", "user": []},
        {"type": "block_actions", "actions": [{"action_id": "approve", "value": "nope"}], "user": {}},
        {"type": "block_actions", "actions": [{"action_id": "approve", "value": "nope"}], "user": {"id": LEAD_SLACK}},
        {"type": "view_submission", "view": {"callback_id": "reject_change", "private_metadata": "[1]", "state": 3}},
        {"type": "view_submission", "view": "x"},
        ["not", "an", "object"],
    ],
)
def test_malformed_payloads_get_an_answer_not_a_500(linked_lead, payload, slack_post):
    response = slack_post(payload)
    assert response.status_code in (200, 400)
    assert not Approval.objects.exists()


def test_a_body_without_a_payload_field_is_a_400(client):
    body = b"nothing=here"
    response = client.generic(
        "POST",
        "/integrations/slack/interactivity",
        body,
        content_type="application/x-www-form-urlencoded",
        headers=sign(body),
    )
    assert response.status_code == 400 and "payload" in response.json()["error"]
