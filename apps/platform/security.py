"""Protections Django's SecurityMiddleware does not give: a Content-Security-Policy header on HTML, and a
request-body limit that answers before anything reads the body (see docs/security.md)."""

import secrets

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.http import HttpResponse, JsonResponse
from django.utils.html import format_html


class CspNonce:
    """A per-request nonce, made on first use. The policy names it only if a template printed it, so pages
    without inline code keep the plain ``script-src 'self'``."""

    __slots__ = ("_value",)

    def __init__(self):
        self._value = ""

    def __str__(self):
        if not self._value:
            self._value = secrets.token_urlsafe(18)
        return self._value

    @property
    def used(self) -> bool:
        return bool(self._value)


def build_policy(nonce: str = "") -> str:
    directives = {name: list(sources) for name, sources in settings.CONTENT_SECURITY_POLICY.items()}
    if nonce:
        for name in ("script-src", "style-src"):
            directives.setdefault(name, list(directives.get("default-src", ["'self'"])))
            directives[name].append(f"'nonce-{nonce}'")
    if settings.CSP_REPORT_URI:
        directives["report-uri"] = [settings.CSP_REPORT_URI]
    return "; ".join(f"{name} {' '.join(sources)}" for name, sources in directives.items())


def policy_header_name() -> str:
    return "Content-Security-Policy-Report-Only" if settings.CSP_REPORT_ONLY else "Content-Security-Policy"


class ContentSecurityPolicyMiddleware:
    """Adds the policy to every HTML response. Templates that need an inline block print
    ``{{ request.csp_nonce }}`` in its nonce attribute (only the Swagger UI page does)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        nonce = CspNonce()
        request.csp_nonce = nonce
        response = self.get_response(request)
        header = policy_header_name()
        if settings.DEBUG and response.status_code in (404, 500):
            # Django's technical 404/500 pages (DEBUG only) are styled and scripted inline.
            return response
        if response.get("Content-Type", "").startswith("text/html") and header not in response:
            response[header] = build_policy(str(nonce) if nonce.used else "")
        return response


def _error(request, status: int, title: str, message: str) -> HttpResponse:
    if request.path_info.startswith("/api/"):
        return JsonResponse({"detail": message}, status=status)
    if request.path_info.startswith("/v2/"):
        # The PagerDuty-compatible endpoint (apps.ingest.enqueue): its clients read PagerDuty's error shape.
        return JsonResponse({"status": "invalid event", "message": message, "errors": [message]}, status=status)
    page = format_html(
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{} · ChangePortal</title></head>'
        "<body><h1>{}</h1><p>{}</p></body></html>",
        title,
        title,
        message,
    )
    return HttpResponse(page, status=status, content_type="text/html; charset=utf-8")


def _too_large(request, declared: int | None = None) -> HttpResponse:
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    size = f" ({declared} bytes)" if declared is not None else ""
    message = f"The request body{size} is larger than the {limit} bytes this server accepts."
    return _error(request, 413, "Request too large", message)


class RequestSizeLimitMiddleware:
    """Refuses a body whose declared Content-Length exceeds DATA_UPLOAD_MAX_MEMORY_SIZE with a 413 up front.
    Django itself only checks when something reads request.body or request.POST, and then answers with a bare
    400 page (HTML even in the API). A body longer than its Content-Length is never read past it (the WSGI
    server and Django bound the stream by the header), so the header is what has to be checked."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        declared = request.META.get("CONTENT_LENGTH")
        if declared:
            try:
                length = int(declared)
            except ValueError:
                length = -1
            if length < 0:
                return _error(request, 400, "Bad request", "The Content-Length header is not a valid size.")
            limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
            if limit is not None and length > limit:
                return _too_large(request, length)
        return self.get_response(request)

    def process_exception(self, request, exception):
        # Django raises these lazily when a view parses the body; without this they are a bare 400 page
        # (HTML even in the API).
        if isinstance(exception, RequestDataTooBig):
            return _too_large(request)
        if isinstance(exception, TooManyFieldsSent):
            limit = settings.DATA_UPLOAD_MAX_NUMBER_FIELDS
            return _error(request, 400, "Too many fields", f"The request has more than {limit} fields.")
        return None
