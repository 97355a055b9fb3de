import pytest
from django.urls import reverse

from apps.accounts.models import UserProfile
from apps.accounts.services import regenerate_feed_token, revoke_feed_token
from tests.factories import UserFactory

PROFILE = reverse("accounts:profile")
REGENERATE = reverse("accounts:feed_token_regenerate")
REVOKE = reverse("accounts:feed_token_revoke")


@pytest.mark.django_db
def test_regenerate_creates_a_profile_and_a_fresh_unique_token():
    user = UserFactory()
    first = regenerate_feed_token(user=user)
    assert len(first) >= 40 and UserProfile.objects.get(user=user).feed_token == first
    second = regenerate_feed_token(user=user)
    assert second != first and UserProfile.objects.get(user=user).feed_token == second
    other = regenerate_feed_token(user=UserFactory())
    assert other not in (first, second)


@pytest.mark.django_db
def test_revoke_clears_the_token_and_is_idempotent():
    user = UserFactory()
    regenerate_feed_token(user=user)
    revoke_feed_token(user=user)
    assert UserProfile.objects.get(user=user).feed_token is None
    revoke_feed_token(user=user)
    revoke_feed_token(user=UserFactory())  # no profile yet: nothing to revoke, no error
    assert UserProfile.objects.filter(feed_token__isnull=False).count() == 0


@pytest.mark.django_db
def test_profile_page_shows_creates_regenerates_and_revokes_the_feed_link(login, outsider, settings):
    settings.SITE_URL = "https://changes.example.com"
    client = login(outsider)
    page = client.get(PROFILE).content.decode()
    assert "You have no feed link." in page and "Create feed link" in page

    response = client.post(REGENERATE)
    assert response.status_code == 302 and response["Location"] == PROFILE
    token = UserProfile.objects.get(user=outsider).feed_token
    page = client.get(PROFILE).content.decode()
    assert f"https://changes.example.com/feeds/changes.ics?token={token}" in page
    assert f"https://changes.example.com/feeds/changes.atom?token={token}" in page

    client.post(REGENERATE)
    new_token = UserProfile.objects.get(user=outsider).feed_token
    assert new_token != token
    assert client.get(reverse("schedule:feed_ics"), {"token": token}).status_code == 404
    assert client.get(reverse("schedule:feed_ics"), {"token": new_token}).status_code == 200

    client.post(REVOKE)
    assert UserProfile.objects.get(user=outsider).feed_token is None
    assert client.get(reverse("schedule:feed_ics"), {"token": new_token}).status_code == 404
    assert "You have no feed link." in client.get(PROFILE).content.decode()


@pytest.mark.django_db
def test_token_endpoints_need_a_post_and_a_login(client, login, outsider):
    assert client.post(REGENERATE).status_code == 302  # to the login page
    assert not UserProfile.objects.filter(feed_token__isnull=False).exists()
    assert login(outsider).get(REGENERATE).status_code == 405
    assert login(outsider).get(REVOKE).status_code == 405


@pytest.mark.django_db
def test_calendar_offers_subscription_links_with_the_current_filters(login, outsider):
    client = login(outsider)
    page = client.get(reverse("schedule:calendar"), {"kind": "release"}).content.decode()
    assert "create your feed link" in page
    token = regenerate_feed_token(user=outsider)
    page = client.get(reverse("schedule:calendar"), {"kind": "release"}).content.decode()
    assert f'href="/feeds/changes.ics?token={token}&amp;kind=release"' in page
    assert f'href="/feeds/changes.atom?token={token}&amp;kind=release"' in page
