"""Settings are read at import time, so each case runs in a fresh interpreter with its own environment."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PROBE = (
    "import json, django; from django.conf import settings; django.setup(); "
    "db = settings.DATABASES['default']; "
    "print(json.dumps({'engine': db['ENGINE'], 'name': str(db['NAME']), 'health': db['CONN_HEALTH_CHECKS'], "
    "'eager': settings.CELERY_TASK_ALWAYS_EAGER, 'broker': settings.CELERY_BROKER_URL}))"
)


def _settings_with(**env):
    base = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "SECRET_KEY", "DEBUG"}}
    base.update({"DJANGO_SETTINGS_MODULE": "changeportal.settings", **env})
    result = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, env=base, capture_output=True, text=True, timeout=60
    )
    return result


def test_default_is_sqlite_with_in_process_tasks():
    result = _settings_with(DEBUG="true")
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout)
    assert values["engine"] == "django.db.backends.sqlite3"
    assert values["name"].endswith("db.sqlite3")
    assert values["eager"] is True


def test_database_url_selects_postgresql_with_health_checks():
    result = _settings_with(DEBUG="true", DATABASE_URL="postgres://postgres@127.0.0.1:5432/changeportal")
    values = json.loads(result.stdout)
    assert values["engine"] == "django.db.backends.postgresql"
    assert values["name"] == "changeportal"
    assert values["health"] is True


def test_redis_url_selects_the_real_broker():
    result = _settings_with(DEBUG="true", REDIS_URL="redis://127.0.0.1:6379/3")
    values = json.loads(result.stdout)
    assert values["eager"] is False
    assert values["broker"] == "redis://127.0.0.1:6379/3"


def test_secret_key_is_required_outside_debug():
    result = _settings_with(DEBUG="false")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr
    assert _settings_with(DEBUG="false", SECRET_KEY="x" * 50).returncode == 0


def test_bad_boolean_is_a_clear_error():
    result = _settings_with(DEBUG="maybe")
    assert result.returncode != 0
    assert "DEBUG must be a boolean" in result.stderr
