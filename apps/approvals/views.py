from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from apps.approvals import services
from apps.approvals.decision_panel import decision_context
from apps.changes.exceptions import ChangeError, ChangeForbidden
from apps.changes.models import Change
from apps.changes.views.actions import refused
from apps.changes.views.browse import detail_context
from apps.platform.htmx import is_partial_request

INBOX_SIZE = 50


@login_required
def inbox(request):
    changes = services.inbox_for(request.user)
    rows = [decision_context(request.user, change) for change in changes[:INBOX_SIZE]]
    return render(request, "approvals/inbox.html", {"rows": rows, "total": len(changes), "shown": len(rows)})


@login_required
@require_POST
def decide(request, pk):
    """Approve or reject from the inbox row (``from=inbox``) or the change page's status panel."""
    change = get_object_or_404(Change, pk=pk)
    error, success = "", ""
    try:
        approval = services.decide(
            change=change,
            actor=request.user,
            decision=request.POST.get("decision", ""),
            comment=request.POST.get("comment", ""),
            team=request.POST.get("team") or None,
        )
        success = f"You {approval.get_decision_display().lower()} {change.reference}."
    except ChangeForbidden as exc:
        if not is_partial_request(request):
            return refused(request, change, exc.message)
        error = exc.message
    except ChangeError as exc:
        error = exc.message
    except ValidationError as exc:
        error = " ".join(exc.messages)
    if not is_partial_request(request):
        if error:
            messages.error(request, error)
        else:
            messages.success(request, success)
        return redirect("approvals:inbox" if request.POST.get("from") == "inbox" else change)
    change = Change.objects.select_related("environment", "team", "requester").get(pk=pk)
    if request.POST.get("from") == "inbox":
        context = decision_context(request.user, change) | {"error": error, "success": success, "row": True}
        response = render(request, "approvals/partials/inbox_row.html", context)
    else:
        context = detail_context(request, change) | {"action_error": error, "action_success": success}
        response = render(request, "changes/partials/change_status_panel.html", context)
    response["HX-Trigger"] = "changeUpdated"
    return response
