from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from apps.changes import permissions, services
from apps.changes.choices import HostExecutionState
from apps.changes.exceptions import ChangeError
from apps.changes.filtersets import ChangeFilterSet
from apps.changes.models import Change
from apps.core.htmx import is_partial_request, render_page_or_partial

PAGE_SIZE = 50


def _validation_text(exc: ValidationError) -> str:
    return " ".join(exc.messages)


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
    context = {"filterset": filterset, "page": page, "query": query.urlencode()}
    return render_page_or_partial(request, "changes/change_list.html", "changes/partials/change_table.html", context)


def _detail_context(request, change: Change) -> dict:
    links = list(change.host_links.select_related("host", "host__environment", "state_changed_by"))
    counts = {state: 0 for state in HostExecutionState.values}
    for link in links:
        counts[link.state] += 1
    return {
        "change": change,
        "host_links": links,
        "host_counts": counts,
        "pending_hosts": [link.host.hostname for link in links if link.state == HostExecutionState.PENDING],
        "activities": change.activities.select_related("actor"),
        "actions": permissions.available_actions(request.user, change),
        "can_edit": permissions.can_edit(request.user, change),
        "approvals": change.approvals.select_related("decided_by", "team"),
        "services": change.services.all(),
    }


@login_required
def change_detail(request, pk):
    change = get_object_or_404(
        Change.objects.select_related("environment", "team", "requester"),
        pk=pk,
    )
    return render(request, "changes/change_detail.html", _detail_context(request, change))


@login_required
@require_POST
def change_transition(request, pk):
    change = get_object_or_404(Change, pk=pk)
    target = request.POST.get("target", "")
    note = request.POST.get("note", "")
    error = ""
    try:
        change = services.transition_change(change=change, target=target, actor=request.user, note=note)
    except ChangeError as exc:
        error = exc.message
    except ValidationError as exc:
        error = _validation_text(exc)
    if not is_partial_request(request):
        if error:
            messages.error(request, error)
        else:
            messages.success(request, f"{change.reference} is now {change.get_status_display().lower()}.")
        return redirect(change)
    change = Change.objects.select_related("environment", "team", "requester").get(pk=pk)
    context = _detail_context(request, change) | {"action_error": error}
    # htmx swaps only 2xx responses by default, so the error travels inside the re-rendered panel.
    return render(request, "changes/partials/change_status_panel.html", context)


@login_required
@require_POST
def change_comment(request, pk):
    change = get_object_or_404(Change, pk=pk)
    try:
        services.add_comment(change=change, actor=request.user, text=request.POST.get("text", ""))
        comment_error = ""
    except ValidationError as exc:
        comment_error = _validation_text(exc)
    if not is_partial_request(request):
        if comment_error:
            messages.error(request, comment_error)
        return redirect(change)
    context = _detail_context(request, change) | {"comment_error": comment_error}
    return render(request, "changes/partials/activity_log.html", context)
