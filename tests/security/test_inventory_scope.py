"""An inventory token (a staff user's, for a CMDB sync) across every API operation: it reads what its user reads and
writes hosts and services as its user may, and every other write is refused (403) before anything is looked at."""

import json

import pytest
from rest_framework.test import APIClient

from apps.accounts.api.throttling import ApiRateThrottle
from apps.accounts.choices import TokenScope
from apps.accounts.tokens import create_api_token
from tests.security.matrix_expectations import API, API_BODIES, assert_status
from tests.security.matrix_world import API_ROLES, private_throttle_cache, rolled_back_world
from tests.security.test_permission_matrix import OPERATIONS, api_url

ADMIN = API_ROLES.index("admin")
INVENTORY_PATHS = ("/api/v1/hosts", "/api/v1/services")


@pytest.fixture(scope="module", name="world")
def _world(django_db_setup, django_db_blocker):
    yield from rolled_back_world(django_db_blocker)


@pytest.fixture(autouse=True)
def _private_throttle_counts(monkeypatch):
    monkeypatch.setattr(ApiRateThrottle, "cache", private_throttle_cache())


def _inventory_write(path: str) -> bool:
    return any(path == prefix or path.startswith(prefix + "/") for prefix in INVENTORY_PATHS)


@pytest.mark.django_db
@pytest.mark.parametrize("operation", sorted(API))
def test_inventory_token(world, operation):
    path, method = OPERATIONS[operation]
    token = create_api_token(user=world.users["admin"], name="cmdb", scope=TokenScope.INVENTORY).plaintext
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    body = API_BODIES.get(operation, {}) if method != "GET" else None
    response = client.generic(
        method, api_url(world, path), data="" if body is None else json.dumps(body), content_type="application/json"
    )
    if method == "GET" or _inventory_write(path):
        expected = API[operation][ADMIN]  # what the same staff user gets with a read-write token
    else:
        expected = 403
    assert_status(response, expected, f"{method} {path} with an inventory token")
    if expected == 403 and method != "GET":
        assert "hosts and services" in response.json()["detail"]
