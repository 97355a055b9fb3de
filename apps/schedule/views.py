from collections.abc import Callable

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, HttpResponseBadRequest, StreamingHttpResponse
from django.utils import timezone
from django.utils.cache import get_conditional_response, patch_vary_headers
from django.utils.http import http_date
from django.views.decorators.gzip import gzip_page
from django.views.decorators.http import require_GET, require_safe

from apps.changes.filtersets import ChangeFilterSet
from apps.changes.models import Change
from apps.platform.htmx import is_partial_request, render_page_or_partial
from apps.schedule.export import csv_lines, export_queryset
from apps.schedule.feeds import AtomFeed, BadFilters, ChangeAtomFeed, FeedVersion, IcsFeed
from apps.schedule.pages import calendar_context
from apps.schedule.state import CalendarState, filter_params
from apps.schedule.visible import changes_in_window

FEED_HEADERS = {"Cache-Control": "private, max-age=300", "X-Robots-Tag": "noindex"}


@login_required
@require_GET
def calendar(request):
    now = timezone.now()
    state = CalendarState.from_params(request.GET, zone=timezone.get_current_timezone(), now=now)
    filterset = ChangeFilterSet(state.filters or None, queryset=changes_in_window(state.start, state.end))
    context = calendar_context(state=state, filterset=filterset, user=request.user, now=now)
    return render_page_or_partial(request, "schedule/calendar.html", "schedule/partials/calendar_body.html", context)


def _bad_filters(exc: BadFilters) -> HttpResponse:
    return HttpResponseBadRequest(f"Bad filters: {exc}", content_type="text/plain; charset=utf-8")


def _conditional(request, version: FeedVersion, render: Callable[[], HttpResponse]) -> HttpResponse:
    """A 304 when the client's copy is current (If-None-Match, else If-Modified-Since), the rendered feed otherwise;
    both carry the same validators and caching headers (RFC 9110 15.4.5).

    Not ``@condition``: its validator callables would check the token and parse the filters apart from the view;
    this is the function it calls, given the feed the view already checked."""
    last_modified = int(version.last_modified.timestamp())
    response = get_conditional_response(request, etag=version.etag, last_modified=last_modified)
    if response is None:
        response = render()
    elif response.status_code != 304:
        return response  # 412 for a failed If-Match / If-Unmodified-Since
    for name, value in FEED_HEADERS.items():
        response[name] = value
    response["ETag"] = version.etag
    response["Last-Modified"] = http_date(last_modified)
    patch_vary_headers(response, ["Accept-Encoding"])
    return response


# Feeds: GET and HEAD (the same headers, the server drops the body), compressed when the client accepts gzip. Gzip
# is safe from BREACH here: the body holds no secret (the token is in the URL, there is no CSRF token), unlike
# the site's pages, which stay uncompressed. The token and the filters are checked before any 304.
@require_safe
@gzip_page
def feed_ics(request):
    try:
        feed = IcsFeed.from_request(request)
    except BadFilters as exc:
        return _bad_filters(exc)

    def render() -> HttpResponse:
        body, truncated = feed.render()
        response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
        response["Content-Disposition"] = 'inline; filename="changeportal.ics"'
        if truncated:
            response["X-Feed-Truncated"] = "true"
        return response

    return _conditional(request, feed.version, render)


_atom = ChangeAtomFeed()


@require_safe
@gzip_page
def feed_atom(request):
    try:
        feed = AtomFeed.from_request(request)
    except BadFilters as exc:
        return _bad_filters(exc)
    return _conditional(request, feed.version, lambda: _atom(request, feed=feed))


@login_required
@require_GET
def change_export(request):
    filterset = ChangeFilterSet(filter_params(request.GET), queryset=Change.objects.all())
    if not filterset.is_valid():
        return HttpResponseBadRequest("Some filters were not understood: " + "; ".join(filterset.errors))
    if is_partial_request(request):
        # The list's "Export CSV" button sends the live filter form through htmx; answer with the file's URL.
        response = HttpResponse(status=204)
        response["HX-Redirect"] = f"{request.path}?{filterset.form.data.urlencode()}"
        return response
    zone = timezone.get_current_timezone()
    lines = csv_lines(export_queryset(filterset.qs), zone)
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="changes-{timezone.localtime():%Y%m%d-%H%M}.csv"'
    return response
