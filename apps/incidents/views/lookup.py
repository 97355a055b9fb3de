"""The 07:30 screen: type a hostname, see every change that could have broken it, ranked and explained."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.views.decorators.http import require_GET

from apps.changes import hostpicker
from apps.incidents.forms import LookupForm
from apps.incidents.suspects import suspects_for_host
from apps.inventory.models import Host

TYPEAHEAD_LIMIT = 8


def _suspects_url(hostname: str, query: dict) -> str:
    params = {key: value for key, value in query.items() if key in ("at", "hours") and value}
    url = reverse("bridge:host_suspects", args=[hostname])
    return f"{url}?{urlencode(params)}" if params else url


@login_required
@require_GET
def lookup(request):
    """The search box's target: an exact hostname opens its suspects, anything else lists the matches."""
    form = LookupForm(request.GET or None)
    matches = []
    if form.is_bound and form.is_valid() and form.cleaned_data["host"]:
        name = form.cleaned_data["host"]
        if Host.objects.filter(hostname=name).exists():
            return redirect(_suspects_url(name, request.GET))
        matches = hostpicker.search(name, limit=20)
        if len(matches) == 1:
            return redirect(_suspects_url(matches[0].hostname, request.GET))
    return render(request, "incidents/lookup.html", {"form": form, "matches": matches})


@login_required
@require_GET
def host_suspects(request, hostname):
    host = get_object_or_404(
        Host.objects.select_related("environment").prefetch_related("services"), hostname=hostname.lower()
    )
    form = LookupForm(request.GET or None, initial={"host": host.hostname})
    at, hours = None, LookupForm.base_fields["hours"].initial
    if form.is_bound and form.is_valid():
        at, hours = form.cleaned_data["at"], form.cleaned_data["hours"]
    report = suspects_for_host(host, at=at, hours=hours)
    at_local = timezone.localtime(report.at)
    context = {
        "host": host,
        "form": form,
        "report": report,
        "at_local": at_local,
        "at_is_now": at is None,
        "incident_url": reverse("incidents:incident_create")
        + "?"
        + urlencode({"host": host.hostname, "at": at_local.strftime("%Y-%m-%dT%H:%M"), "hours": hours}),
    }
    return render(request, "incidents/host_suspects.html", context)


@login_required
@require_GET
def host_search(request):
    """Type-ahead for the navigation's search box: links straight to each host's suspects."""
    query = request.GET.get("host", "")
    results = hostpicker.search(query, limit=TYPEAHEAD_LIMIT)
    return render(request, "incidents/partials/host_typeahead.html", {"results": results, "query": query.strip()})
