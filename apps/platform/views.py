"""The health check: the one page of the platform layer."""

from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.http import require_GET


@require_GET
def healthz(request):
    """Liveness and readiness for load balancers and docker-compose: database and cache reachable."""
    checks = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = "ok"
    except Exception as exc:  # noqa: BLE001 - report any failure as unhealthy
        checks["database"] = f"error: {exc.__class__.__name__}"
    try:
        cache.set("healthz", "ok", 5)
        checks["cache"] = "ok" if cache.get("healthz") == "ok" else "error: read back failed"
    except Exception as exc:  # noqa: BLE001
        checks["cache"] = f"error: {exc.__class__.__name__}"
    healthy = all(value == "ok" for value in checks.values())
    # Only the database makes the app unable to serve: without the cache it still answers (rate limits and the
    # login throttle stop counting), so a Redis outage must not take web containers out of the load balancer.
    serving = checks["database"] == "ok"
    return JsonResponse({"status": "ok" if healthy else "degraded", "checks": checks}, status=200 if serving else 503)
