"""Fault tests run ChangePortal as child processes (gunicorn, Celery workers, a private redis-server) against
the test database, so they need the real services: PostgreSQL (the children share the database with the
test) and, for most, a Redis given by REDIS_URL. On the SQLite pass they skip and say so."""

import os
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.db import connection

from bench.ingest_load import database_url
from changeportal.celery import app as celery_app
from loadtest.stack import app_env
from tests.factories import PASSWORD, MembershipFactory, TeamFactory, UserFactory
from tests.faults.receiver import Receiver

FAST_SETTINGS = "tests.faults.fast_settings"


def require_postgres(*, redis: bool = True) -> None:
    if connection.vendor != "postgresql":
        needs = "PostgreSQL and REDIS_URL" if redis else "PostgreSQL"
        pytest.skip(f"needs {needs}: the app runs as child processes sharing the test database")
    if redis and not os.environ.get("REDIS_URL"):
        pytest.skip("needs REDIS_URL (a real Redis broker for the Celery workers)")


@pytest.fixture
def test_database_url() -> str:
    return database_url(connection.settings_dict)


@pytest.fixture
def child_env(test_database_url):
    """``child_env(redis_url, **extra)``: the environment of a gunicorn or worker serving the test database."""

    def _env(redis_url: str | None, **extra: str) -> dict:
        values = {"DEBUG": "true", "CONN_MAX_AGE": "0", "DJANGO_SETTINGS_MODULE": FAST_SETTINGS} | extra
        return app_env(database_url=test_database_url, redis_url=redis_url, secret_key=settings.SECRET_KEY, **values)

    return _env


@pytest.fixture
def logs(tmp_path, request):
    """A directory for the children's output, printed when the test fails (pytest shows captured output)."""
    directory = tmp_path / "logs"
    directory.mkdir()
    yield directory
    for log in sorted(directory.glob("*.log")):
        print(f"===== {log.name} (last 4000 characters)\n{log.read_text(errors='replace')[-4000:]}")


@pytest.fixture
def receiver():
    with Receiver() as running:
        yield running


@pytest.fixture
def clean_broker():
    """Tasks other tests left on the shared broker (db of REDIS_URL) without a worker would run in ours."""
    celery_app.control.purge()


def real_password_user(username: str):
    """A user whose password the child processes can check (the suite's MD5 hasher is test-only). Few
    iterations: the child upgrades the hash at the first login, the test does not pay for it here."""
    user = UserFactory(username=username)
    hasher = PBKDF2PasswordHasher()
    user.password = hasher.encode(PASSWORD, hasher.salt(), iterations=1000)
    user.save(update_fields=["password"])
    return user


@pytest.fixture
def fault_team(db):
    """A team with a requester and a lead who can log in to a child gunicorn."""
    team = TeamFactory(name="Payments", slug="payments")
    requester = real_password_user("req")
    lead = real_password_user("boss")
    MembershipFactory(team=team, user=requester)
    MembershipFactory(team=team, user=lead, is_lead=True)
    return team, requester, lead


def mail_subjects(directory: Path) -> list[str]:
    """Subjects of the messages the file-based email backend of the children wrote."""
    return [
        line.removeprefix("Subject: ")
        for path in sorted(directory.glob("*"))
        for line in path.read_text(errors="replace").splitlines()
        if line.startswith("Subject: ")
    ]
