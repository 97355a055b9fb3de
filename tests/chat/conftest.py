"""Chat tests: real HTTP servers on 127.0.0.1 stand in for Slack/Teams/Mattermost webhooks, Slack's Web API
(views.open) and a message's response_url; Slack's interactivity requests are signed here as Slack signs them."""

import hashlib
import hmac
import json
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlencode

import pytest
from django.utils import timezone

from apps.changes import services as change_services
from apps.chat import services
from apps.chat.choices import ChatTopic
from apps.chat.models import ChatChannel
from tests.factories import HostFactory, environment

SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
INTERACTIVITY = "/integrations/slack/interactivity"


class Receiver:
    """Records each POST (path, headers, parsed JSON) and answers the queued (status, headers, body) in turn."""

    def __init__(self, default_body: bytes = b"ok"):
        self.requests: list[dict] = []
        self.answers: list[tuple[int, dict, bytes]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                raw = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append({"path": self.path, "headers": dict(self.headers), "json": json.loads(raw)})
                status, headers, body = receiver.answers.pop(0) if receiver.answers else (200, {}, default_body)
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def url(self, path: str = "/hook") -> str:
        return self.base + path

    def bodies(self, path: str | None = None) -> list[dict]:
        return [request["json"] for request in self.requests if path is None or request["path"] == path]


def _running(receiver):
    receiver.thread.start()
    try:
        yield receiver
    finally:
        receiver.server.shutdown()
        receiver.server.server_close()


@pytest.fixture
def chat_receiver():
    yield from _running(Receiver())


@pytest.fixture
def slack_api(settings):
    """A fake Slack Web API: views.open answers ok and records the view it was asked to open."""
    fake = Receiver(default_body=b'{"ok": true}')
    settings.SLACK_API_URL = fake.base + "/api"
    yield from _running(fake)


@pytest.fixture
def response_receiver():
    """Stands in for the response_url Slack puts in each interactivity payload."""
    yield from _running(Receiver())


@pytest.fixture(autouse=True)
def chat_settings(settings, eager_tasks):
    settings.OUTBOUND_ALLOW_PRIVATE = True  # the receivers listen on 127.0.0.1
    settings.SLACK_SIGNING_SECRET = SIGNING_SECRET
    settings.SLACK_BOT_TOKEN = "xoxb-test-token"
    settings.SITE_URL = "https://portal.example.com"


@pytest.fixture
def staff(db):
    from tests.factories import UserFactory

    return UserFactory(username="staffer", is_staff=True)


@pytest.fixture
def channel_for(lead, staff):
    """A channel saved through the service (URL encrypted), by the team's lead or, portal-wide, by staff."""

    def _channel(url, *, kind="slack", team=None, topics=None, actor=None, **fields):
        channel = ChatChannel(
            name=f"{kind} channel", kind=kind, team=team, topics=topics or list(ChatTopic.values), **fields
        )
        actor = actor or (lead if team is not None else staff)
        return services.save_channel(actor=actor, channel=channel, url=url, via="ui")

    return _channel


@pytest.fixture
def make_change(requester, team, django_capture_on_commit_callbacks):
    """A prod change by ``requester`` (two hours from now), optionally submitted, with the on-commit work run."""

    def _make(*, submit=True, title="Deploy billing 2.4.0", hosts=None, start=None, **fields):
        start = start or timezone.now() + timedelta(hours=2)
        values = {
            "title": title,
            "environment": environment("prod"),
            "team": team,
            "planned_start": start,
            "planned_end": start + timedelta(hours=1),
            "backout_plan": "Redeploy 2.3.9.",
        } | fields
        with django_capture_on_commit_callbacks(execute=True):
            change = change_services.create_change(actor=requester, hosts=hosts or [HostFactory()], **values)
            if submit:
                change = change_services.submit_change(change=change, actor=requester)
        return change

    return _make


def sign(body: bytes, *, timestamp: int | None = None, secret: str = SIGNING_SECRET) -> dict:
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(secret.encode(), f"v0:{stamp}:".encode() + body, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": f"v0={digest}"}


@pytest.fixture
def slack_post(client, django_capture_on_commit_callbacks):
    """POST an interactivity payload as Slack does: form-encoded ``payload=<json>``, signed (or not)."""

    def _post(payload: dict, *, headers: dict | None = None, timestamp: int | None = None):
        body = urlencode({"payload": json.dumps(payload)}).encode()
        with django_capture_on_commit_callbacks(execute=True):
            return client.generic(
                "POST",
                INTERACTIVITY,
                body,
                content_type="application/x-www-form-urlencoded",
                headers=headers if headers is not None else sign(body, timestamp=timestamp),
            )

    return _post


def click(action_id: str, slot_id, *, user: str, response_url: str) -> dict:
    return {
        "type": "block_actions",
        "user": {"id": user, "username": "someone"},
        "team": {"id": "T0001"},
        "trigger_id": "13345224609.738474920.8088930838d88f008e0",
        "response_url": response_url,
        "actions": [
            {"type": "button", "action_id": action_id, "block_id": f"approval:{slot_id}", "value": str(slot_id)}
        ],
    }
