"""Slack's side of approve/reject: request signatures, the interactivity payloads, views.open and response_url.

Slack signs each request: ``X-Slack-Signature: v0=<hex HMAC-SHA256(signing secret, "v0:<timestamp>:<raw body>")>``
with ``X-Slack-Request-Timestamp``; a request older than five minutes is refused as a replay. Decisions are made
by apps.chat.services.decide_from_slack (the portal's approval service); this module only speaks Slack.
"""

import hashlib
import hmac
import json
import time
from dataclasses import dataclass

from django.conf import settings

from apps.chat.formats import slack_text
from apps.webhooks import sender

MAX_AGE_SECONDS = 5 * 60
REJECT_CALLBACK = "reject_change"
NOTE_BLOCK = "note"


def signature(secret: str, timestamp: str, body: bytes) -> str:
    base = b"v0:" + timestamp.encode() + b":" + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def verify(*, body: bytes, timestamp: str | None, given: str | None, now: float | None = None) -> str:
    """'' when the request is Slack's, else why not (the 401's body)."""
    secret = settings.SLACK_SIGNING_SECRET
    if not secret:
        return "Slack interactivity is not configured (SLACK_SIGNING_SECRET)."
    if not timestamp or not given:
        return "Missing X-Slack-Request-Timestamp or X-Slack-Signature."
    try:
        age = abs((time.time() if now is None else now) - int(timestamp))
    except ValueError:
        return "X-Slack-Request-Timestamp is not a Unix time."
    if age > MAX_AGE_SECONDS:
        return "The request is older than five minutes (a replay?)."
    if not hmac.compare_digest(signature(secret, timestamp, body), given):
        return "The signature does not match."
    return ""


@dataclass
class ApiResult:
    ok: bool
    error: str = ""


def api_call(method: str, payload: dict) -> ApiResult:
    """One Slack Web API call (views.open) with the bot token, at SLACK_API_URL (a local fake in tests)."""
    token = settings.SLACK_BOT_TOKEN
    if not token:
        return ApiResult(ok=False, error="no SLACK_BOT_TOKEN is configured")
    result = sender.post(
        f"{settings.SLACK_API_URL.rstrip('/')}/{method}",
        json.dumps(payload).encode(),
        {"Content-Type": "application/json; charset=utf-8", "Authorization": f"Bearer {token}"},
        connect_timeout=settings.WEBHOOK_CONNECT_TIMEOUT,
        read_timeout=settings.WEBHOOK_READ_TIMEOUT,
    )
    if not result.ok:
        return ApiResult(ok=False, error=result.error or f"HTTP {result.status}")
    try:
        answer = json.loads(result.excerpt)
    except ValueError:
        return ApiResult(ok=False, error="Slack answered something that is not JSON")
    return ApiResult(ok=bool(answer.get("ok")), error=str(answer.get("error") or ""))


def reject_modal(*, slot_id: int, reference: str, title: str, response_url: str) -> dict:
    return {
        "type": "modal",
        "callback_id": REJECT_CALLBACK,
        "private_metadata": json.dumps({"slot": slot_id, "response_url": response_url}),
        "title": {"type": "plain_text", "text": f"Reject {reference}"[:24]},
        "submit": {"type": "plain_text", "text": "Reject"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [
            {"type": "section", "text": {"type": "plain_text", "text": slack_text(title)[:3000] or reference}},
            {
                "type": "input",
                "block_id": NOTE_BLOCK,
                "label": {"type": "plain_text", "text": "Why? The requester reads this."},
                "element": {"type": "plain_text_input", "action_id": NOTE_BLOCK, "multiline": True, "min_length": 1},
            },
        ],
    }


def submitted_note(payload: dict) -> str:
    node = payload
    for key in ("view", "state", "values", NOTE_BLOCK, NOTE_BLOCK):
        node = node.get(key) if isinstance(node, dict) else None
    return str(node.get("value") or "") if isinstance(node, dict) else ""


def ephemeral(text: str) -> dict:
    return {"response_type": "ephemeral", "replace_original": False, "text": text}


def post_response(response_url: str, body: dict) -> int | None:
    """POST to a message's response_url (checked like any outbound URL); the HTTP status, None if unreachable."""
    result = sender.post(
        response_url,
        json.dumps(body).encode(),
        {"Content-Type": "application/json"},
        connect_timeout=settings.WEBHOOK_CONNECT_TIMEOUT,
        read_timeout=settings.WEBHOOK_READ_TIMEOUT,
    )
    return result.status
