"""Each platform gets its native format, and text people typed arrives inert: no pings, mentions, markup or links."""

import json

import pytest

from apps.chat.choices import ChatTopic
from apps.chat.formats import (
    WORD_JOINER,
    Button,
    Item,
    Message,
    markdown_text,
    slack_text,
    to_mattermost,
    to_slack,
    to_teams,
)
from apps.chat.models import ChatDelivery

pytestmark = pytest.mark.django_db

EVIL = "<!channel> @here *bold* [x](http://evil) <@U123> <http://x|y> & _it_ @all"


def _message(**fields) -> Message:
    return Message(
        headline="Approval needed",
        reference="CHG-7",
        url="https://portal.example.com/changes/7/",
        title=EVIL,
        facts=[("Requested by", "@channel"), ("Window", "10:00 – 11:00 UTC")],
        note=EVIL,
        items=[Item(text=EVIL, url="https://portal.example.com/changes/8/", label="CHG-8", detail="*score*")],
        items_heading="Top suspects",
        **fields,
    )


def _user_texts_slack(body: dict) -> list[tuple[str, str]]:
    """Every (type, text) of the message's text objects."""
    found = []

    def walk(node):
        if isinstance(node, dict):
            if node.get("type") in ("plain_text", "mrkdwn") and "text" in node:
                found.append((node["type"], node["text"]))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(body)
    return found


def test_slack_user_text_is_plain_escaped_and_cannot_ping():
    body = to_slack(_message(buttons=[Button("approve", "Approve", "3", "primary"), Button("reject", "Reject…", "3")]))
    texts = _user_texts_slack(body)
    raw = json.dumps(body)
    assert "<!channel>" not in raw and "<@U123>" not in raw and "<http://x|y>" not in raw
    for kind, text in texts:
        if "bold" in text or "channel" in text:
            assert kind == "plain_text", f"user text must never be mrkdwn: {text!r}"
    assert ("plain_text", slack_text(EVIL)) in texts
    assert "&lt;!channel&gt;" in slack_text(EVIL) and f"@{WORD_JOINER}here" in slack_text(EVIL)
    assert "@here" not in slack_text(EVIL) and "@all" not in slack_text(EVIL)
    assert "&amp;" in slack_text(EVIL)
    # Our own parts are mrkdwn: the headline and the link back to the portal.
    assert ("mrkdwn", "*Approval needed* · <https://portal.example.com/changes/7/|CHG-7>") in texts
    [actions] = [block for block in body["blocks"] if block["type"] == "actions"]
    assert [(e["action_id"], e["value"], e.get("style")) for e in actions["elements"]] == [
        ("approve", "3", "primary"),
        ("reject", "3", None),
    ]


def test_mattermost_markdown_is_escaped_and_mentions_broken():
    body = to_mattermost(_message())
    [attachment] = body["attachments"]
    raw = json.dumps(attachment, ensure_ascii=False)
    for inert in ("*bold*", "[x](http://evil)", "@here", "@channel", "@all", "_it_"):
        assert inert not in raw, inert
    assert r"\*bold\*" in attachment["title"] and r"\[x\]\(http://evil\)" in attachment["title"].replace("\\:", ":")
    assert attachment["title_link"] == "https://portal.example.com/changes/7/"
    assert attachment["pretext"].endswith("[CHG-7](https://portal.example.com/changes/7/)")
    assert {"short": True, "title": "Requested by", "value": f"@{WORD_JOINER}channel"} in attachment["fields"]
    assert "[CHG-8](https://portal.example.com/changes/8/)" in attachment["text"]  # our link stays a link


def test_teams_gets_an_adaptive_card_with_escaped_text():
    body = to_teams(_message())
    assert body["type"] == "message"
    [attachment] = body["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = attachment["content"]
    assert card["type"] == "AdaptiveCard" and card["version"]
    assert card["actions"] == [
        {"type": "Action.OpenUrl", "title": "Open CHG-7", "url": "https://portal.example.com/changes/7/"}
    ]
    texts = [block["text"] for block in card["body"] if block["type"] == "TextBlock"]
    assert markdown_text(EVIL) in texts
    raw = json.dumps(card, ensure_ascii=False)
    assert "*bold*" not in raw and "[x](http://evil)" not in raw and "<!channel>" not in raw


def test_markdown_escape_round_trip_keeps_the_words():
    escaped = markdown_text("Deploy *v2* to [prod](x)")
    assert escaped.replace("\\", "") == "Deploy *v2* to [prod](x)"


@pytest.mark.parametrize("kind", ["teams", "mattermost", "slack"])
def test_each_platform_receives_its_format_from_a_real_submission(
    kind, team, lead, make_change, channel_for, chat_receiver
):
    channel = channel_for(chat_receiver.url(f"/{kind}"), kind=kind, team=team, topics=[ChatTopic.APPROVAL_REQUESTED])
    change = make_change(title="Fix <!channel> @here *now* [x](http://evil)")
    [body] = chat_receiver.bodies(f"/{kind}")
    raw = json.dumps(body, ensure_ascii=False)
    assert "<!channel>" not in raw and "@here" not in raw
    if kind == "slack":
        # Slack has no escape for *bold*: the title is only ever in plain_text objects, where nothing is parsed.
        assert all(kind == "plain_text" for kind, text in _user_texts_slack(body) if "*now*" in text)
    else:
        assert "*now*" not in raw and "[x](http://evil)" not in raw
    assert f"https://portal.example.com/changes/{change.pk}/" in raw
    if kind == "teams":
        assert body["attachments"][0]["contentType"] == "application/vnd.microsoft.card.adaptive"
    elif kind == "mattermost":
        assert body["attachments"][0]["title_link"] == f"https://portal.example.com/changes/{change.pk}/"
    else:
        assert {block["type"] for block in body["blocks"]} >= {"section", "header", "actions"}
    assert ChatDelivery.objects.get(channel=channel).status == "sent"
