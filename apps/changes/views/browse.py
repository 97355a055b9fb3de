from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count
from django.shortcuts import get_object_or_404, render

from apps.changes import permissions, state_machine
from apps.changes.choices import HostExecutionState
from apps.changes.collisions import collisions_for_change
from apps.changes.filtersets import ChangeFilterSet
from apps.changes.models import Change
from apps.platform.htmx import is_partial_request, render_page_or_partial

PAGE_SIZE = 50
# Parts of the change page that htmx refreshes after an action elsewhere on the page.
DETAIL_FRAGMENTS = {
    "activity": "changes/partials/activity_entries.html",
    "status": "changes/partials/change_status_panel.html",
    "collisions": "changes/partials/collision_warnings.html",
}


@login_required
def change_list(request):
    queryset = (
        Change.objects.select_related("environment", "team", "requester")
        .annotate(host_count=Count("host_links", distinct=True))
        .order_by("-eff_start", "-id")
    )
    filterset = ChangeFilterSet(request.GET or None, queryset=queryset)
    changes = filterset.qs if filterset.is_bound and filterset.is_valid() else queryset
    page = Paginator(changes, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "filterset": filterset,
        "page": page,
        "query": query.urlencode(),
        "can_create": permissions.can_create(request.user),
    }
    return render_page_or_partial(request, "changes/change_list.html", "changes/partials/change_table.html", context)


def host_table_context(request, change: Change) -> dict:
    links = list(change.host_links.select_related("host", "host__environment", "state_changed_by"))
    counts = {state: 0 for state in HostExecutionState.values}
    for link in links:
        counts[link.state] += 1
    return {
        "change": change,
        "host_links": links,
        "host_counts": counts,
        "pending_hosts": [link.host.hostname for link in links if link.state == HostExecutionState.PENDING],
        "failed_hosts": [link.host.hostname for link in links if link.state == HostExecutionState.FAILED],
        "unfinished_count": counts[HostExecutionState.PENDING] + counts[HostExecutionState.FAILED],
        "host_states": HostExecutionState.choices,
        "can_edit": permissions.can_edit(request.user, change),
    }


def detail_context(request, change: Change) -> dict:
    active = change.status not in state_machine.NEVER_RAN
    caps = permissions.capabilities(request.user, change)
    return host_table_context(request, change) | {
        "activities": change.activities.select_related("actor"),
        "actions": caps.actions,
        "caps": caps,
        "collisions": collisions_for_change(change) if active else None,
        "services": change.services.all(),
    }


@login_required
def change_detail(request, pk):
    change = get_object_or_404(
        Change.objects.select_related("environment", "team", "requester"),
        pk=pk,
    )
    context = detail_context(request, change) | {"can_create": permissions.can_create(request.user)}
    fragment = DETAIL_FRAGMENTS.get(request.GET.get("fragment", ""))
    if fragment and is_partial_request(request):
        return render(request, fragment, context)
    return render(request, "changes/change_detail.html", context)
