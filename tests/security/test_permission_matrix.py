"""Every URL pattern and every API operation x every role -> the expected status (docs/permissions.md).

The endpoints are enumerated from the URL resolver and from the OpenAPI schema, and the tests below fail when
one of them is missing from the expectation tables or has a URL kwarg the world cannot fill: a new endpoint
cannot ship without a line here.
"""

import json
import re
from datetime import timedelta

import pytest
from django.contrib import admin
from django.test import Client, RequestFactory
from django.urls import URLResolver, get_resolver, reverse
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from apps.accounts.api.throttling import ApiRateThrottle
from apps.accounts.models import ApiToken, UserProfile
from tests.security.matrix_expectations import ADMIN_LOGIN, API, API_BODIES, UI_GET, assert_status
from tests.security.matrix_world import (
    API_ROLES,
    ROLES,
    api_client,
    private_throttle_cache,
    rolled_back_world,
    ui_client,
)

API_PREFIX = "api/v1/"


def _walk(patterns, prefix="", namespace="", kwargs=()):
    for pattern in patterns:
        names = (*kwargs, *pattern.pattern.regex.groupindex)
        if isinstance(pattern, URLResolver):
            inner = ":".join(part for part in (namespace, pattern.namespace) if part)
            if inner == "admin":
                yield "admin", prefix + str(pattern.pattern), names
                continue
            yield from _walk(pattern.url_patterns, prefix + str(pattern.pattern), inner, names)
        else:
            name = f"{namespace}:{pattern.name}" if namespace else (pattern.name or "")
            yield name, prefix + str(pattern.pattern), names


ROUTES = list(_walk(get_resolver().url_patterns))
UI_ROUTES = {name: kwargs for name, route, kwargs in ROUTES if not route.startswith(API_PREFIX) and name != "admin"}
API_ROUTES = {name: kwargs for name, route, kwargs in ROUTES if route.startswith(API_PREFIX)}
SCHEMA = SchemaGenerator().get_schema(request=None, public=True)
OPERATIONS = {
    operation["operationId"]: (path, method.upper())
    for path, methods in SCHEMA["paths"].items()
    for method, operation in methods.items()
}


def fill(world, name: str, kwargs) -> dict:
    values = world.url_kwargs()
    namespace = name.split(":")[0] if ":" in name else "api"
    filled = {}
    for kwarg in kwargs:
        key = f"{namespace}:{kwarg}" if f"{namespace}:{kwarg}" in values else kwarg
        assert key in values, f"{name}: no value for the URL kwarg {kwarg!r}: add it to World.url_kwargs()"
        filled[kwarg] = values[key]
    return filled


# --- Nothing escapes the tables -------------------------------------------------------------------------------


def test_every_url_pattern_is_in_the_table():
    assert set(UI_ROUTES) == set(UI_GET), {
        "missing from UI_GET": sorted(set(UI_ROUTES) - set(UI_GET)),
        "stale in UI_GET": sorted(set(UI_GET) - set(UI_ROUTES)),
    }
    assert "admin" in {name for name, _, _ in ROUTES}
    names = [name for name, _, _ in ROUTES]
    # An unnamed or twice-named pattern could not be told apart in the table.
    assert "" not in names and len(names) == len(set(names)), sorted(n for n in names if names.count(n) > 1)


def test_every_api_operation_is_in_the_table():
    assert set(OPERATIONS) == set(API), {
        "missing from API": sorted(set(OPERATIONS) - set(API)),
        "stale in API": sorted(set(API) - set(OPERATIONS)),
    }


def _schema_regex(path: str) -> re.Pattern:
    return re.compile("^" + re.sub(r"\{[^}]+\}", "[^/]+", path) + "$")


@pytest.fixture(scope="module", name="world")
def _world(django_db_setup, django_db_blocker):
    yield from rolled_back_world(django_db_blocker)


@pytest.fixture(autouse=True)
def _private_throttle_counts(monkeypatch):
    monkeypatch.setattr(ApiRateThrottle, "cache", private_throttle_cache())


@pytest.mark.django_db
def test_every_api_route_is_described_by_the_schema(world):
    """An API view left out of the schema would escape the operation matrix: every route must match a path."""
    paths = [_schema_regex(path) for path in SCHEMA["paths"]]
    for name, kwargs in API_ROUTES.items():
        url = reverse(name, kwargs=fill(world, name, kwargs))
        assert any(path.match(url) for path in paths), f"{name} ({url}) is not in the OpenAPI schema"


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(UI_ROUTES))
def test_every_url_kwarg_can_be_filled(world, name):
    assert reverse(name, kwargs=fill(world, name, UI_ROUTES[name]))


# --- UI: GET on every page x role ----------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "role"), [(name, role) for name in sorted(UI_GET) for role in ROLES])
def test_ui_get(world, name, role):
    url = reverse(name, kwargs=fill(world, name, UI_ROUTES.get(name, ())))
    expected = UI_GET[name][ROLES.index(role)]
    assert_status(ui_client(world, role).get(url), expected, f"GET {url} as {role}")


# --- API: every operation x role, token scopes and session ---------------------------------------------------


def api_url(world, path: str) -> str:
    resource = path.removeprefix("/api/v1/").split("/")[0]
    values = world.api_path_values()

    def value(match):
        key = (resource, match.group(1))
        assert key in values, f"{path}: no value for {key}: add it to World.api_path_values()"
        return str(values[key])

    return re.sub(r"\{([^}]+)\}", value, path)


