"""Through the real stack (PostgreSQL, Redis, a Celery worker and gunicorn as child processes): a submitted change
reaches a team's Slack channel from the worker, a lead's signed click on gunicorn approves it, and the in-place
update of the message is posted by the worker (a broker exists, so never inside the web request)."""

import json
import os
from datetime import timedelta
from urllib.parse import urlencode

import pytest
from django.utils import timezone

from apps.approvals.models import RequiredApproval
from apps.changes import services as change_services
from apps.changes.choices import ChangeStatus
from apps.changes.models import Change, ChangeActivity
from apps.chat import services
from apps.chat.choices import ChatTopic
from apps.chat.models import ChatChannel
from loadtest.stack import gunicorn, wait_until, worker
from tests.chat.conftest import SIGNING_SECRET, click, sign
from tests.factories import HostFactory, environment
from tests.faults.conftest import (  # noqa: F401 - fixtures
    child_env,
    clean_broker,
    fault_team,
    logs,
    receiver,
    require_postgres,
    test_database_url,
)
from tests.faults.web import Web


@pytest.fixture
def chat_settings(settings):
    """Replaces the package's autouse fixture: no eager tasks here, the worker runs them. The children read
    tests.faults.fast_settings, which allows the loopback receivers too."""
    settings.OUTBOUND_ALLOW_PRIVATE = True


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_slack_approval_through_the_worker_and_gunicorn(fault_team, child_env, logs, receiver, clean_broker):  # noqa: F811
    require_postgres()
    team, requester, lead = fault_team
    services.link_slack_user(actor=lead, slack_user_id="U0BOSS0001", via="ui")
    channel = ChatChannel(name="payments", kind="slack", team=team, topics=[ChatTopic.APPROVAL_REQUESTED])
    services.save_channel(actor=lead, channel=channel, url=receiver.url("/slack"), via="ui")
    env = child_env(os.environ["REDIS_URL"], SLACK_SIGNING_SECRET=SIGNING_SECRET, SITE_URL="https://portal.example.com")

    with worker(env, log=logs / "worker.log"), gunicorn(env, log=logs / "gunicorn.log") as port:
        start = timezone.now() + timedelta(hours=3)
        change = change_services.create_change(
            actor=requester,
            hosts=[HostFactory(hostname="pay01.prod")],
            title="Rotate the payment keys",
            environment=environment("prod"),
            team=team,
            planned_start=start,
            planned_end=start + timedelta(hours=1),
            backout_plan="Restore the old keys.",
            submit=True,
        )
        wait_until(lambda: receiver.received("/slack"), timeout=60, what="the approval message at the Slack hook")
        message = json.loads(receiver.received("/slack")[0].body)
        [actions] = [block for block in message["blocks"] if block["type"] == "actions"]
        slot = RequiredApproval.objects.get(change=change)
        assert actions["elements"][0]["value"] == str(slot.pk)

        body = urlencode(
            {"payload": json.dumps(click("approve", slot.pk, user="U0BOSS0001", response_url=receiver.url("/respond")))}
        ).encode()
        headers = sign(body) | {"Content-Type": "application/x-www-form-urlencoded"}
        status, answer = Web(port).request("POST", "/integrations/slack/interactivity", data=body, headers=headers)
        assert status == 200, answer
        forged = sign(b"not the body") | {"Content-Type": "application/x-www-form-urlencoded"}
        status, _ = Web(port).request("POST", "/integrations/slack/interactivity", data=body, headers=forged)
        assert status == 401

        wait_until(lambda: receiver.received("/respond"), timeout=60, what="the in-place update via response_url")

    assert Change.objects.get(pk=change.pk).status == ChangeStatus.APPROVED
    assert ChangeActivity.objects.filter(change=change, actor=lead, acting_as="via Slack").exists()
    update = json.loads(receiver.received("/respond")[0].body)
    assert update["replace_original"] is True and "Approved by boss via Slack" in json.dumps(update)
