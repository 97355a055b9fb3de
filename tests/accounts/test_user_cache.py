"""The signed-in user's row is cached (a session request reads only its session) and the cache never outlives a
deactivation, a password change, a staff change or a deleted user: each is seen on the very next request."""

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from apps.accounts import user_cache
from tests.factories import PASSWORD, UserFactory, environment

pytestmark = pytest.mark.django_db
ENVIRONMENT = "/api/v1/environments/prod"


@pytest.fixture(autouse=True)
def empty_cache(private_throttle_counts):
    cache.clear()
    environment("prod")


@pytest.fixture
def signed_in(login, requester):
    """A client signed in as the requester, whose row is cached after its first request."""
    client = login(requester)
    assert client.get(ENVIRONMENT).status_code == 200
    return client


def _user_of(response):
    return response.wsgi_request.user


def test_a_signed_in_api_get_reads_the_session_and_its_own_row_only(signed_in):
    with CaptureQueriesContext(connection) as captured:
        response = signed_in.get(ENVIRONMENT)
    assert response.status_code == 200 and response.json()["slug"] == "prod"
    sql = [query["sql"] for query in captured.captured_queries]
    assert len(sql) == 2, sql
    assert "django_session" in sql[0] and "inventory_environment" in sql[1]


def test_a_deactivated_user_is_refused_on_the_very_next_request(signed_in, requester):
    requester.is_active = False
    requester.save()
    response = signed_in.get(ENVIRONMENT)
    assert response.status_code in (401, 403)
    assert not _user_of(response).is_authenticated


def test_a_changed_password_signs_the_other_sessions_out_at_once(signed_in, requester):
    # The cached row held the old password hash, which the session's hash still matches: only the mark refuses it.
    requester.set_password("a-new-password-2026")
    requester.save()
    response = signed_in.get(ENVIRONMENT)
    assert response.status_code in (401, 403)
    assert not _user_of(response).is_authenticated


def test_changing_ones_own_password_keeps_that_session_and_signs_out_the_others(client, login, requester):
    requester.is_staff = True  # the admin's password form is the one the app offers
    requester.save()
    other = login(requester)
    assert other.get(ENVIRONMENT).status_code == 200
    mine = type(client)()
    assert mine.login(username=requester.username, password=PASSWORD)
    assert mine.get(ENVIRONMENT).status_code == 200
    new = "a-new-password-2026"
    response = mine.post(
        reverse("admin:password_change"), {"old_password": PASSWORD, "new_password1": new, "new_password2": new}
    )
    assert response.status_code == 302
    assert mine.get(ENVIRONMENT).status_code == 200  # Django moved this session to the new hash
    assert other.get(ENVIRONMENT).status_code in (401, 403)


def test_a_staff_change_reaches_the_next_request(signed_in, requester):
    assert _user_of(signed_in.get(ENVIRONMENT)).is_staff is False
    requester.is_staff = True
    requester.save(update_fields=["is_staff"])
    assert _user_of(signed_in.get(ENVIRONMENT)).is_staff is True


def test_a_deleted_user_is_signed_out(signed_in, requester):
    requester.delete()
    response = signed_in.get(ENVIRONMENT)
    assert response.status_code in (401, 403)
    assert not _user_of(response).is_authenticated


def test_a_login_keeps_the_cached_row(signed_in, requester):
    requester.save(update_fields=["last_login"])
    assert user_cache.cached_user(requester.pk) is not None


def test_a_row_read_before_a_change_cannot_be_cached_after_it(requester):
    old = get_user_model().objects.get(pk=requester.pk)  # a request reads the row...
    requester.is_active = False
    requester.save()  # ...the deactivation commits and marks the entry stale...
    user_cache.remember(old)  # ...and the request's add comes last: it must not put the old row back
    assert user_cache.cached_user(requester.pk) is None


def test_a_new_user_does_not_inherit_a_cached_row_under_its_id():
    # SQLite reuses the ids of rolled-back rows: a cached row under a new user's id must go.
    ghost = get_user_model()(pk=987654, username="ghost", is_staff=True, is_superuser=True)
    user_cache.remember(ghost)
    assert user_cache.cached_user(987654) is not None
    UserFactory(pk=987654, username="newcomer")
    assert user_cache.cached_user(987654) is None
