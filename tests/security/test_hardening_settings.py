"""Production settings: `manage.py check --deploy` is clean, and DEBUG keeps plain-http development working.

Settings are read at import, so each case runs Django in a fresh interpreter with its own environment.
"""

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client, override_settings

ROOT = Path(__file__).resolve().parents[2]
PROBE_NAMES = [
    "SECURE_SSL_REDIRECT",
    "SECURE_PROXY_SSL_HEADER",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD",
    "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE",
    "SESSION_COOKIE_HTTPONLY",
    "CSRF_COOKIE_HTTPONLY",
    "X_FRAME_OPTIONS",
    "SECURE_REFERRER_POLICY",
    "SECURE_CONTENT_TYPE_NOSNIFF",
    "DATA_UPLOAD_MAX_MEMORY_SIZE",
    "LOGIN_FAILURE_LIMIT",
    "CSP_REPORT_ONLY",
]
PROBE = (
    "import json, django; from django.conf import settings; django.setup(); "
    f"print(json.dumps({{name: getattr(settings, name) for name in {PROBE_NAMES!r}}}))"
)


def production_env(**extra) -> dict:
    """The environment a production process gets: no DEBUG, a real secret key, its host names."""
    env = {key: value for key, value in os.environ.items() if key not in {"DEBUG", "SECRET_KEY", "ALLOWED_HOSTS"}}
    env.update(
        DJANGO_SETTINGS_MODULE="changeportal.settings",
        SECRET_KEY=secrets.token_urlsafe(64),
        ALLOWED_HOSTS="changes.example.com",
        **extra,
    )
    return env


def run(args: list[str], env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=180)


def probe(**env) -> dict:
    result = run(["-c", PROBE], production_env(**env))
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def assert_clean(result: subprocess.CompletedProcess):
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "WARNINGS" not in output, output
    assert "System check identified some issues" not in output, output
    assert "System check identified no issues" in output, output


def test_security_deploy_checks_pass_under_production_settings():
    assert_clean(run(["manage.py", "check", "--deploy", "--tag", "security"], production_env()))


def test_whole_deploy_check_passes_under_production_settings():
    assert_clean(run(["manage.py", "check", "--deploy"], production_env()))


def test_production_defaults_are_safe():
    values = probe()
    assert values["SECURE_SSL_REDIRECT"] is True
    assert values["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert values["SECURE_HSTS_SECONDS"] >= 365 * 24 * 3600
    assert values["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True and values["SECURE_HSTS_PRELOAD"] is True
    assert values["SESSION_COOKIE_SECURE"] is True and values["CSRF_COOKIE_SECURE"] is True
    assert values["SESSION_COOKIE_HTTPONLY"] is True and values["CSRF_COOKIE_HTTPONLY"] is True
    assert values["X_FRAME_OPTIONS"] == "DENY"
    assert values["SECURE_REFERRER_POLICY"] == "same-origin"
    assert values["SECURE_CONTENT_TYPE_NOSNIFF"] is True
    assert values["CSP_REPORT_ONLY"] is False


def test_debug_keeps_plain_http_working():
    values = probe(DEBUG="true")
    assert values["SECURE_SSL_REDIRECT"] is False
    assert values["SECURE_HSTS_SECONDS"] == 0
    assert values["SESSION_COOKIE_SECURE"] is False and values["CSRF_COOKIE_SECURE"] is False


def test_each_switch_follows_its_environment_variable():
    values = probe(
        SECURE_SSL_REDIRECT="false",
        SECURE_HSTS_SECONDS="3600",
        SECURE_HSTS_PRELOAD="false",
        SESSION_COOKIE_SECURE="false",
        TRUST_X_FORWARDED_PROTO="false",
        DATA_UPLOAD_MAX_MEMORY_SIZE="1048576",
        LOGIN_FAILURE_LIMIT="3",
        CSP_REPORT_ONLY="true",
    )
    assert values["SECURE_SSL_REDIRECT"] is False
    assert values["SECURE_HSTS_SECONDS"] == 3600 and values["SECURE_HSTS_PRELOAD"] is False
    assert values["SESSION_COOKIE_SECURE"] is False and values["SECURE_PROXY_SSL_HEADER"] is None
    assert values["DATA_UPLOAD_MAX_MEMORY_SIZE"] == 1048576 and values["LOGIN_FAILURE_LIMIT"] == 3
    assert values["CSP_REPORT_ONLY"] is True


def test_a_malformed_switch_stops_start_up_with_its_name():
    result = run(["-c", PROBE], production_env(SECURE_HSTS_SECONDS="a year"))
    assert result.returncode != 0 and "SECURE_HSTS_SECONDS must be an integer" in result.stderr


@pytest.mark.django_db
@override_settings(SECURE_SSL_REDIRECT=True, SECURE_HSTS_SECONDS=31536000, SECURE_HSTS_INCLUDE_SUBDOMAINS=True)
def test_redirect_to_https_behind_the_proxy_header():
    # A new client builds its middleware under these settings (SecurityMiddleware reads them at start).
    client = Client()
    response = client.get("/login/")
    assert response.status_code == 301 and response["Location"] == "https://testserver/login/"
    response = client.get("/login/", HTTP_X_FORWARDED_PROTO="https")
    assert response.status_code == 200
    assert response["Strict-Transport-Security"].startswith("max-age=31536000; includeSubDomains")
    assert client.get("/healthz").status_code == 200, "health checks probe over plain http"


@pytest.mark.django_db
def test_cookies_are_http_only(client, settings):
    response = client.get("/login/")
    assert response.cookies["csrftoken"]["httponly"] is True
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
