"""The bridge's poll: nothing new costs the session row and the marker (the user row is cached), no ranking;
anything new on the bridge (a note, a mark, a change, a host state, the status) is on the next poll."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from apps.changes.choices import HostExecutionState
from apps.changes.services import set_host_states
from apps.incidents import services
from apps.incidents.choices import Severity, Verdict
from apps.incidents.live_marker import live_marker
from tests.incidents.builders import change, host, service

HTMX = {"HTTP_HX_REQUEST": "true"}
pytestmark = pytest.mark.django_db


@pytest.fixture
def web01():
    return host("web01", services=[service("web")])


@pytest.fixture
def incident(web01, requester):
    return services.open_incident(
        actor=requester,
        title="Errors",
        severity=Severity.SEV2,
        started_at=timezone.now() - timedelta(hours=1),
        hosts=[web01],
    )


@pytest.fixture
def release(web01, team, requester):
    return change(
        title="Release 2.4",
        at=timezone.now() - timedelta(hours=1),
        ended_before=timedelta(hours=2),
        hosts={web01: HostExecutionState.PENDING},
        team=team,
        requester=requester,
    )


class Poller:
    """A participant's page: polls with the digest and marker of what it last swapped in, like htmx does."""

    def __init__(self, client, incident):
        self.client, self.url = client, reverse("incidents:incident_live", args=[incident.pk])
        self.params: dict[str, str] = {}

    def poll(self):
        response = self.client.get(self.url, self.params, **HTMX)
        if response.status_code == 200:
            found = re.search(r"\?v=([0-9a-f]+)&amp;m=([0-9a-f]*)", response.content.decode())
            self.params = {"v": found.group(1), "m": found.group(2)}
        return response


@pytest.fixture
def poller(login, outsider, incident, release):
    page = Poller(login(outsider), incident)
    assert page.poll().status_code == 200
    return page


def test_a_poll_with_nothing_new_is_204_after_the_session_and_one_query(poller):
    poller.poll()  # the user's row and time zone are cached from here on
    with CaptureQueriesContext(connection) as captured:
        response = poller.poll()
    assert response.status_code == 204
    sql = [query["sql"] for query in captured.captured_queries]
    assert len(sql) == 2, sql
    assert "django_session" in sql[0]  # the user row comes from the cache (apps/accounts/user_cache.py)
    assert "incidents_incident" in sql[1]  # the marker: one statement
    assert not any("changes_changehost" in statement for statement in sql), "no ranking"


def test_a_note_is_on_the_next_poll(poller, incident, outsider):
    services.add_note(incident=incident, actor=outsider, text="web01 restarted")
    response = poller.poll()
    assert response.status_code == 200 and "web01 restarted" in response.content.decode()
    assert poller.poll().status_code == 204


def test_a_mark_is_on_the_next_poll(poller, incident, release, outsider):
    services.mark_suspect(
        incident=incident, change=release, verdict=Verdict.LIKELY_CAUSE, actor=outsider, note="matches"
    )
    response = poller.poll()
    assert response.status_code == 200 and "Likely cause" in response.content.decode()


def test_a_new_change_on_the_host_is_on_the_next_poll(poller, web01, team, requester):
    change(
        title="Hotfix 2.4.1",
        at=timezone.now(),
        ended_before=timedelta(minutes=10),
        hosts={web01: HostExecutionState.APPLIED},
        team=team,
        requester=requester,
    )
    response = poller.poll()
    assert response.status_code == 200 and "Hotfix 2.4.1" in response.content.decode()


def test_a_host_state_is_on_the_next_poll(poller, release, web01, requester):
    before = poller.params["v"]
    set_host_states(change=release, hosts=[web01], state=HostExecutionState.FAILED, actor=requester)
    response = poller.poll()
    assert response.status_code == 200
    assert poller.params["v"] != before, "the rendered bridge changed"


def test_the_status_is_on_the_next_poll(poller, incident, outsider):
    services.set_incident_status(incident=incident, status="mitigated", actor=outsider)
    response = poller.poll()
    assert response.status_code == 200 and "Mitigated" in response.content.decode()


def test_a_moved_marker_with_the_same_bridge_sends_only_the_poller(poller, incident):
    # The marker also holds the minute (the bridge shows "until now"); a minute later the same bridge renders
    # again, finds its digest unchanged and sends back only the poller with the new marker.
    poller.params["m"] = "0" * 16
    response = poller.poll()
    assert response.status_code == 200
    body = response.content.decode()
    assert 'id="bridge-live"' in body and 'id="suspects"' not in body
    assert poller.params["m"] == live_marker(incident.pk)
    assert poller.poll().status_code == 204


def test_the_marker_moves_with_the_minute_and_with_writes(incident, outsider):
    now = timezone.now()
    assert live_marker(incident.pk, now=now) == live_marker(incident.pk, now=now)
    assert live_marker(incident.pk, now=now) != live_marker(incident.pk, now=now + timedelta(minutes=1))
    before = live_marker(incident.pk, now=now)
    services.add_note(incident=incident, actor=outsider, text="checked")
    assert live_marker(incident.pk, now=now) != before


def test_unknown_incident_and_anonymous_polls(client, login, outsider, incident):
    url = reverse("incidents:incident_live", args=[incident.pk])
    assert client.get(url, **HTMX).status_code in (302, 401, 403)
    missing = login(outsider).get(reverse("incidents:incident_live", args=[incident.pk + 999]), **HTMX)
    assert missing.status_code == 404
