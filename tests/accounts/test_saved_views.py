"""Saved views (a user's named filters for the calendar or the change list) and the active-filter chips."""

from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError
from django.http import QueryDict
from django.urls import reverse

from apps.accounts.choices import SavedViewPage
from apps.accounts.models import SavedView
from apps.accounts.services import create_saved_view, delete_saved_view, saved_view_query
from tests.factories import TeamFactory, UserFactory

CREATE = reverse("accounts:saved_view_create")
CALENDAR = reverse("schedule:calendar")
CHANGES = reverse("changes:change_list")


def _messages(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


# --- the service -------------------------------------------------------------------------------------------------


def test_the_saved_query_drops_the_date_empty_values_and_tokens_and_keeps_the_rest_in_order():
    query = "?view=week&date=2026-12-03&team=ops&q=&environment=prod&environment=qa&csrfmiddlewaretoken=x"
    assert saved_view_query(query, page=SavedViewPage.CALENDAR) == "view=week&team=ops&environment=prod&environment=qa"
    assert saved_view_query("page=3&status=approved", page=SavedViewPage.CHANGES) == "status=approved"
    assert saved_view_query("", page=SavedViewPage.CHANGES) == ""


def test_a_query_too_long_to_keep_is_refused_with_its_length():
    long_query = "&".join(f"service=service-{n:04d}" for n in range(80))
    with pytest.raises(ValidationError) as caught:
        saved_view_query(long_query, page=SavedViewPage.CHANGES)
    assert "too long to save" in str(caught.value)


@pytest.mark.django_db
def test_create_keeps_the_name_stripped_and_the_query_normalised():
    user = UserFactory()
    view = create_saved_view(user=user, page="calendar", name="  My team's week ", query="team=ops&date=2026-01-05")
    assert (view.name, view.page, view.query) == ("My team's week", "calendar", "team=ops")
    assert view.get_absolute_url() == f"{CALENDAR}?team=ops"


@pytest.mark.django_db
def test_a_name_is_required_and_unique_per_user_and_page_ignoring_case():
    user, other = UserFactory(), UserFactory()
    create_saved_view(user=user, page="calendar", name="Production this week", query="environment=prod")
    with pytest.raises(ValidationError, match="already have a calendar view"):
        create_saved_view(user=user, page="calendar", name="production THIS week", query="")
    with pytest.raises(ValidationError, match="Give the view a name"):
        create_saved_view(user=user, page="calendar", name="   ", query="")
    # The same name on the other page, or for another user, is a different view.
    create_saved_view(user=user, page="changes", name="Production this week", query="environment=prod")
    create_saved_view(user=other, page="calendar", name="Production this week", query="")
    assert SavedView.objects.count() == 3


@pytest.mark.django_db
def test_delete_removes_only_the_users_own_view():
    owner, other = UserFactory(), UserFactory()
    view = create_saved_view(user=owner, page="changes", name="Mine", query="kind=patch")
    with pytest.raises(SavedView.DoesNotExist):
        delete_saved_view(user=other, view_id=view.pk)
    assert SavedView.objects.filter(pk=view.pk).exists()
    delete_saved_view(user=owner, view_id=view.pk)
    assert not SavedView.objects.filter(pk=view.pk).exists()


# --- the views -----------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_saving_from_the_calendar_opens_the_saved_url(login):
    user = UserFactory()
    client = login(user)
    response = client.post(
        CREATE,
        {"name": "My team's week", "page": "calendar", "query": "view=week&date=2026-12-01&team=ops", "next": "/x/"},
    )
    assert response.status_code == 302
    assert response["Location"] == f"{CALENDAR}?view=week&team=ops"
    assert SavedView.objects.get(user=user).name == "My team's week"
    assert any("Saved the view" in text for text in _messages(response))


@pytest.mark.django_db
def test_a_duplicate_or_nameless_view_goes_back_with_the_reason_and_saves_nothing(login):
    user = UserFactory()
    create_saved_view(user=user, page="changes", name="Patches", query="kind=patch")
    client = login(user)
    back = f"{CHANGES}?kind=patch&team=ops"
    response = client.post(CREATE, {"name": "patches", "page": "changes", "query": "team=ops", "next": back})
    assert (response.status_code, response["Location"]) == (302, back)
    assert any("already have a change list view" in text for text in _messages(response))
    response = client.post(CREATE, {"name": "", "page": "changes", "query": "team=ops", "next": back})
    assert response.status_code == 302
    assert any("Give the view a name" in text for text in _messages(response))
    response = client.post(CREATE, {"name": "Odd", "page": "nowhere", "query": "", "next": "https://evil.example/"})
    assert response["Location"] == reverse("accounts:profile")  # not an open redirect
    assert SavedView.objects.count() == 1


@pytest.mark.django_db
def test_saved_views_need_a_login_and_a_post(client, login):
    response = client.post(CREATE, {"name": "x", "page": "calendar", "query": ""})
    assert response.status_code == 302 and "/login/" in response["Location"]
    assert login(UserFactory()).get(CREATE).status_code == 405
    assert not SavedView.objects.exists()


@pytest.mark.django_db
def test_only_the_owner_deletes_a_view(login, client):
    owner, other = UserFactory(), UserFactory()
    view = create_saved_view(user=owner, page="calendar", name="Mine", query="")
    url = reverse("accounts:saved_view_delete", args=[view.pk])
    assert login(other).post(url).status_code == 404
    assert SavedView.objects.filter(pk=view.pk).exists()
    client.logout()
    response = login(owner).post(url, {"next": reverse("accounts:profile")})
    assert (response.status_code, response["Location"]) == (302, reverse("accounts:profile"))
    assert not SavedView.objects.filter(pk=view.pk).exists()


@pytest.mark.django_db
def test_each_page_and_the_profile_list_the_users_own_views_only(login):
    user, other = UserFactory(), UserFactory()
    create_saved_view(user=user, page="calendar", name="Ops week", query="team=ops")
    create_saved_view(user=user, page="changes", name="Failed patches", query="kind=patch&status=failed")
    create_saved_view(user=other, page="calendar", name="Someone else's", query="")
    client = login(user)
    calendar = client.get(CALENDAR).content.decode()
    assert f'href="{CALENDAR}?team=ops"' in calendar and "Someone else" not in calendar
    assert "Failed patches" not in calendar
    changes = client.get(CHANGES).content.decode()
    assert "Failed patches" in changes and "Ops week" not in changes
    profile = client.get(reverse("accounts:profile")).content.decode()
    assert "Ops week" in profile and "Failed patches" in profile and "Someone else" not in profile


# --- active-filter chips -------------------------------------------------------------------------------------------


def _chips(html: str) -> dict[str, QueryDict]:
    """aria-label of each chip's remove link → the query string it links to."""
    chips = {}
    for part in html.split('class="filter-chip-remove" href="')[1:]:
        href, rest = part.split('"', 1)
        label = rest.split('aria-label="', 1)[1].split('"', 1)[0]
        chips[label] = QueryDict(urlsplit(href.replace("&amp;", "&")).query)
    return chips


@pytest.mark.django_db
def test_each_chosen_filter_is_a_chip_whose_link_drops_that_value_only(login):
    TeamFactory(name="Operations", slug="ops")
    TeamFactory(name="Web", slug="web")
    client = login(UserFactory())
    html = client.get(CHANGES, {"team": ["ops", "web"], "kind": "patch", "q": "nginx", "page": "2"}).content.decode()
    chips = _chips(html)
    assert set(chips) == {
        "Remove filter Search: nginx",
        "Remove filter Team: Operations",
        "Remove filter Team: Web",
        "Remove filter Kind: Security patch",
    }
    without_ops = chips["Remove filter Team: Operations"]
    assert without_ops.getlist("team") == ["web"] and without_ops["kind"] == "patch" and "page" not in without_ops
    assert "kind" not in chips["Remove filter Kind: Security patch"]
    assert chips["Remove filter Search: nginx"].get("q") is None


@pytest.mark.django_db
def test_calendar_chips_keep_the_view_and_date_and_come_with_the_htmx_partial(login):
    TeamFactory(name="Operations", slug="ops")
    client = login(UserFactory())
    params = {"view": "day", "date": "2026-12-03", "team": "ops", "environment": "prod"}
    for extra in ({}, {"HTTP_HX_REQUEST": "true"}):
        html = client.get(CALENDAR, params, **extra).content.decode()
        chip = _chips(html)["Remove filter Team: Operations"]
        assert parse_qs(chip.urlencode()) == {"view": ["day"], "date": ["2026-12-03"], "environment": ["prod"]}


@pytest.mark.django_db
def test_no_chips_without_filters_and_unknown_values_keep_their_text(login):
    client = login(UserFactory())
    assert "filter-chip" not in client.get(CHANGES).content.decode()
    chips = _chips(client.get(CHANGES, {"team": "no-such-team"}).content.decode())
    assert list(chips) == ["Remove filter Team: no-such-team"]
