"""A resolved incident's "after the incident started" list stops at its resolution; an open one runs on."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.changes.choices import HostExecutionState
from apps.incidents import services
from apps.incidents.candidates import Window
from apps.incidents.choices import IncidentStatus, Severity
from apps.incidents.models import Incident
from apps.incidents.suspects import suspects_for_incident
from tests.clock import replay_at
from tests.incidents.builders import AT, change, host, many_changes, service

A = HostExecutionState.APPLIED
H = timedelta(hours=1)
RESOLVED = AT + 2 * H
DURING = ["during, on web01", "during, via web", "during, on peer web02"]
LATER = ["at the resolution", "after, on web01", "after, on peer web02", "after, environment-wide"]
pytestmark = pytest.mark.django_db


def starting(offset: timedelta, **fields):
    """A one-hour change that began ``offset`` after the incident started."""
    return change(at=AT, ended_before=-(offset + H), **fields)


@pytest.fixture
def world(outsider):
    web = service("web")
    web01, web02 = host("web01", services=[web]), host("web02", services=[web])
    change(title="before", at=AT, ended_before=H, hosts={web01: A})
    starting(H / 2, title="during, on web01", hosts={web01: A})
    starting(H, title="during, via web", services=[web])
    starting(1.5 * H, title="during, on peer web02", hosts={web02: A})
    starting(2 * H, title="at the resolution", hosts={web01: A})
    starting(3 * H, title="after, on web01", hosts={web01: A})
    starting(4 * H, title="after, on peer web02", hosts={web02: A})
    starting(5 * H, title="after, environment-wide")
    incident = services.open_incident(
        actor=outsider, title="Checkout errors", severity=Severity.SEV1, started_at=AT, hosts=[web01]
    )
    return {"web": web, "web01": web01, "web02": web02, "incident": incident, "actor": outsider}


def resolve(world, when=RESOLVED) -> Incident:
    with replay_at(when):
        return services.set_incident_status(
            incident=world["incident"], status=IncidentStatus.RESOLVED, actor=world["actor"]
        )


def titles(items):
    return [suspect.change.title for suspect in items]


def test_an_open_incident_lists_everything_that_began_after_it_started(world):
    report = suspects_for_incident(world["incident"])
    assert titles(report.suspects) == ["before"]
    assert titles(report.after) == DURING + LATER and report.total_after == 7


def test_a_resolved_incident_lists_only_what_began_before_its_resolution(world):
    resolved = resolve(world)
    assert resolved.resolved_at == RESOLVED
    report = suspects_for_incident(resolved)
    assert titles(report.after) == DURING and report.total_after == 3
    assert titles(report.suspects) == ["before"]  # the suspects do not move
    # Counted beyond the listed ones too.
    short = suspects_for_incident(resolved, limit=1)
    assert titles(short.after) == DURING[:1] and short.total_after == 3
    # Reopened, it runs on again.
    with replay_at(RESOLVED + H):
        reopened = services.set_incident_status(incident=resolved, status=IncidentStatus.OPEN, actor=world["actor"])
    assert reopened.resolved_at is None
    assert titles(suspects_for_incident(reopened).after) == DURING + LATER


def test_a_resolution_beyond_the_look_ahead_changes_nothing(world):
    # The after list never runs further than window_hours after the start (72 h), resolved or not.
    starting(80 * H, title="days later", hosts={world["web01"]: A})
    before = suspects_for_incident(world["incident"])
    resolved = suspects_for_incident(resolve(world, AT + 100 * H))
    assert titles(resolved.after) == titles(before.after) == DURING + LATER
    assert resolved.total_after == before.total_after == 7


def test_a_resolved_status_without_a_resolution_time_keeps_the_open_behaviour(world):
    Incident.objects.filter(pk=world["incident"].pk).update(status=IncidentStatus.RESOLVED, resolved_at=None)
    report = suspects_for_incident(Incident.objects.get(pk=world["incident"].pk))
    assert titles(report.after) == DURING + LATER


def test_window_bounds():
    now = AT + 10 * H
    assert Window(at=AT, hours=72, now=now).after_end == now
    assert Window(at=AT, hours=72, now=now).started_by_end == {"eff_start__lte": now}
    resolved = Window(at=AT, hours=72, now=now, resolved_at=RESOLVED)
    assert resolved.after_end == RESOLVED and resolved.started_by_end == {"eff_start__lt": RESOLVED}
    # Resolved later than the look-ahead or than now: as if open.
    assert Window(at=AT, hours=1, now=now, resolved_at=RESOLVED).started_by_end == {"eff_start__lte": AT + H}
    assert Window(at=AT, hours=72, now=AT + H, resolved_at=RESOLVED).started_by_end == {"eff_start__lte": AT + H}
    # A resolution recorded before the start (a start edited later): nothing after, the suspects kept.
    early = Window(at=AT, hours=72, now=now, resolved_at=AT - H)
    assert early.after_end == AT and early.started_by_end == {"eff_start__lte": AT}


def test_api_after_list_and_total_stop_at_the_resolution(login, world):
    client = login(world["actor"])
    url = f"/api/v1/incidents/{world['incident'].pk}/suspects"
    body = client.get(url).json()
    assert [item["title"] for item in body["after"]] == DURING + LATER and body["total_after"] == 7
    resolve(world)
    body = client.get(url).json()
    assert [item["title"] for item in body["after"]] == DURING and body["total_after"] == 3
    assert [item["title"] for item in body["suspects"]] == ["before"]
    short = client.get(url, {"limit": 2}).json()
    assert [item["title"] for item in short["after"]] == DURING[:2] and short["total_after"] == 3


def test_incident_page_after_list_stops_at_the_resolution(login, world):
    client = login(world["actor"])
    page = client.get(world["incident"].get_absolute_url()).content.decode()
    assert all(title in page for title in DURING + LATER)
    resolve(world)
    page = client.get(world["incident"].get_absolute_url()).content.decode()
    assert all(title in page for title in DURING)
    assert not [title for title in LATER if title in page]


def test_resolved_incidents_cost_the_same_queries(login, world):
    many_changes(world, 3)
    client = login(world["actor"])
    paths = (f"/api/v1/incidents/{world['incident'].pk}/suspects", world["incident"].get_absolute_url())

    def counts() -> list[int]:
        found = []
        for path in paths:
            with CaptureQueriesContext(connection) as queries:
                assert client.get(path).status_code == 200
            found.append(len(queries))
        return found

    counts()  # the first request reads the user's time zone into the cache
    open_api, open_page = counts()
    resolve(world)
    resolved_api, resolved_page = counts()
    assert resolved_api == open_api
    assert resolved_page <= open_page  # (a resolved incident offers no backout: no rights to look up)