@pytest.mark.django_db
@pytest.mark.parametrize(("operation", "role"), [(op, role) for op in sorted(API) for role in API_ROLES])
def test_api_operation(world, operation, role):
    path, method = OPERATIONS[operation]
    url = api_url(world, path)
    client = api_client(world, role)
    body = API_BODIES.get(operation, {}) if method != "GET" else None
    data = "" if body is None else json.dumps(body)
    response = client.generic(method, url, data=data, content_type="application/json")
    expected = API[operation][API_ROLES.index(role)]
    assert_status(response, expected, f"{method} {url} as {role}")
    if response.status_code >= 400:
        assert "detail" in response.json() or response.status_code == 400, response.content[:300]


# --- Admin: one group; non-staff are sent to the admin login, the superuser gets what each ModelAdmin allows ---


def _admin_urls(model, obj) -> dict[str, str]:
    info = (model._meta.app_label, model._meta.model_name)
    return {
        "changelist": reverse("admin:{}_{}_changelist".format(*info)),
        "add": reverse("admin:{}_{}_add".format(*info)),
        "change": reverse("admin:{}_{}_change".format(*info), args=[obj.pk]),
        "delete": reverse("admin:{}_{}_delete".format(*info), args=[obj.pk]),
    }


def _allowed(model_admin, page, request, obj) -> bool:
    if page == "changelist":
        return model_admin.has_view_or_change_permission(request)
    if page == "add":
        return model_admin.has_add_permission(request)
    if page == "change":
        return model_admin.has_view_or_change_permission(request, obj)
    return model_admin.has_delete_permission(request, obj)


ADMIN_MODELS = sorted(admin.site._registry.items(), key=lambda item: item[0]._meta.label)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("model", "role"),
    [(model, role) for model, _ in ADMIN_MODELS for role in ROLES],
    ids=[f"{model._meta.label}-{role}" for model, _ in ADMIN_MODELS for role in ROLES],
)
def test_admin(world, model, role):
    obj = model._default_manager.order_by("pk").first()
    assert obj is not None, f"The matrix world has no {model._meta.label}: add one to build_world()"
    client = ui_client(world, role)
    urls = _admin_urls(model, obj)
    if role != "admin":
        for url in urls.values():
            assert_status(client.get(url), ADMIN_LOGIN, f"GET {url} as {role}")
        return
    request = RequestFactory().get("/admin/")
    request.user = world.users["admin"]
    model_admin = admin.site._registry[model]
    for page, url in urls.items():
        expected = 200 if _allowed(model_admin, page, request, obj) else 403
        assert_status(client.get(url), expected, f"GET {url} as admin")


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_admin_site_pages(world, role):
    """The pages that belong to no model: only staff get them; everyone else is sent to the admin login."""
    client = ui_client(world, role)
    for name in ("admin:index", "admin:password_change", "admin:autocomplete", "admin:jsi18n"):
        url = reverse(name)
        if role == "admin":
            # autocomplete answers 403 to a request without its model/field parameters, even for staff.
            expected = 403 if name == "admin:autocomplete" else 200
        else:
            expected = ADMIN_LOGIN
        assert_status(client.get(url), expected, f"GET {url} as {role}")


# --- Feeds answer only to a valid feed token ------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["schedule:feed_ics", "schedule:feed_atom"])
def test_feeds_answer_only_to_a_valid_feed_token(world, name):
    url = reverse(name)
    token = world.objects["feed_token"]
    anonymous = Client()
    good = anonymous.get(url, {"token": token})
    assert good.status_code == 200 and b"Matrix draft" in good.content
    for bad in ["", "nope", token[:-1], token + "x", world.tokens["requester"], "x" * 5000]:
        response = anonymous.get(url, {"token": bad})
        assert response.status_code == 404, (bad[:20], response.status_code)
        assert b"Matrix" not in response.content
    UserProfile.objects.filter(user=world.users["requester"]).update(feed_token=None)
    assert anonymous.get(url, {"token": token}).status_code == 404


@pytest.mark.django_db
def test_feed_token_of_a_deactivated_user_is_refused(world):
    token = world.objects["feed_token"]
    type(world.users["requester"]).objects.filter(pk=world.users["requester"].pk).update(is_active=False)
    assert Client().get(reverse("schedule:feed_ics"), {"token": token}).status_code == 404


@pytest.mark.django_db
def test_revoked_expired_and_malformed_tokens_get_401(world):
    client = api_client(world, "requester")
    assert client.get("/api/v1/changes").status_code == 200
    token = ApiToken.objects.get(user=world.users["requester"], name="rw")
    token.expires_at = timezone.now() - timedelta(seconds=1)
    token.save(update_fields=["expires_at"])
    assert client.get("/api/v1/changes").status_code == 401
    ApiToken.objects.filter(pk=token.pk).update(expires_at=None, revoked_at=timezone.now())
    assert client.get("/api/v1/changes").status_code == 401
    for header in ("Bearer", "Bearer cp_x", "Bearer a b", "Token cp_00000000_nope"):
        assert APIClient(HTTP_AUTHORIZATION=header).get("/api/v1/changes").status_code == 401, header
