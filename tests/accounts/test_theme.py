"""The colour scheme is stored per user and lands on <html data-theme> of every page."""

import re

import pytest
from django.urls import reverse

from apps.accounts.choices import Theme
from apps.accounts.models import UserProfile

PROFILE = reverse("accounts:profile")


@pytest.mark.django_db
def test_a_new_user_follows_the_device(login, requester):
    page = login(requester).get(reverse("dashboard:home")).content.decode()
    assert '<html lang="en" data-theme="system">' in page


@pytest.mark.django_db
def test_choosing_dark_is_saved_and_applied_to_every_page(login, requester):
    client = login(requester)
    response = client.post(PROFILE, {"time_zone": "", "theme": Theme.DARK})
    assert response.status_code == 302
    assert UserProfile.objects.get(user=requester).theme == Theme.DARK
    for name in ("dashboard:home", "accounts:profile", "changes:change_list"):
        assert 'data-theme="dark"' in client.get(reverse(name)).content.decode(), name


@pytest.mark.django_db
def test_saving_only_the_time_zone_keeps_the_theme(login, requester):
    UserProfile.objects.create(user=requester, theme=Theme.LIGHT)
    client = login(requester)
    assert client.post(PROFILE, {"time_zone": "Asia/Tokyo"}).status_code == 302
    profile = UserProfile.objects.get(user=requester)
    assert (profile.time_zone, profile.theme) == ("Asia/Tokyo", Theme.LIGHT)


@pytest.mark.django_db
def test_an_unknown_theme_is_a_form_error(login, requester):
    response = login(requester).post(PROFILE, {"time_zone": "", "theme": "neon"})
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not UserProfile.objects.filter(user=requester, theme="neon").exists()


def test_anonymous_pages_follow_the_device(client, db):
    assert 'data-theme="system"' in client.get(reverse("accounts:login")).content.decode()


@pytest.mark.django_db
def test_a_form_error_is_announced_and_linked_to_its_field(login, requester):
    page = login(requester).post(PROFILE, {"time_zone": "", "theme": "neon"}).content.decode()
    summary = page[page.index('class="error-summary"') :]
    assert 'role="alert"' in page[page.index('<div class="error-summary"') :][:120]
    assert '<a href="#id_theme">Colour scheme: Select a valid choice.' in summary
    select = re.search(r"<select[^>]*name=\"theme\"[^>]*>", page).group(0)
    assert 'aria-invalid="true"' in select
    assert 'aria-describedby="id_theme_helptext id_theme_error"' in select
    assert 'id="id_theme_helptext"' in page and 'id="id_theme_error"' in page
