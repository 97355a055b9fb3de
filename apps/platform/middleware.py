from django.core.exceptions import TooManyFieldsSent
from django.http import HttpResponseBadRequest, JsonResponse

NEVER_VALID = "contains a NUL character (%00), which is never valid here."


class RejectNulBytesMiddleware:
    """PostgreSQL cannot store or compare text containing NUL: refuse it up front, in the path, a query parameter
    or a header, with a clear 400 naming where it is, instead of letting a query fail with a 500 deep inside a
    view. (Lone surrogates, the other text PostgreSQL refuses, cannot arrive this way: Django decodes the URL as
    UTF-8 and headers as Latin-1. In JSON bodies, where both can, apps.platform.api.parsers refuses them.)"""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if "\x00" in request.path:
            return self._refuse(request, None, f"The request {NEVER_VALID}")
        try:
            parameters = list(request.GET.lists())
        except TooManyFieldsSent:
            # The view meets it again when it reads the query, and RequestSizeLimitMiddleware answers that cleanly.
            return self.get_response(request)
        for name, values in parameters:
            if "\x00" in name:
                return self._refuse(request, None, f"A query parameter name {NEVER_VALID}")
            if any("\x00" in value for value in values):
                return self._refuse(request, name, f"The query parameter {name!r} {NEVER_VALID}")
        for name, value in request.headers.items():
            if "\x00" in value:
                return self._refuse(request, name, f"The {name} header {NEVER_VALID}")
        return self.get_response(request)

    @staticmethod
    def _refuse(request, name: str | None, message: str):
        if request.path.startswith("/api/"):
            # Like a serializer's errors: messages by the parameter's or header's name.
            return JsonResponse({"detail": message} if name is None else {name: [message]}, status=400)
        return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")
