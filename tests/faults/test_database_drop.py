"""PostgreSQL connections dropped under a running app (pg_terminate_backend): the next request succeeds on
a fresh connection, without restarting anything.

gunicorn runs as a child process with persistent connections (CONN_MAX_AGE=600, health checks on, as in
production). Only its connections are terminated: they carry their own application_name, so the test process
and anything else sharing the test database (a live server thread of the browser tests) keep theirs.
"""

import pytest
from django.db import connection

from apps.accounts.tokens import create_api_token
from apps.ingest.models import IngestRecord
from loadtest.stack import gunicorn, wait_until
from tests.factories import HostFactory, MembershipFactory, TeamFactory, UserFactory, environment
from tests.faults.conftest import require_postgres
from tests.faults.web import Web

APP_NAME = "cp-fault-drop"


def _app_backends() -> list[int]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND application_name = %s"
            " AND pid <> pg_backend_pid()",
            [APP_NAME],
        )
        return [pid for (pid,) in cursor.fetchall()]


def _terminate(pids: list[int]) -> None:
    with connection.cursor() as cursor:
        for pid in pids:
            cursor.execute("SELECT pg_terminate_backend(%s)", [pid])


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_next_request_after_terminated_backends_succeeds(child_env, logs):
    require_postgres(redis=False)
    user = UserFactory(username="ci-bot")
    MembershipFactory(team=TeamFactory(slug="ops"), user=user)
    HostFactory(hostname="db01.prod", environment=environment("prod"))
    token = create_api_token(user=user, name="drop", scope="read_write").plaintext
    # One sync worker: every request goes through the same persistent connection. No Redis: tasks run in-process.
    env = child_env(None, CONN_MAX_AGE="600", DJANGO_SETTINGS_MODULE="changeportal.settings")
    env["DATABASE_URL"] += f"?application_name={APP_NAME}"

    with gunicorn(env, log=logs / "gunicorn.log", workers=1) as port:
        web = Web(port)
        assert web.api("GET", "/api/v1/changes", token)[0] == 200
        before = wait_until(_app_backends, timeout=30, what="the app's persistent database connection")

        _terminate(before)
        wait_until(lambda: not set(before) & set(_app_backends()), timeout=30, what="the backends to end")

        status, body = web.api("GET", "/api/v1/hosts/db01.prod/suspects", token)
        assert status == 200, body  # the very first request after the drop
        event = {"routing_key": "ops", "payload": {"summary": "Vacuumed"}, "hosts": ["db01.prod"], "dedup_key": "d1"}
        status, body = web.api("POST", "/api/v1/change-events", token, event)
        assert status == 202, body
        after = _app_backends()

    assert after and not set(after) & set(before)  # a new connection replaced the dropped one
    assert IngestRecord.objects.filter(dedup_key="d1").count() == 1
