"""`manage.py bench --scale tiny` end to end: load, reads, growth, EXPLAIN, ingest through gunicorn, report.

Not a timed test (nothing here asserts a duration or a ratio): it checks that the harness runs and writes its
tables, to a temporary file. PostgreSQL only, like the bench itself.
"""

import io

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError

ENGINE = settings.DATABASES["default"]["ENGINE"]
POSTGRES = ENGINE == "django.db.backends.postgresql"


@pytest.mark.postgres_only
@pytest.mark.skipif(
    not POSTGRES, reason=f"the bench needs PostgreSQL (COPY, covering indexes); DATABASE_URL is {ENGINE}"
)
@pytest.mark.django_db(transaction=True)  # gunicorn workers must see the loaded rows
def test_bench_at_tiny_scale_writes_its_tables(tmp_path):
    output = tmp_path / "benchmarks.md"
    output.write_text("# Benchmarks\n\nHand-written note.\n\n<!-- bench:begin -->\nold table\n<!-- bench:end -->\n")
    console = io.StringIO()

    call_command("bench", scale="tiny", output=output, duration=1, workers=2, clients=2, stdout=console)

    text = output.read_text()
    assert "Hand-written note." in text and "old table" not in text  # only the generated block is replaced
    assert text.count("<!-- bench:begin -->") == 1 and text.count("<!-- bench:end -->") == 1
    for heading in ("### Targets", "### Every path", "### Ingest", "### Growth", "### Growth along other axes",
                    "### EXPLAIN"):  # fmt: skip
        assert heading in text
    for path in (
        "GET /api/v1/hosts/{hostname}/suspects",
        "GET /calendar/?view=week&environment=prod",
        "find_collisions",
        "GET /incidents/{pk}/live/ (poll, nothing new)",
        "GET /incidents/{pk}/live/ (poll after a new note)",
        "framework floor: GET /api/v1/environments/prod (trivial DRF) ÷ GET /healthz (plain Django view)",
    ):
        assert path in text
    assert "Index Only Scan using changehost_host_time" in text  # suspects and collisions use the covering index
    # The ingest rows: events went through (a redirect or a refusal would be counted as errors, not events).
    for label in (
        "app: POST through gunicorn",
        "floor: trivial authenticated GET through the same gunicorn",
        "floor: no-op authenticated POST (empty batch, 400) through the same gunicorn",
        "app: batches of 100 events through gunicorn",
    ):
        [row] = [line for line in text.splitlines() if line.startswith(f"| {label} |")]
        _label, per_second, events, errors, *_latency = (cell.strip() for cell in row.strip("|").split("|"))
        assert int(events) > 0 and int(errors) == 0, row
    assert f"Written to {output}" in console.getvalue()


@pytest.mark.skipif(POSTGRES, reason="checks the refusal on databases other than PostgreSQL")
def test_bench_refuses_sqlite():
    with pytest.raises(CommandError, match="bench needs PostgreSQL"):
        call_command("bench", scale="tiny", stdout=io.StringIO())


@pytest.mark.postgres_only
@pytest.mark.skipif(not POSTGRES, reason=f"raw connections are PostgreSQL's (psycopg); DATABASE_URL is {ENGINE}")
@pytest.mark.django_db
def test_raw_comparisons_run_with_the_apps_session_settings():
    """The raw side of every comparison connects like the app: with JIT off unless POSTGRES_JIT (issue #17's
    metrics rows measured the raw side with PostgreSQL's JIT compiling while the app had it off)."""
    import psycopg
    from django.db import connection

    from bench.load import conninfo

    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        app_jit = cursor.fetchone()[0]
    with psycopg.connect(conninfo(settings.DATABASES["default"])) as raw:
        assert raw.execute("SHOW jit").fetchone()[0] == app_jit == ("on" if settings.POSTGRES_JIT else "off")
