"""One message, three native formats: Slack Block Kit, a Microsoft Teams Adaptive Card, Mattermost attachments.

Text a person typed (a change title, a note, a host name) is escaped for the platform so it cannot ping a channel,
mention someone or inject formatting or links:

- Slack: user text only goes into ``plain_text`` objects (no mrkdwn is parsed there), with ``&``, ``<`` and ``>``
  escaped as Slack asks (so ``<!channel>``, ``<@U123>`` and ``<http://x|y>`` are shown, not parsed) and the
  ``@here``/``@channel``/``@everyone`` words broken with a word joiner. Only our own text (references, labels,
  portal links) is mrkdwn.
- Mattermost (markdown): every markdown punctuation character is backslash-escaped and the ``@channel``,
  ``@here`` and ``@all`` mentions are broken with a word joiner.
- Teams (the TextBlock markdown subset): the same backslash escaping; Teams mentions need explicit entities, which
  we never send.
"""

import re
from dataclasses import dataclass, field

WORD_JOINER = "\u2060"
MENTIONS = re.compile(r"@(here|channel|everyone|all)\b", re.IGNORECASE)
MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~=:])")
COLORS = {"green": "#2e7d32", "red": "#c62828", "orange": "#ef6c00", "blue": "#1565c0", "gray": "#616161"}
TEAMS_CARD_TYPE = "application/vnd.microsoft.card.adaptive"
TEAMS_COLORS = {"green": "Good", "red": "Attention", "orange": "Warning", "blue": "Accent", "gray": "Default"}


@dataclass
class Item:
    """A line of a list (a suspect, a digest row): user text, our link, our detail."""

    text: str
    url: str = ""
    label: str = ""  # e.g. the reference, shown as the link
    detail: str = ""  # e.g. "10:00–11:00 UTC, payments"


@dataclass
class Button:
    action_id: str  # "approve" / "reject"
    text: str
    value: str  # the approval slot (RequiredApproval) id
    style: str = ""  # "primary" / "danger"


@dataclass
class Message:
    headline: str  # ours: "Approval needed", "Change failed"
    reference: str  # ours: "CHG-12"
    url: str  # absolute, SITE_URL
    title: str = ""  # user text
    facts: list[tuple[str, str]] = field(default_factory=list)  # (our label, user value)
    note: str = ""  # user text: a rejection's comment, a transition note
    items: list[Item] = field(default_factory=list)
    items_heading: str = ""
    color: str = "blue"
    buttons: list[Button] = field(default_factory=list)
    outcome: str = ""  # ours + usernames: "Approved by alice via Slack"


def slack_text(value: str) -> str:
    value = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return MENTIONS.sub(lambda match: f"@{WORD_JOINER}{match.group(1)}", value)


def markdown_text(value: str) -> str:
    escaped = MARKDOWN_SPECIAL.sub(r"\\\1", value)
    return MENTIONS.sub(lambda match: f"@{WORD_JOINER}{match.group(1)}", escaped).replace("\n", "  \n")


def _plain(value: str, limit: int = 3000) -> dict:
    return {"type": "plain_text", "text": slack_text(value)[:limit] or " ", "emoji": False}


def to_slack(message: Message) -> dict:
    link = f"<{message.url}|{message.reference}>"
    blocks: list[dict] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": f"*{message.headline}* · {link}"}},
    ]
    if message.title:
        blocks.append({"type": "header", "text": _plain(message.title, 150)})
    if message.facts:
        fields = [_plain(f"{label}: {value}", 2000) for label, value in message.facts[:10]]
        blocks.append({"type": "section", "fields": fields})
    if message.note:
        blocks.append({"type": "section", "text": _plain(message.note)})
    if message.items:
        if message.items_heading:
            blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": f"*{message.items_heading}*"}})
        for item in message.items[:20]:
            elements: list[dict] = []
            if item.url:
                elements.append({"type": "mrkdwn", "text": f"<{item.url}|{item.label or 'open'}>"})
            elements.append(_plain(" — ".join(part for part in (item.text, item.detail) if part), 2000))
            blocks.append({"type": "context", "elements": elements})
    if message.buttons:
        blocks.append(
            {
                "type": "actions",
                "block_id": f"approval:{message.buttons[0].value}",
                "elements": [
                    {
                        "type": "button",
                        "action_id": button.action_id,
                        "text": {"type": "plain_text", "text": button.text[:75]},
                        "value": button.value,
                        **({"style": button.style} if button.style else {}),
                    }
                    for button in message.buttons
                ],
            }
        )
    if message.outcome:
        blocks.append({"type": "context", "elements": [_plain(message.outcome)]})
    return {"text": f"{message.headline}: {message.reference}", "blocks": blocks}


def to_teams(message: Message) -> dict:
    body: list[dict] = [
        {
            "type": "TextBlock",
            "text": f"**{markdown_text(message.headline)}** · [{message.reference}]({message.url})",
            "wrap": True,
            "color": TEAMS_COLORS.get(message.color, "Default"),
        }
    ]
    if message.title:
        body.append({"type": "TextBlock", "text": markdown_text(message.title), "size": "Large", "wrap": True})
    if message.facts:
        facts = [{"title": label, "value": markdown_text(value)} for label, value in message.facts]
        body.append({"type": "FactSet", "facts": facts})
    if message.note:
        body.append({"type": "TextBlock", "text": markdown_text(message.note), "wrap": True})
    if message.items_heading and message.items:
        body.append({"type": "TextBlock", "text": f"**{message.items_heading}**", "wrap": True})
    for item in message.items[:20]:
        link = f"[{item.label or 'open'}]({item.url}) " if item.url else ""
        text = " — ".join(markdown_text(part) for part in (item.text, item.detail) if part)
        body.append({"type": "TextBlock", "text": f"- {link}{text}", "wrap": True, "spacing": "None"})
    if message.outcome:
        body.append({"type": "TextBlock", "text": markdown_text(message.outcome), "wrap": True, "isSubtle": True})
    card = {
        "type": "AdaptiveCard",
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "version": "1.4",
        "body": body,
        "actions": [{"type": "Action.OpenUrl", "title": f"Open {message.reference}", "url": message.url}],
    }
    return {
        "type": "message",
        "attachments": [
            {"contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": None, "content": card}
        ],
    }


def to_mattermost(message: Message) -> dict:
    text_parts = []
    if message.note:
        text_parts.append(markdown_text(message.note))
    if message.items:
        if message.items_heading:
            text_parts.append(f"**{message.items_heading}**")
        for item in message.items[:20]:
            link = f"[{item.label or 'open'}]({item.url}) " if item.url else ""
            text = " — ".join(markdown_text(part) for part in (item.text, item.detail) if part)
            text_parts.append(f"- {link}{text}")
    if message.outcome:
        text_parts.append(f"_{markdown_text(message.outcome)}_")
    attachment = {
        "fallback": f"{message.headline}: {message.reference}",
        "color": COLORS.get(message.color, COLORS["gray"]),
        "pretext": f"**{markdown_text(message.headline)}** · [{message.reference}]({message.url})",
        "title": markdown_text(message.title or message.reference),
        "title_link": message.url,
        "text": "\n".join(text_parts),
        "fields": [{"short": True, "title": label, "value": markdown_text(value)} for label, value in message.facts],
    }
    return {"attachments": [attachment]}


RENDERERS = {"slack": to_slack, "teams": to_teams, "mattermost": to_mattermost}


def render(kind: str, message: Message) -> dict:
    return RENDERERS[kind](message)
