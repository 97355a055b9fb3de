"""DATABASE_REPLICA_URL: the GET-only API and the feeds read from the ``replica`` alias, everything else (writes,
credentials, pages, POSTs, transactions) from the primary. Two real aliases on the same test database (SQLite or
PostgreSQL, whichever the run uses), so the rows exist on both and each query shows which connection ran it."""

import copy
from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connections, transaction
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from apps.accounts.choices import TokenScope
from apps.accounts.services import regenerate_feed_token
from apps.accounts.tokens import create_api_token
from apps.inventory.models import Environment
from apps.platform.replica import REPLICA, ReplicaReadsMiddleware, ReplicaRouter, replica_readable
from tests.factories import ChangeFactory, HostFactory, environment

# Committed rows: the second connection sees them (PostgreSQL), and the in-memory SQLite test database is shared.
TWO_ALIASES = pytest.mark.django_db(transaction=True, databases=["default", "replica"])
ROUTED = override_settings(
    DATABASE_ROUTERS=["apps.platform.replica.ReplicaRouter"],
    MIDDLEWARE=[*settings.MIDDLEWARE, "apps.platform.replica.ReplicaReadsMiddleware"],
)


@pytest.fixture(scope="module", autouse=True)
def replica_alias(django_db_setup, django_db_blocker):
    """A second alias on the test database, as settings add it for DATABASE_REPLICA_URL (module scope: it must
    exist before each test declares the databases it uses)."""
    connections.settings[REPLICA] = copy.deepcopy(connections["default"].settings_dict)
    yield
    connections[REPLICA].close()
    del connections[REPLICA]
    del connections.settings[REPLICA]


@pytest.fixture
def replica():
    with ROUTED:
        yield connections[REPLICA]


@pytest.fixture
def api(requester, private_throttle_counts):
    client = APIClient()
    token = create_api_token(user=requester, name="ci", scope=TokenScope.READ_WRITE).plaintext
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


@TWO_ALIASES
def test_an_api_get_reads_its_data_from_the_replica_and_the_token_from_the_primary(replica, api):
    environment("prod")
    with CaptureQueriesContext(replica) as on_replica, CaptureQueriesContext(connections["default"]) as on_primary:
        response = api.get("/api/v1/environments/prod")
    assert response.status_code == 200 and response.json()["slug"] == "prod"
    assert any("inventory_environment" in query["sql"] for query in on_replica.captured_queries)
    assert not any("inventory_environment" in query["sql"] for query in on_primary.captured_queries)
    assert not any("accounts_apitoken" in query["sql"] for query in on_replica.captured_queries)
    assert any("accounts_apitoken" in query["sql"] for query in on_primary.captured_queries)


@TWO_ALIASES
def test_writes_and_their_reads_stay_on_the_primary(replica, api, requester, hosts_prod):
    with CaptureQueriesContext(replica) as on_replica:
        created = api.post(
            "/api/v1/change-events",
            {"payload": {"summary": "Deployed"}, "hosts": ["web01.prod"], "environment": "prod"},
            format="json",
        )
    assert created.status_code == 202, created.json()
    assert on_replica.captured_queries == []


@TWO_ALIASES
def test_pages_read_the_primary(replica, login, requester):
    client = login(requester)
    with CaptureQueriesContext(replica) as on_replica:
        assert client.get("/calendar/").status_code == 200
    assert on_replica.captured_queries == []


@TWO_ALIASES
def test_feeds_read_the_replica_and_their_token_on_the_primary(replica, requester, planned_prod):
    token = regenerate_feed_token(user=requester)
    with CaptureQueriesContext(replica) as on_replica, CaptureQueriesContext(connections["default"]) as on_primary:
        response = APIClient().get("/feeds/changes.ics", {"token": token})
    assert response.status_code == 200 and planned_prod.title in response.content.decode()
    assert any("changes_change" in query["sql"] for query in on_replica.captured_queries)
    assert not any("accounts_userprofile" in query["sql"] for query in on_replica.captured_queries)
    assert any("accounts_userprofile" in query["sql"] for query in on_primary.captured_queries)


def test_the_router_decisions():
    router = ReplicaRouter()
    assert router.db_for_write(Environment) == "default"
    assert router.allow_migrate(REPLICA, "inventory") is False
    assert router.allow_migrate("default", "inventory") is True
    # Outside a replica-readable request the router has no opinion (Django reads default).
    assert router.db_for_read(Environment) is None


@TWO_ALIASES
def test_inside_a_transaction_reads_stay_on_the_primary(replica, rf):
    environment("prod")
    seen = {}

    def view(request):
        seen["plain"] = ReplicaRouter().db_for_read(Environment)
        with transaction.atomic():
            seen["atomic"] = ReplicaRouter().db_for_read(Environment)
        seen["user"] = ReplicaRouter().db_for_read(get_user_model())
        return None

    ReplicaReadsMiddleware(view)(rf.get("/api/v1/environments"))
    assert seen == {"plain": REPLICA, "atomic": None, "user": None}
    ReplicaReadsMiddleware(view)(rf.post("/api/v1/environments"))
    assert seen["plain"] is None


@pytest.mark.parametrize(
    ("method", "path", "readable"),
    [
        ("GET", "/api/v1/changes", True),
        ("HEAD", "/feeds/changes.ics", True),
        ("POST", "/api/v1/change-events", False),
        ("GET", "/calendar/", False),
        ("GET", "/api/schema/", False),
    ],
)
def test_what_is_replica_readable(rf, method, path, readable):
    assert replica_readable(rf.generic(method, path)) is readable


@pytest.fixture
def hosts_prod():
    return [HostFactory(hostname="web01.prod", environment=environment("prod"))]


@pytest.fixture
def planned_prod(team, requester):
    start = timezone.now() + timedelta(days=1)
    return ChangeFactory(
        title="Replica-read release", team=team, requester=requester, environment=environment("prod"),
        planned_start=start, planned_end=start + timedelta(hours=1),
    )  # fmt: skip
