"""Request size limits: an oversized body is a clean 413 (JSON in the API), never a 500.

The test client sends CONTENT_LENGTH from the body it is given unless a test overrides it, which is how a
lying header is simulated: the server reads at most the declared length (Django's LimitedStream, like a
WSGI server), so a body longer than its header is truncated, never buffered whole.
"""

import json

import pytest
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.http import HttpResponse
from django.test import Client, RequestFactory, override_settings
from django.urls import reverse

from apps.platform.security import RequestSizeLimitMiddleware

FIVE_MB = 5 * 1024 * 1024
EVENTS = "/api/v1/change-events"


def big_event() -> str:
    return json.dumps({"summary": "x" * FIVE_MB, "source": "ci", "dedup_key": "big-1"})


@pytest.mark.django_db
def test_default_limit_is_two_and_a_half_megabytes(settings):
    assert settings.DATA_UPLOAD_MAX_MEMORY_SIZE == 2_621_440
    assert settings.DATA_UPLOAD_MAX_NUMBER_FIELDS == 20000


@pytest.mark.django_db
def test_oversized_api_post_is_a_json_413(login, requester):
    response = login(requester).post(EVENTS, big_event(), content_type="application/json")
    assert response.status_code == 413
    assert response["Content-Type"] == "application/json"
    assert "larger than the 2621440 bytes" in response.json()["detail"]


@pytest.mark.django_db
def test_oversized_api_post_is_refused_before_authentication(client):
    response = client.post(EVENTS, big_event(), content_type="application/json")
    assert response.status_code == 413
    assert "detail" in response.json()


@pytest.mark.django_db
def test_oversized_form_post_is_a_413_page(login, requester):
    response = login(requester).post(reverse("changes:change_create"), {"title": "x" * FIVE_MB})
    assert response.status_code == 413
    assert response["Content-Type"].startswith("text/html")
    assert "Request too large" in response.content.decode()
    assert "Content-Security-Policy" in response


@pytest.mark.django_db
def test_a_header_declaring_too_much_is_refused_whatever_the_body(login, requester):
    client = login(requester)
    small = json.dumps({"summary": "tiny"})
    response = client.post(EVENTS, small, content_type="application/json", CONTENT_LENGTH=str(FIVE_MB))
    assert response.status_code == 413 and "detail" in response.json()
    response = client.post(reverse("changes:change_create"), {"title": "t"}, CONTENT_LENGTH=str(FIVE_MB))
    assert response.status_code == 413


@pytest.mark.django_db
def test_a_header_declaring_too_little_truncates_the_body_cleanly(login, requester):
    client = login(requester)
    response = client.post(EVENTS, big_event(), content_type="application/json", CONTENT_LENGTH="40")
    assert response.status_code == 400
    assert "detail" in response.json()
    form = f"title={'x' * FIVE_MB}&intent=draft"
    response = client.post(
        reverse("changes:change_create"), form, content_type="application/x-www-form-urlencoded", CONTENT_LENGTH="20"
    )
    assert response.status_code == 400  # the form re-rendered with its errors: the rest was never read


@pytest.mark.django_db
@pytest.mark.parametrize("declared", ["lots", "-1"])
def test_a_malformed_content_length_is_a_400(login, requester, declared):
    client = login(requester)
    response = client.post(EVENTS, "{}", content_type="application/json", CONTENT_LENGTH=declared)
    assert response.status_code == 400 and "Content-Length" in response.json()["detail"]
    response = client.post(reverse("changes:change_create"), {"title": "t"}, CONTENT_LENGTH=declared)
    assert response.status_code == 400


@pytest.mark.django_db
@override_settings(DATA_UPLOAD_MAX_NUMBER_FIELDS=10)
def test_too_many_fields_is_a_400_in_the_ui_and_json_in_the_api(login, requester):
    client = login(requester)
    fields = {f"field{i}": "v" for i in range(50)}
    response = client.post(reverse("changes:change_create"), fields)
    assert response.status_code == 400
    response = client.post("/api/v1/changes", fields)  # the API takes JSON only: a form body is never parsed
    assert response.status_code == 415 and "detail" in response.json()
    response = client.get("/api/v1/changes?" + "&".join(f"{name}=v" for name in fields))  # Django's QueryDict bounds
    assert response.status_code == 400
    assert response.json() == {"detail": "The request has more than 10 fields."}


@pytest.mark.parametrize(
    ("path", "exception", "status"),
    [
        ("/api/v1/changes", RequestDataTooBig(), 413),
        ("/changes/new/", RequestDataTooBig(), 413),
        ("/api/v1/changes", TooManyFieldsSent(), 400),
        ("/changes/new/", TooManyFieldsSent(), 400),
    ],
)
def test_limits_django_finds_while_parsing_get_the_same_clean_answers(path, exception, status):
    middleware = RequestSizeLimitMiddleware(lambda request: HttpResponse())
    request = RequestFactory().post(path)
    response = middleware.process_exception(request, exception)
    assert response.status_code == status
    if path.startswith("/api/"):
        assert "detail" in json.loads(response.content)
    else:
        assert response["Content-Type"].startswith("text/html")


@pytest.mark.django_db
@override_settings(DATA_UPLOAD_MAX_NUMBER_FIELDS=10)
def test_too_many_fields_from_a_real_browser_post_gets_a_readable_page(requester):
    """With CSRF enforced (as for a browser), the CSRF middleware reads the form first and Django's own 400
    handler answers: it must render our page, not a bare one."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(requester)
    client.get(reverse("changes:change_create"))  # sets the CSRF cookie, as the browser has it
    token = client.cookies["csrftoken"].value
    fields = {f"field{i}": "v" for i in range(50)} | {"csrfmiddlewaretoken": token}
    response = client.post(reverse("changes:change_create"), fields)
    assert response.status_code == 400
    page = response.content.decode()
    assert "Bad request" in page and "too many form fields" in page
