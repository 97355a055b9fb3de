from datetime import timedelta

from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from apps.changes.choices import ChangeStatus
from apps.changes.models import Change


@login_required
def home(request):
    now = timezone.now()
    base = Change.objects.select_related("environment", "team").order_by("eff_start", "id")
    context = {
        "in_progress": base.filter(status=ChangeStatus.IN_PROGRESS)[:20],
        "upcoming": base.active().filter(eff_start__gte=now, eff_start__lt=now + timedelta(days=7))[:20],
        "awaiting_approval": base.filter(status=ChangeStatus.SUBMITTED)[:20],
        "recent": Change.objects.select_related("environment", "team")
        .filter(eff_end__lte=now, eff_end__gte=now - timedelta(days=3))
        .exclude(status__in=ChangeStatus.inactive())
        .order_by("-eff_end", "-id")[:20],
        "now": now,
    }
    return render(request, "core/home.html", context)


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
