from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, HttpResponseBadRequest, StreamingHttpResponse
from django.utils import timezone
from django.views.decorators.http import require_GET

from apps.changes.filtersets import ChangeFilterSet
from apps.changes.models import Change
from apps.core.htmx import is_partial_request, render_page_or_partial
from apps.schedule.export import csv_lines, export_queryset
from apps.schedule.feeds import BadFilters, ChangeAtomFeed, build_ics
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


@require_GET
def feed_ics(request):
    try:
        body, truncated = build_ics(request)
    except BadFilters as exc:
        return HttpResponseBadRequest(f"Bad filters: {exc}", content_type="text/plain; charset=utf-8")
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8", headers=FEED_HEADERS)
    response["Content-Disposition"] = 'inline; filename="changeportal.ics"'
    if truncated:
        response["X-Feed-Truncated"] = "true"
    return response


_atom = ChangeAtomFeed()


@require_GET
def feed_atom(request):
    try:
        response = _atom(request)
    except BadFilters as exc:
        return HttpResponseBadRequest(f"Bad filters: {exc}", content_type="text/plain; charset=utf-8")
    for name, value in FEED_HEADERS.items():
        response[name] = value
    return response


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
