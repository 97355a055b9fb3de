"""Login throttling (apps/accounts/login_throttle.py) on the login page and the admin login.

Counters live in the shared cache (Redis when REDIS_URL is set), so every test uses its own usernames and
client addresses and clears them first: a rerun within the window starts clean.
"""

import logging
import uuid

import pytest
from django.conf import settings as settings_module
from django.contrib.auth import get_user_model
from django.test import Client, RequestFactory, override_settings
from django.urls import resolve, reverse

from apps.accounts import login_throttle, views
from tests.factories import PASSWORD, UserFactory

LOGIN = "/login/"


@pytest.fixture
def fresh():
    """A username and an address nobody else uses, with their counters cleared before and after."""
    made = []

    def _fresh():
        token = uuid.uuid4().hex[:10]
        octets = [int(token[i : i + 2], 16) for i in (0, 2, 4)]
        username, ip = f"user-{token}", "10.{}.{}.{}".format(*octets)
        login_throttle.reset(username=username, ip=ip)
        made.append((username, ip))
        return username, ip

    yield _fresh
    for username, ip in made:
        login_throttle.reset(username=username, ip=ip)


def attempt(username, password, ip, url=LOGIN):
    """A fresh client per attempt, as a guessing script would be: nothing carries over but the address."""
    return Client().post(url, {"username": username, "password": password}, REMOTE_ADDR=ip)


def logged_in(response) -> bool:
    return response.status_code == 302 and "_auth_user_id" in response.wsgi_request.session


@pytest.mark.django_db
def test_sixth_attempt_is_refused_even_with_the_right_password(fresh, monkeypatch):
    username, ip = fresh()
    UserFactory(username=username)
    for _ in range(5):
        response = attempt(username, "wrong", ip)
        assert response.status_code == 200 and not logged_in(response)
    checked = []
    original = get_user_model().check_password
    monkeypatch.setattr(
        get_user_model(), "check_password", lambda user, raw: checked.append(raw) or original(user, raw)
    )
    response = attempt(username, PASSWORD, ip)
    assert response.status_code == 429
    assert not logged_in(response)
    assert checked == [], "a throttled attempt must not reach the password check"
    page = response.content.decode()
    assert "Too many failed logins" in page and "Try again in" in page
    assert 0 < int(response["Retry-After"]) <= 15 * 60


@pytest.mark.django_db
def test_other_users_from_other_addresses_are_unaffected(fresh):
    victim, attacker_ip = fresh()
    colleague, colleague_ip = fresh()
    UserFactory(username=victim)
    UserFactory(username=colleague)
    for _ in range(6):
        attempt(victim, "wrong", attacker_ip)
    assert attempt(victim, PASSWORD, attacker_ip).status_code == 429
    assert logged_in(attempt(colleague, PASSWORD, colleague_ip))


@pytest.mark.django_db
def test_the_username_is_throttled_from_any_address(fresh):
    username, ip = fresh()
    _, other_ip = fresh()
    UserFactory(username=username)
    for _ in range(5):
        attempt(username, "wrong", ip)
    assert attempt(username, PASSWORD, other_ip).status_code == 429


@pytest.mark.django_db
def test_other_spellings_of_the_name_share_the_account_count(fresh):
    username, ip = fresh()
    _, other_ip = fresh()
    UserFactory(username=username)
    fullwidth = "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in username)
    for spelling in (username, f"{username} ", f"\t{username}", fullwidth, username.upper()):
        attempt(spelling, "wrong", ip)
    # Every spelling above authenticates as the same account (the form strips and applies NFKC).
    for spelling in (f"{username}   ", fullwidth, username):
        response = attempt(spelling, PASSWORD, other_ip)
        assert response.status_code == 429 and not logged_in(response), spelling


@pytest.mark.django_db
def test_by_default_a_forwarded_header_cannot_pick_a_fresh_address(fresh):
    assert settings_module.TRUSTED_PROXY_COUNT == 0  # no proxy assumed: gunicorn may face clients directly
    _, ip = fresh()
    request = RequestFactory().get("/", REMOTE_ADDR=ip, HTTP_X_FORWARDED_FOR="198.51.100.7")
    assert login_throttle.client_ip(request) == ip


