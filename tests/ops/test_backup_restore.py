"""The README's backup and restore commands, run as written: a dump of the test database restored into a fresh
database holds every change, its hosts and its whole activity log, and needs no migration."""

import os
import subprocess
import sys
import uuid
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

import psycopg
import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from apps.changes import services
from apps.changes.models import Change, ChangeActivity, ChangeHost
from tests.factories import HostFactory, environment

POSTGRES = settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
ROOT = Path(settings.BASE_DIR)
# Verbatim from the README's "Backup and restore" section (shell variables: DATABASE_URL, DUMP, RESTORED,
# RESTORE_URL).
BACKUP = 'pg_dump --format=custom --no-owner --file="$DUMP" "$DATABASE_URL"'
CREATE = 'createdb --maintenance-db="$DATABASE_URL" "$RESTORED"'
RESTORE = 'pg_restore --no-owner --exit-on-error --dbname="$RESTORE_URL" "$DUMP"'
CHECK = 'DATABASE_URL="$RESTORE_URL" python manage.py migrate --check'


def url_for(name: str) -> str:
    db = connection.settings_dict
    password = f":{quote(db['PASSWORD'], safe='')}" if db.get("PASSWORD") else ""
    return f"postgres://{quote(db['USER'], safe='')}{password}@{db['HOST'] or 'localhost'}:{db['PORT'] or 5432}/{name}"


def run(command: str, env: dict) -> None:
    done = subprocess.run(["sh", "-c", command], env=env, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"{command}\n{done.stdout}\n{done.stderr}"


def rows(url: str) -> dict:
    with psycopg.connect(url) as restored:
        return {
            "changes": restored.execute("SELECT id, title, status FROM changes_change ORDER BY id").fetchall(),
            "activity": restored.execute(
                "SELECT change_id, count(*), max(note) FROM changes_changeactivity GROUP BY change_id ORDER BY 1"
            ).fetchall(),
            "hosts": restored.execute(
                "SELECT ch.change_id, h.hostname FROM changes_changehost ch JOIN inventory_host h ON h.id = ch.host_id "
                "ORDER BY 1, 2"
            ).fetchall(),
        }


@pytest.mark.postgres_only
@pytest.mark.skipif(not POSTGRES, reason="pg_dump/pg_restore need PostgreSQL; DATABASE_URL is not postgres://")
@pytest.mark.django_db(transaction=True)  # pg_dump runs in another session: the rows must be committed
def test_documented_backup_restores_every_change(tmp_path, eager_tasks, requester, team):
    start = timezone.now() + timedelta(days=2)
    web = [HostFactory(hostname=f"web{n:02d}") for n in range(3)]
    for number in range(5):
        change = services.create_change(
            actor=requester,
            hosts=web[: number % 3 + 1],
            title=f"Change {number}: ünïcode, <tags> & 'quotes'",
            environment=environment("qa"),
            team=team,
            planned_start=start + timedelta(hours=number),
            planned_end=start + timedelta(hours=number + 1),
        )
        services.add_comment(change=change, actor=requester, text=f"note {number}")
    expected = {
        "changes": list(Change.objects.order_by("id").values_list("id", "title", "status")),
        "activity": [
            (change.pk, change.activities.count(), max(change.activities.values_list("note", flat=True)))
            for change in Change.objects.order_by("id")
        ],
        "hosts": sorted(ChangeHost.objects.values_list("change_id", "host__hostname")),
    }
    assert len(expected["changes"]) == 5 and ChangeActivity.objects.count() >= 10

    restored = f"cp_restore_{uuid.uuid4().hex[:12]}"
    env = os.environ | {
        "DATABASE_URL": url_for(connection.settings_dict["NAME"]),
        "DUMP": str(tmp_path / "changeportal.dump"),
        "RESTORED": restored,
        "RESTORE_URL": url_for(restored),
        "PATH": f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}",  # `python` is this virtualenv's
    }
    run(BACKUP, env)
    assert Path(env["DUMP"]).stat().st_size > 0
    run(CREATE, env)
    try:
        run(RESTORE, env)
        assert rows(env["RESTORE_URL"]) == expected
        run(CHECK, env)  # the restored schema is current: nothing to migrate
    finally:
        with psycopg.connect(url_for("postgres"), autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{restored}" WITH (FORCE)')
