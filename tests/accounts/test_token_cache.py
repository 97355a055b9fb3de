"""The API token lookup is cached (no query per request) and the cache never outlives a revoke, a deleted
token, a deactivated user or a staff change."""

from datetime import timedelta
from unittest import mock

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from apps.accounts.choices import TokenScope
from apps.accounts.tokens import create_api_token, find_usable_token, revoke_api_token
from tests.factories import environment

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def empty_cache(private_throttle_counts):
    cache.clear()


def _client(plaintext):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {plaintext}")
    return client


def _warm(client) -> None:
    """One request reads the token, stamps last_used_at and caches it."""
    assert client.get("/api/v1/environments").status_code == 200


def test_an_authenticated_get_runs_only_its_own_query_once_the_token_is_cached(requester):
    environment("prod")
    client = _client(create_api_token(user=requester, name="ci", scope=TokenScope.READ).plaintext)
    # The first request reads the token, stamps last_used_at and caches it: from then on the token costs no query
    # (until last_used_at is a minute old and is stamped again).
    assert client.get("/api/v1/environments/prod").status_code == 200
    with CaptureQueriesContext(connection) as captured:
        response = client.get("/api/v1/environments/prod")
    assert response.status_code == 200
    assert response.json()["slug"] == "prod"
    sql = [query["sql"] for query in captured.captured_queries]
    assert len(sql) == 1, sql
    assert "inventory_environment" in sql[0]


def test_a_revoked_token_is_refused_on_the_very_next_request(requester):
    new = create_api_token(user=requester, name="ci", scope=TokenScope.READ)
    client = _client(new.plaintext)
    _warm(client)
    revoke_api_token(token=new.token)
    response = client.get("/api/v1/environments")
    assert response.status_code == 401
    assert "revoked" in response.json()["detail"]


def test_a_deleted_token_is_refused(requester):
    new = create_api_token(user=requester, name="ci")
    client = _client(new.plaintext)
    _warm(client)
    new.token.delete()
    assert client.get("/api/v1/environments").status_code == 401


def test_deactivating_the_user_refuses_their_cached_tokens_at_once(requester):
    client = _client(create_api_token(user=requester, name="ci").plaintext)
    _warm(client)
    requester.is_active = False
    requester.save()
    assert client.get("/api/v1/environments").status_code == 401


def test_a_staff_change_reaches_the_cached_user_at_once(requester):
    new = create_api_token(user=requester, name="ci")
    assert find_usable_token(new.plaintext).user.is_staff is False
    requester.is_staff = True
    requester.save(update_fields=["is_staff"])
    assert find_usable_token(new.plaintext).user.is_staff is True


def test_a_login_keeps_the_cache(requester):
    new = create_api_token(user=requester, name="ci")
    find_usable_token(new.plaintext)
    requester.save(update_fields=["last_login"])
    with CaptureQueriesContext(connection) as captured:
        assert find_usable_token(new.plaintext) is not None
    assert captured.captured_queries == []


def test_a_wrong_secret_with_a_cached_prefix_is_refused(requester):
    new = create_api_token(user=requester, name="ci")
    assert find_usable_token(new.plaintext) is not None
    forged = new.plaintext[:-4] + ("AAAA" if not new.plaintext.endswith("AAAA") else "BBBB")
    assert find_usable_token(forged) is None
    assert _client(forged).get("/api/v1/environments").status_code == 401


def test_an_expired_cached_token_is_refused(requester):
    new = create_api_token(user=requester, name="ci", expires_at=timezone.now() + timedelta(hours=1))
    assert find_usable_token(new.plaintext) is not None
    token = new.token
    # The expiry is checked on every lookup, cached or not: move the clock past it.
    with mock.patch("apps.accounts.tokens.timezone.now", return_value=token.expires_at + timedelta(seconds=1)):
        assert find_usable_token(new.plaintext) is None


def test_last_used_is_still_recorded_with_the_cache(requester):
    new = create_api_token(user=requester, name="ci")
    assert new.token.last_used_at is None
    find_usable_token(new.plaintext)
    new.token.refresh_from_db()
    assert new.token.last_used_at is not None


def test_last_used_is_stamped_again_after_a_minute_through_the_cache(requester):
    new = create_api_token(user=requester, name="ci")
    find_usable_token(new.plaintext)
    new.token.refresh_from_db()
    first = new.token.last_used_at
    later = first + timedelta(minutes=2)
    with mock.patch("apps.accounts.tokens.timezone.now", return_value=later):
        assert find_usable_token(new.plaintext) is not None
    new.token.refresh_from_db()
    assert new.token.last_used_at == later
