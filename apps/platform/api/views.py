"""The answer to a path under /api/ that names no endpoint: a JSON 404 like every other API error."""

from django.conf import settings
from django.http import HttpResponsePermanentRedirect, JsonResponse
from django.urls import Resolver404, resolve
from django.views.decorators.csrf import csrf_exempt


@csrf_exempt  # it changes nothing, and a POST to a wrong path should learn that it is wrong, not about CSRF
def api_not_found(request, *args, **kwargs):
    # The catch-all would shadow CommonMiddleware's APPEND_SLASH redirect (/api/docs -> /api/docs/): keep it.
    if settings.APPEND_SLASH and request.method in ("GET", "HEAD") and not request.path_info.endswith("/"):
        try:
            match = resolve(request.path_info + "/")
        except Resolver404:
            match = None
        if match is not None and match.func is not api_not_found:
            return HttpResponsePermanentRedirect(request.get_full_path(force_append_slash=True))
    # No trailing slash on the API's own routes (/api/v1/changes, not /api/v1/changes/).
    return JsonResponse({"detail": f"No API endpoint at {request.path}."}, status=404)
