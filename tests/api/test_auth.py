"""API tokens: format and storage, scopes, expiry, revocation, 401 vs 403, throttling, and the UI page."""

import hashlib
from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone
from rest_framework.settings import api_settings

from apps.accounts.choices import TokenScope
from apps.accounts.models import ApiToken
from apps.accounts.tokens import create_api_token, revoke_api_token
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_token_is_stored_hashed_with_a_visible_prefix(requester):
    new = create_api_token(user=requester, name="pipeline")
    assert new.plaintext.startswith(f"cp_{new.token.prefix}_")
    assert len(new.plaintext) > 40
    stored = ApiToken.objects.get()
    assert stored.token_hash == hashlib.sha256(new.plaintext.encode()).hexdigest()
    assert new.plaintext not in {stored.prefix, stored.token_hash, stored.name}
    assert stored.scope == TokenScope.READ


def test_no_credentials_is_401_json_with_www_authenticate(api):
    response = api.get("/api/v1/changes")
    assert response.status_code == 401
    assert response["Content-Type"] == "application/json"
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert "detail" in response.json()


@pytest.mark.parametrize("header", ["Bearer nonsense", "Bearer cp_00000000_x", "Bearer", "Bearer a b"])
def test_bad_tokens_are_401(api, header):
    response = api.get("/api/v1/changes", HTTP_AUTHORIZATION=header)
    assert response.status_code == 401
    assert response.json()["detail"]


def test_valid_token_reads_and_records_last_use(as_user, requester):
    response = as_user(requester, TokenScope.READ).get("/api/v1/changes")
    assert response.status_code == 200
    assert ApiToken.objects.get().last_used_at is not None


def test_read_only_token_cannot_write(as_user, requester):
    client = as_user(requester, TokenScope.READ)
    response = client.post("/api/v1/changes", {"title": "x"}, format="json")
    assert response.status_code == 403
    assert "read-only" in response.json()["detail"]
    assert client.post("/api/v1/change-events", {"payload": {"summary": "x"}}, format="json").status_code == 403


def test_expired_token_is_401(api, token_for, requester):
    plaintext = token_for(requester, expires_at=timezone.now() + timedelta(minutes=5))
    ApiToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    response = api.get("/api/v1/changes", HTTP_AUTHORIZATION=f"Bearer {plaintext}")
    assert response.status_code == 401


def test_revoked_token_is_401_at_once(api, requester):
    new = create_api_token(user=requester, name="ci")
    headers = {"HTTP_AUTHORIZATION": f"Bearer {new.plaintext}"}
    assert api.get("/api/v1/changes", **headers).status_code == 200
    revoke_api_token(token=new.token)
    assert api.get("/api/v1/changes", **headers).status_code == 401


def test_inactive_user_token_is_401(api, token_for, requester):
    plaintext = token_for(requester)
    requester.is_active = False
    requester.save()
    assert api.get("/api/v1/changes", HTTP_AUTHORIZATION=f"Bearer {plaintext}").status_code == 401


def test_session_auth_works_for_the_browser(client, login, requester):
    login(requester)
    assert client.get("/api/v1/changes").status_code == 200


def test_throttle_is_per_token(requester, token_for, api, monkeypatch):
    monkeypatch.setitem(api_settings.DEFAULT_THROTTLE_RATES, "token", "2/min")
    first, second = token_for(requester), token_for(requester)
    for _ in range(2):
        assert api.get("/api/v1/teams", HTTP_AUTHORIZATION=f"Bearer {first}").status_code == 200
    throttled = api.get("/api/v1/teams", HTTP_AUTHORIZATION=f"Bearer {first}")
    assert throttled.status_code == 429
    assert "Retry-After" in throttled
    assert api.get("/api/v1/teams", HTTP_AUTHORIZATION=f"Bearer {second}").status_code == 200


class TestTokenPage:
    def test_profile_links_to_the_tokens_page(self, client, login, requester):
        login(requester)
        assert b"/profile/tokens/" in client.get("/profile/").content

    def test_create_shows_the_token_once(self, client, login, requester):
        login(requester)
        response = client.post(
            "/profile/tokens/", {"name": "release pipeline", "scope": "read_write", "expires_in": "30"}
        )
        assert response.status_code == 200
        token = ApiToken.objects.get(user=requester)
        assert token.scope == TokenScope.READ_WRITE
        assert token.expires_at > timezone.now() + timedelta(days=29)
        shown = response.context["new_token"].plaintext
        assert shown.encode() in response.content
        page = client.get("/profile/tokens/")
        assert shown.encode() not in page.content
        assert token.display_prefix.encode() in page.content

    def test_invalid_form_is_400(self, client, login, requester):
        login(requester)
        assert client.post("/profile/tokens/", {"name": "", "scope": "root"}).status_code == 400
        assert not ApiToken.objects.exists()

    def test_revoke_own_token_only(self, client, login, requester):
        mine = create_api_token(user=requester, name="mine").token
        theirs = create_api_token(user=UserFactory(username="someone"), name="theirs").token
        login(requester)
        assert client.post(f"/profile/tokens/{theirs.pk}/revoke/").status_code == 404
        response = client.post(f"/profile/tokens/{mine.pk}/revoke/")
        assert response.status_code == 302
        mine.refresh_from_db()
        theirs.refresh_from_db()
        assert mine.revoked_at is not None and theirs.revoked_at is None

    @override_settings(LOGIN_URL="/login/")
    def test_page_needs_login(self, client):
        assert client.get("/profile/tokens/").status_code == 302
