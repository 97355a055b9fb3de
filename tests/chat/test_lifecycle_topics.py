"""The change topics a channel can choose, each from the real lifecycle: decided, withdrawn by an edit, freeze
exception, started, failed; a channel hears only what it subscribed to, and only its team's changes."""

import json
from datetime import timedelta

import pytest

from apps.approvals import services as approval_services
from apps.changes import services as change_services
from apps.changes.choices import ChangeStatus
from apps.chat.choices import ChatTopic
from tests.factories import FreezeWindowFactory, TeamFactory, environment

pytestmark = pytest.mark.django_db


def _headlines(receiver, path):
    return [json.loads(json.dumps(body))["text"].split(":")[0] for body in receiver.bodies(path)]


def test_each_topic_from_the_lifecycle(
    staff, team, lead, requester, make_change, channel_for, chat_receiver, django_capture_on_commit_callbacks
):
    channel_for(chat_receiver.url("/all"), team=team, topics=list(ChatTopic.values))
    channel_for(chat_receiver.url("/failures"), team=team, topics=[ChatTopic.FAILED, ChatTopic.BACKED_OUT])
    other = TeamFactory(name="Other")
    channel_for(chat_receiver.url("/other"), team=other, topics=list(ChatTopic.values), actor=staff)
    change = make_change()
    with django_capture_on_commit_callbacks(execute=True):
        approval_services.decide(change=change, actor=lead, decision="approved")
    with django_capture_on_commit_callbacks(execute=True):
        change.refresh_from_db()
        change, _diff = change_services.update_change(
            change=change, actor=requester, fields={"planned_end": change.planned_end + timedelta(minutes=30)}
        )
    assert change.status == ChangeStatus.SUBMITTED  # the material edit withdrew the approval
    with django_capture_on_commit_callbacks(execute=True):
        approval_services.decide(change=change, actor=lead, decision="approved")
    with django_capture_on_commit_callbacks(execute=True):
        change = change_services.transition_change(change=change, target=ChangeStatus.IN_PROGRESS, actor=requester)
        change = change_services.transition_change(
            change=change, target=ChangeStatus.FAILED, actor=requester, note="Migration timed out *again*"
        )

    assert _headlines(chat_receiver, "/all") == [
        "Approval needed",
        "Change approved",
        "Approval withdrawn by an edit",
        "Change approved",
        "Change started",
        "Change failed",
    ]
    assert _headlines(chat_receiver, "/failures") == ["Change failed"]
    assert chat_receiver.bodies("/other") == []  # another team's channel hears nothing of this change
    withdrawn = chat_receiver.bodies("/all")[2]
    assert any(block["type"] == "actions" for block in withdrawn["blocks"])  # decide again from the message
    failed = json.dumps(chat_receiver.bodies("/all")[-1])
    assert "Migration timed out *again*" in failed  # the note, in a plain_text object


def test_freeze_exception_requests_are_their_own_topic(team, make_change, channel_for, chat_receiver):
    channel_for(chat_receiver.url("/freeze"), kind="mattermost", team=team, topics=[ChatTopic.FREEZE_EXCEPTION])
    frozen = FreezeWindowFactory(name="Black Friday")
    frozen.environments.add(environment("prod"))
    make_change(title="Ordinary")  # outside the freeze: not posted
    change = make_change(
        title="Urgent fix", start=frozen.start + timedelta(hours=1), freeze_justification="Card payments fail"
    )
    assert change.needs_freeze_exception
    [body] = chat_receiver.bodies("/freeze")
    attachment = body["attachments"][0]
    assert attachment["pretext"].startswith("**Freeze exception requested**")
    assert {"short": True, "title": "Freeze exception", "value": "Card payments fail"} in attachment["fields"]
