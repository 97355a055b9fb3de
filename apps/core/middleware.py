from django.http import HttpResponseBadRequest, JsonResponse


class RejectNulBytesMiddleware:
    """PostgreSQL cannot store or compare text containing NUL: refuse such input up front with a clear 400
    instead of letting a query fail with a 500 deep inside a view."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if "\x00" in request.path or any("\x00" in key + value for key, value in request.GET.items()):
            message = "The request contains a NUL character (%00), which is never valid here."
            if request.path.startswith("/api/"):
                return JsonResponse({"detail": message}, status=400)
            return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")
        return self.get_response(request)
