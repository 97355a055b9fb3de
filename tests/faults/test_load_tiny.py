"""A tiny `make load`: the real stack (gunicorn, a Celery worker, PostgreSQL, Redis) under two clients for a
few seconds, against the test database. Not a timed test: it asserts no errors and no lost events only."""

import os

import pytest

from apps.ingest.models import IngestRecord
from loadtest.run import Options, check_options, parse, run
from tests.faults.conftest import require_postgres


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_tiny_load_has_no_errors_and_loses_nothing(test_database_url, logs, tmp_path):
    require_postgres()
    options = Options(
        database_url=test_database_url,
        redis_url=os.environ["REDIS_URL"],
        duration=4,
        clients=2,
        web_workers=2,
        celery_concurrency=1,
        hosts=5,
        output=tmp_path / "load.md",
        migrate=False,  # the test database is migrated already
        debug=True,
        drain_wait=30,
    )

    result = run(options, log_dir=logs, out=lambda line: None)

    assert result.outcome.server_errors == 0 and result.outcome.other_failures == 0, result.outcome.kinds
    assert all(stats.latency.n > 0 for stats in result.outcome.kinds.values())
    assert result.outcome.acknowledged and result.lost == 0 and result.ok
    assert IngestRecord.objects.filter(dedup_key__in=result.outcome.acknowledged).count() == result.stored
    assert result.outbox_published > 0 and result.outbox_pending == 0  # the worker dispatched the submissions
    assert "**lost: 0**" in (tmp_path / "load.md").read_text()


def test_load_refuses_sqlite_with_a_clear_message():
    options = parse(["--database-url", "sqlite:///tmp/x.sqlite3", "--redis-url", "redis://127.0.0.1:6379/0"])
    with pytest.raises(SystemExit, match="make load needs PostgreSQL"):
        check_options(options)
    with pytest.raises(SystemExit, match="needs a real Redis"):
        check_options(parse(["--database-url", "postgres://u@127.0.0.1/x", "--redis-url", ""]))
