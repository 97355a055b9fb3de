import pytest
from django.urls import reverse

from apps.changes.choices import ChangeStatus
from tests.factories import ChangeFactory, ChangeHostFactory, HostFactory, TeamFactory

NAV_PAGES = [
    "dashboard:home",
    "changes:change_list",
    "inventory:host_list",
    "accounts:team_list",
    "accounts:profile",
]


@pytest.fixture
def objects(db):
    team = TeamFactory(slug="ops")
    host = HostFactory(hostname="web01")
    change = ChangeFactory(team=team, status=ChangeStatus.SUBMITTED)
    ChangeHostFactory(change=change, host=host)
    return {"team": team, "host": host, "change": change}


def _detail_urls(objects):
    return [
        reverse("changes:change_detail", args=[objects["change"].pk]),
        reverse("inventory:host_detail", args=[objects["host"].hostname]),
        reverse("accounts:team_detail", args=[objects["team"].slug]),
    ]


@pytest.mark.django_db
def test_every_navigation_page_answers_a_signed_in_user(login, outsider, objects):
    client = login(outsider)
    home = client.get(reverse("dashboard:home")).content.decode()
    for name in NAV_PAGES:
        url = reverse(name)
        response = client.get(url)
        assert response.status_code == 200, url
        if name != "accounts:profile":
            assert f'href="{url}"' in home, f"{url} is not in the navigation"
    for url in _detail_urls(objects):
        assert client.get(url).status_code == 200, url


@pytest.mark.django_db
def test_anonymous_users_are_sent_to_login(client, objects):
    login_url = reverse("accounts:login")
    for url in [reverse(name) for name in NAV_PAGES] + _detail_urls(objects):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(f"{login_url}?next="), url


@pytest.mark.django_db
def test_login_page_and_login_flow(client, outsider):
    assert client.get(reverse("accounts:login")).status_code == 200
    response = client.post(reverse("accounts:login"), {"username": "outsider", "password": "wrong"})
    assert response.status_code == 200
    assert "correct username and password" in response.content.decode()
    response = client.post(reverse("accounts:login"), {"username": "outsider", "password": "correct-horse-battery"})
    assert response.status_code == 302
    assert client.get(reverse("dashboard:home")).status_code == 200


@pytest.mark.django_db
def test_unknown_objects_are_404(login, outsider):
    client = login(outsider)
    assert client.get(reverse("changes:change_detail", args=[999999])).status_code == 404
    assert client.get(reverse("inventory:host_detail", args=["nohost"])).status_code == 404


@pytest.mark.django_db
def test_profile_time_zone_changes_how_times_are_shown(login, outsider):
    client = login(outsider)
    response = client.post(reverse("accounts:profile"), {"time_zone": "Asia/Tokyo"})
    assert response.status_code == 302
    assert "Asia/Tokyo" in client.get(reverse("dashboard:home")).content.decode()
    response = client.post(reverse("accounts:profile"), {"time_zone": "Mars/Olympus"})
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
