import uuid

import pytest
from django.core.cache.backends.locmem import LocMemCache
from rest_framework.test import APIClient

from apps.accounts.api.throttling import ApiRateThrottle
from apps.accounts.choices import TokenScope
from apps.accounts.tokens import create_api_token


@pytest.fixture
def api_as(monkeypatch):
    """``api_as(user)`` → an APIClient with that user's new read-write token, free of the rate limit."""
    # A fuzz run sends hundreds of requests with one token: a private, empty throttle cache keeps them all in.
    monkeypatch.setattr(ApiRateThrottle, "cache", LocMemCache(f"fuzz-throttle-{uuid.uuid4()}", {}))

    def _client(user):
        client = APIClient()
        token = create_api_token(user=user, name="fuzz", scope=TokenScope.READ_WRITE).plaintext
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
        return client

    return _client