@pytest.mark.django_db
@override_settings(LOGIN_FAILURE_LIMIT_PER_IP=3)
def test_one_address_guessing_many_usernames_is_throttled(fresh):
    names = [fresh()[0] for _ in range(4)]
    _, ip = fresh()
    for name in names[:3]:
        assert attempt(name, "wrong", ip).status_code == 200
    UserFactory(username=names[3])
    assert attempt(names[3], PASSWORD, ip).status_code == 429


@pytest.mark.django_db
@override_settings(LOGIN_FAILURE_LIMIT_PER_IP=3)
def test_successful_logins_do_not_use_up_the_address_limit(fresh):
    _, shared_ip = fresh()
    for _ in range(5):
        username, _ = fresh()
        UserFactory(username=username)
        assert logged_in(attempt(username, PASSWORD, shared_ip))


@pytest.mark.django_db
def test_a_success_resets_the_username_count(fresh):
    username, ip = fresh()
    UserFactory(username=username)
    for _ in range(4):
        attempt(username, "wrong", ip)
    assert logged_in(attempt(username, PASSWORD, ip))
    for _ in range(4):
        assert attempt(username, "wrong", ip).status_code == 200
    assert logged_in(attempt(username, PASSWORD, ip))


@pytest.mark.django_db
def test_the_next_window_lets_the_user_in_again(fresh, monkeypatch, settings):
    username, ip = fresh()
    UserFactory(username=username)
    now = 1_800_000_000.0
    monkeypatch.setattr(login_throttle, "clock", lambda: now)
    for _ in range(6):
        attempt(username, "wrong", ip)
    assert attempt(username, PASSWORD, ip).status_code == 429
    later = now + settings.LOGIN_FAILURE_WINDOW_SECONDS
    monkeypatch.setattr(login_throttle, "clock", lambda: later)
    assert logged_in(attempt(username, PASSWORD, ip))


@pytest.mark.django_db
def test_admin_login_is_the_throttled_view(fresh):
    assert resolve("/admin/login/").func.view_class is views.AdminLoginView
    assert reverse("admin:login") == "/admin/login/"
    username, ip = fresh()
    UserFactory(username=username, is_staff=True, is_superuser=True)
    assert Client().get("/admin/login/").status_code == 200
    for _ in range(5):
        response = attempt(username, "wrong", ip, url="/admin/login/")
        assert response.status_code == 200
        assert "Please enter the correct" in response.content.decode()
    response = attempt(username, PASSWORD, ip, url="/admin/login/")
    assert response.status_code == 429
    assert "Too many failed logins" in response.content.decode()
    login_throttle.reset(username=username, ip=ip)
    response = Client().post(
        "/admin/login/?next=/admin/", {"username": username, "password": PASSWORD, "next": "/admin/"}, REMOTE_ADDR=ip
    )
    assert logged_in(response) and response["Location"] == "/admin/"


@pytest.mark.django_db
def test_admin_login_still_refuses_non_staff(fresh):
    username, ip = fresh()
    UserFactory(username=username)
    response = attempt(username, PASSWORD, ip, url="/admin/login/")
    assert response.status_code == 200 and not logged_in(response)


@pytest.mark.django_db
def test_cache_outage_fails_open_and_is_logged(fresh, caplog):
    username, ip = fresh()
    UserFactory(username=username)
    # Port 9 (discard) is closed on the test machines: every cache call raises a connection error.
    dead_redis = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://127.0.0.1:9/0"}
    }
    with override_settings(CACHES=dead_redis), caplog.at_level(logging.WARNING, logger="apps.accounts.login_throttle"):
        for _ in range(7):
            attempt(username, "wrong", ip)
        assert logged_in(attempt(username, PASSWORD, ip))
    assert "Login throttle unavailable" in caplog.text


@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected"),
    [
        (0, "203.0.113.9", "192.0.2.1"),
        (1, "", "192.0.2.1"),
        (1, "203.0.113.9", "203.0.113.9"),
        (1, "6.6.6.6, 203.0.113.9", "203.0.113.9"),
        (2, "6.6.6.6, 203.0.113.9, 10.0.0.2", "203.0.113.9"),
        (3, "203.0.113.9", "203.0.113.9"),
    ],
)
def test_client_address_trusts_only_the_configured_proxies(settings, proxies, forwarded, expected):
    settings.TRUSTED_PROXY_COUNT = proxies
    request = RequestFactory().get("/", REMOTE_ADDR="192.0.2.1", HTTP_X_FORWARDED_FOR=forwarded)
    assert login_throttle.client_ip(request) == expected
