"""Actions on one change from its page: status moves, comments, per-host execution."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_POST

from apps.changes import permissions, services
from apps.changes.choices import HostExecutionState
from apps.changes.exceptions import ChangeError, ChangeForbidden
from apps.changes.models import Change
from apps.changes.views.browse import detail_context, host_table_context
from apps.inventory.models import Host
from apps.platform.htmx import action_response


def _validation_text(exc: ValidationError) -> str:
    return " ".join(exc.messages)


def refused(request, change: Change, error: str):
    """A full-page post the user had no right to make: the change page with the reason, as a 403 (not a redirect
    that reads like success to scripts and scanners). ``error`` is already in the messages (action_response)."""
    change = Change.objects.select_related("environment", "team", "requester").get(pk=change.pk)
    context = detail_context(request, change) | {"can_create": permissions.can_create(request.user)}
    return render(request, "changes/change_detail.html", context, status=403)


def _reply(request, change: Change, error: str, success: str, partial: str, extra: dict | None = None, forbidden=False):
    """Full-page posts get a redirect with a message; htmx posts get the re-rendered fragment."""

    def fragment():
        shown = Change.objects.select_related("environment", "team", "requester").get(pk=change.pk)
        context = detail_context(request, shown) | {"action_error": error, "action_success": success} | (extra or {})
        return render(request, partial, context)

    return action_response(
        request,
        redirect_to=change,
        fragment=fragment,
        error=error,
        success=success,
        refuse=(lambda: refused(request, change, error)) if forbidden else None,
        trigger="changeUpdated",
    )


@login_required
@require_POST
def change_transition(request, pk):
    change = get_object_or_404(Change, pk=pk)
    error, success, forbidden = "", "", False
    try:
        change = services.transition_change(
            change=change,
            target=request.POST.get("target", ""),
            actor=request.user,
            note=request.POST.get("note", ""),
            confirm_incomplete=request.POST.get("confirm_incomplete") == "on",
        )
        success = f"{change.reference} is now {change.get_status_display().lower()}."
    except ChangeError as exc:
        error, forbidden = exc.message, isinstance(exc, ChangeForbidden)
    except ValidationError as exc:
        error = _validation_text(exc)
    return _reply(request, change, error, success, "changes/partials/change_status_panel.html", forbidden=forbidden)


@login_required
@require_POST
def change_comment(request, pk):
    change = get_object_or_404(Change, pk=pk)
    error = ""
    try:
        services.add_comment(change=change, actor=request.user, text=request.POST.get("text", ""))
    except ValidationError as exc:
        error = _validation_text(exc)
    return _reply(request, change, error, "", "changes/partials/activity_log.html", {"comment_error": error})


@login_required
@require_POST
def change_host_states(request, pk):
    """Record execution on several hosts at once: the checked ones, or every pending one."""
    change = get_object_or_404(Change, pk=pk)
    state = request.POST.get("state", "")
    if request.POST.get("scope") == "all_pending":
        hosts = list(Host.objects.filter(change_links__change=change, change_links__state=HostExecutionState.PENDING))
    else:
        hosts = list(Host.objects.filter(change_links__change=change, hostname__in=request.POST.getlist("hosts")))
    error, success, forbidden = "", "", False
    if not hosts:
        error = "Select at least one host (or use “all pending”)."
    else:
        try:
            updated = services.set_host_states(
                change=change, hosts=hosts, state=state, actor=request.user, note=request.POST.get("note", "")
            )
            label = HostExecutionState(state).label.lower()
            success = f"Marked {len(updated)} host{'s' if len(updated) != 1 else ''} {label}." if updated else ""
            success = success or "Those hosts were already in that state."
        except ChangeError as exc:
            error, forbidden = exc.message, isinstance(exc, ChangeForbidden)
        except ValidationError as exc:
            error = _validation_text(exc)
    return action_response(
        request,
        redirect_to=change,
        fragment=lambda: render(
            request,
            "changes/partials/host_table.html",
            host_table_context(request, change) | {"host_error": error, "host_success": success},
        ),
        error=error,
        success=success,
        refuse=(lambda: refused(request, change, error)) if forbidden else None,
        trigger="changeUpdated",
    )
