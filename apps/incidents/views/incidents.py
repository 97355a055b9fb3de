"""Incident list, opening an incident, and the live bridge page."""

import hashlib
import re

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET, require_POST

from apps.changes.views.picker import PickerUrls, picker_actions, picker_context
from apps.changes.views.picker import picker_search as picker_search_view
from apps.incidents import services
from apps.incidents.bridge import bridge_context
from apps.incidents.choices import IncidentStatus
from apps.incidents.forms import IncidentForm, LookupForm
from apps.incidents.live_marker import live_marker
from apps.incidents.models import Incident

PAGE_SIZE = 50
# The parts of the bridge page that change while people work; each is one template, polled together.
LIVE_FRAGMENTS = (
    ("header", "incidents/partials/header.html"),
    ("suspects", "incidents/partials/suspects.html"),
    ("matrix", "incidents/partials/matrix.html"),
    ("drift", "incidents/partials/drift.html"),
    ("backouts", "incidents/partials/backouts.html"),
    ("findings", "incidents/partials/findings.html"),
    ("timeline", "incidents/partials/timeline.html"),
)
POLL_SECONDS = 4
CSRF_INPUT = re.compile(r'<input type="hidden" name="csrfmiddlewaretoken" value="[^"]*">')


@login_required
@require_GET
def incident_list(request):
    incidents = Incident.objects.order_by("-started_at", "-id")
    status = request.GET.get("status", "")
    if status in IncidentStatus.values:
        incidents = incidents.filter(status=status)
    elif status != "all":
        status = ""  # the default: what the bridge is still working on
        incidents = incidents.exclude(status=IncidentStatus.RESOLVED)
    page = Paginator(incidents.select_related("opened_by"), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request, "incidents/incident_list.html", {"page": page, "status": status, "statuses": IncidentStatus.choices}
    )


# The change form's host picker, posting to this app's URLs (same views, same rules, same template).
INCIDENT_PICKER = PickerUrls(
    actions="incidents:form_hosts",
    search="incidents:picker_search",
    empty="No host yet: type a hostname below, or name the affected services.",
)


def _picker(form: IncidentForm) -> dict:
    paste = form.data.get("hosts_paste", "") if form.is_bound else ""
    return picker_context(INCIDENT_PICKER, form.posted_hostnames(), unknown=form.unknown_hosts, paste_kept=paste)


def _initial(request) -> dict:
    lookup = LookupForm(request.GET)
    initial = {"started_at": timezone.localtime().replace(second=0, microsecond=0)}
    if lookup.is_valid():
        if lookup.cleaned_data["host"]:
            initial["hosts"] = [lookup.cleaned_data["host"]]
        if lookup.cleaned_data["at"]:
            initial["started_at"] = lookup.cleaned_data["at"]
        initial["window_hours"] = lookup.cleaned_data["hours"]
    return initial


@login_required
def incident_create(request):
    if request.method != "POST":
        form = IncidentForm(initial=_initial(request))
        return render(request, "incidents/incident_form.html", {"form": form, "picker": _picker(form)})
    form = IncidentForm(request.POST)
    if form.is_valid():
        try:
            incident = services.open_incident(
                actor=request.user,
                title=form.cleaned_data["title"],
                severity=form.cleaned_data["severity"],
                started_at=form.cleaned_data["started_at"],
                window_hours=form.cleaned_data["window_hours"],
                hosts=form.resolved_hosts,
                services=form.cleaned_data["services"],
                bridge_url=form.cleaned_data["bridge_url"],
            )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, f"{incident.reference} opened. Share this page with the bridge.")
            return redirect(incident)
    return render(request, "incidents/incident_form.html", {"form": form, "picker": _picker(form)}, status=400)


@login_required
@require_POST
def form_hosts(request):
    """The incident form's host picker: the change form's actions (add, remove, group, paste)."""
    return picker_actions(request, INCIDENT_PICKER)


@login_required
@require_GET
def picker_search(request):
    return picker_search_view(request, INCIDENT_PICKER)


def _incident(pk) -> Incident:
    return get_object_or_404(Incident.objects.select_related("opened_by"), pk=pk)


def live_fragments(request, incident: Incident, **extra) -> tuple[dict[str, str], str]:
    """The changing parts of the bridge, rendered once, and a digest of them (the poller sends it back)."""
    if not extra.get("marker"):  # computed before the rendering, like the poll's
        extra["marker"] = live_marker(incident.pk) or ""
    context = bridge_context(incident, request.user) | {"poll_seconds": POLL_SECONDS} | extra
    fragments = {name: render_to_string(template, context, request=request) for name, template in LIVE_FRAGMENTS}
    # The masked CSRF token differs on every render: leave it out of the comparison.
    stable = CSRF_INPUT.sub("", "".join(fragments.values()))
    digest = hashlib.sha256(stable.encode()).hexdigest()[:16]
    context |= {"digest": digest}
    fragments["extras"] = render_to_string("incidents/partials/live_extras.html", context, request=request)
    return fragments, digest


def render_live(
    request, incident: Incident, *, since: str = "", flash: str = "", flash_error: bool = False, marker: str = ""
):
    """Every changing part as an out-of-band swap. Unchanged since ``since``: only the poller itself, carrying
    the new marker (so the next poll is cheap again), or 204 when the marker did not move either."""
    fragments, digest = live_fragments(request, incident, flash=flash, flash_error=flash_error, marker=marker)
    if since and since == digest and not flash:
        if marker and request.GET.get("m") not in (None, marker):
            return HttpResponse(fragments["extras"])
        return HttpResponse(status=204)
    return HttpResponse("".join(fragments.values()))


@login_required
@require_GET
def incident_detail(request, pk):
    return render_detail(request, _incident(pk))


def render_detail(request, incident: Incident, *, status: int = 200):
    fragments, _digest = live_fragments(request, incident)
    context = {"incident": incident, "live": {name: mark_safe(html) for name, html in fragments.items()}}
    return render(request, "incidents/incident_detail.html", context, status=status)


@login_required
@require_GET
def incident_live(request, pk):
    """The poll. Nothing new since the marker the page holds (``m``): 204 after one query, no ranking."""
    marker = live_marker(pk)  # before rendering: a write while we render moves it for the next poll
    if marker is None:
        raise Http404("No such incident.")
    if marker == request.GET.get("m") and request.GET.get("v"):
        return HttpResponse(status=204)
    return render_live(request, _incident(pk), since=request.GET.get("v", ""), marker=marker)
