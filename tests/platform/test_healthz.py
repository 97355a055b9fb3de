import pytest
from django.urls import reverse

from apps.platform import views as platform_views


@pytest.mark.django_db
def test_healthz_reports_database_and_cache(client):
    response = client.get(reverse("platform:healthz"))
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "cache": "ok"}}


@pytest.mark.django_db
def test_healthz_stays_serving_when_only_the_cache_is_down(client, monkeypatch):
    def refused(*args, **kwargs):
        raise ConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(platform_views.cache, "set", refused)
    response = client.get(reverse("platform:healthz"))
    assert response.status_code == 200  # still serving: the load balancer keeps it
    assert response.json() == {"status": "degraded", "checks": {"database": "ok", "cache": "error: ConnectionError"}}
