"""The app's PostgreSQL connections run with JIT off unless POSTGRES_JIT says otherwise (changeportal/settings.py)."""

import pytest
from django.db import connection


@pytest.mark.django_db
def test_postgres_connections_run_without_jit():
    if connection.vendor != "postgresql":
        pytest.skip("JIT is a PostgreSQL setting; this run is on SQLite")
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone()[0] == "off"


def test_postgres_jit_option_only_for_postgresql(settings):
    from changeportal import settings as project_settings

    sqlite = {"ENGINE": "django.db.backends.sqlite3"}
    postgres = {"ENGINE": "django.db.backends.postgresql", "OPTIONS": {"sslmode": "prefer"}}
    project_settings._postgres_options(sqlite)
    project_settings._postgres_options(postgres)
    assert "OPTIONS" not in sqlite
    assert postgres["OPTIONS"] == {"sslmode": "prefer", "options": "-c jit=off"}
