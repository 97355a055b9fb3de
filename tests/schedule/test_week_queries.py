"""The week page's queries: a fixed list, whatever the number of changes, links and collisions on it."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import (
    ChangeHostFactory,
    FreezeWindowFactory,
    HostFactory,
    MembershipFactory,
    ServiceFactory,
    TeamFactory,
    environment,
)
from tests.schedule.conftest import make_change, utc

URL = reverse("schedule:calendar")
WEEK_OF_ONE_ENVIRONMENT = {"view": "week", "date": "2026-11-18", "environment": "prod"}  # the bench's page

# Session; the environment filter's value (the changes' environment too); the changes; their teams; their host and
# service links; the collision partners of both kinds (one statement); the freeze windows and their environments;
# the profile (feed link); the memberships and the approvals badge; the filter form's environment, team and service
# choices; the chosen environment's chip; the saved views.
WEEK_PAGE_QUERIES = 17


def _week(changes: int, viewer) -> None:
    """Like a production week of the bench: changes of teams, the viewer in one of them (the approvals badge)."""
    prod = environment("prod")
    teams = [TeamFactory() for _ in range(2)]
    MembershipFactory(team=teams[0], user=viewer)
    hosts = [HostFactory(environment=prod) for _ in range(6)]
    services = [ServiceFactory() for _ in range(3)]
    start = utc(2026, 11, 16, 6)
    for index in range(changes):
        begin = start + timedelta(hours=3 * index)
        kind = "patch" if index % 2 else "release"
        change = make_change(begin, begin + timedelta(hours=5), environment=prod, team=teams[index % 2], kind=kind)
        ChangeHostFactory(change=change, host=hosts[index % 6])
        ChangeHostFactory(change=change, host=hosts[(index + 1) % 6])
        change.services.add(services[index % 3])
    # A change of another environment on the same host collides too, though the filter hides it.
    other = make_change(start, start + timedelta(hours=2), environment=environment("qa"))
    ChangeHostFactory(change=other, host=hosts[0])
    FreezeWindowFactory(start=start, end=start + timedelta(hours=6), recurrence="FREQ=DAILY").environments.add(prod)


def _queries(client) -> tuple[list[str], object]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(URL, WEEK_OF_ONE_ENVIRONMENT)
    assert response.status_code == 200
    return [query["sql"] for query in captured.captured_queries], response


@pytest.mark.django_db
@pytest.mark.parametrize("changes", [3, 50])
def test_the_week_page_of_one_environment_takes_a_fixed_list_of_queries(login, viewer, changes):
    _week(changes, viewer)
    client = login(viewer)
    client.get(URL, WEEK_OF_ONE_ENVIRONMENT)  # the session and the profile are settled from here on
    queries, response = _queries(client)
    visible = response.context["visible"]
    assert len(visible.entries) == changes
    assert visible.collision_count == changes  # each overlaps its neighbours on a host or a service
    assert len(queries) == WEEK_PAGE_QUERIES, "\n".join(queries)
    partner_queries = [sql for sql in queries if "UNION ALL" in sql]
    assert len(partner_queries) == 1 and "changes_changehost" in partner_queries[0]
    assert "changes_change_services" in partner_queries[0]
