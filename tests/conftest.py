import uuid
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.cache.backends.locmem import LocMemCache
from django.test import override_settings
from playwright.sync_api import sync_playwright
from rest_framework.test import APIClient

from apps.accounts.api.throttling import ApiRateThrottle
from apps.accounts.choices import TokenScope
from apps.accounts.tokens import create_api_token
from changeportal.celery import app as celery_app
from tests.factories import PASSWORD, MembershipFactory, TeamFactory, UserFactory


@pytest.fixture
def team(db):
    return TeamFactory(name="Billing dev", slug="billing-dev")


@pytest.fixture
def requester(team):
    user = UserFactory(username="requester")
    MembershipFactory(team=team, user=user)
    return user


@pytest.fixture
def lead(team):
    user = UserFactory(username="lead")
    MembershipFactory(team=team, user=user, is_lead=True)
    return user


@pytest.fixture
def outsider(db):
    return UserFactory(username="outsider")


@pytest.fixture
def login(client):
    """Log a user into the test client: ``login(user)`` returns the client."""

    def _login(user):
        assert client.login(username=user.username, password=PASSWORD)
        return client

    return _login


CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-dev-shm-usage"]


@pytest.fixture
def browser_page(live_server, monkeypatch):
    """A Playwright page in Debian's headless Chromium, pointed at the live test server."""
    if not CHROMIUM.exists():
        pytest.skip("Debian's Chromium is not installed at /usr/bin/chromium (.ci/run installs it)")
    # Playwright's sync API runs an event loop in this thread; the test's own ORM calls are still synchronous.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        page = browser.new_page(base_url=live_server.url)
        page.set_default_timeout(10_000)
        try:
            yield page
        finally:
            browser.close()


@pytest.fixture
def browser_login():
    """Log a user in through the real login form: ``browser_login(page, user)``."""

    def _login(page, user):
        page.goto("/login/")
        page.fill("input[name=username]", user.username)
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(lambda url: "/login/" not in url)

    return _login


@pytest.fixture
def eager_tasks():
    """Run Celery tasks in-process for this test, even when REDIS_URL points the app at a real broker."""
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous


@pytest.fixture(autouse=True, scope="session")
def fast_password_hashing(django_test_environment):
    """Production hashing is slow on purpose; the suite logs in hundreds of times and needs none of it."""
    django_settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True, scope="session")
def private_cache_namespace(django_test_environment):
    """With REDIS_URL the cache outlives a run and shares its Redis database with the broker: instead of flushing
    anything, this run's keys (login-throttle counters and the like) get a prefix of their own."""
    namespace = f"test-{uuid.uuid4().hex[:12]}"
    caches = {alias: config | {"KEY_PREFIX": namespace} for alias, config in django_settings.CACHES.items()}
    with override_settings(CACHES=caches):
        yield


@pytest.fixture
def private_throttle_counts(monkeypatch):
    # Throttle counters live in the default cache (Redis when REDIS_URL is set, shared by parallel workers
    # whose token ids collide): give the test its own empty cache instead.
    monkeypatch.setattr(ApiRateThrottle, "cache", LocMemCache(f"throttle-{uuid.uuid4()}", {}))


@pytest.fixture
def token_for():
    """``token_for(user, scope="read_write")`` → the plaintext token."""

    def _token(user, scope=TokenScope.READ_WRITE, **kwargs):
        return create_api_token(user=user, name="test", scope=scope, **kwargs).plaintext

    return _token


@pytest.fixture
def as_user(token_for, private_throttle_counts):
    """``as_user(user, scope=...)`` → an APIClient sending that user's new token."""

    def _client(user, scope=TokenScope.READ_WRITE):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(user, scope)}")
        return client

    return _client
