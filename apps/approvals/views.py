from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_POST

from apps.approvals import services
from apps.approvals.inbox import inbox_rows
from apps.changes.exceptions import ChangeError, ChangeForbidden
from apps.changes.models import Change
from apps.changes.views.actions import refused
from apps.changes.views.browse import detail_context
from apps.platform.htmx import action_response

INBOX_SIZE = 50


@login_required
def inbox(request):
    changes = services.inbox_for(request.user)
    rows = inbox_rows(request.user, changes[:INBOX_SIZE])
    return render(request, "approvals/inbox.html", {"rows": rows, "total": len(changes), "shown": len(rows)})


@login_required
@require_POST
def decide(request, pk):
    """Approve or reject from the inbox row (``from=inbox``) or the change page's status panel."""
    change = get_object_or_404(Change, pk=pk)
    error, success, forbidden = "", "", False
    try:
        approval = services.decide(
            change=change,
            actor=request.user,
            decision=request.POST.get("decision", ""),
            comment=request.POST.get("comment", ""),
            team=request.POST.get("team") or None,
        )
        success = f"You {approval.get_decision_display().lower()} {change.reference}."
    except ChangeError as exc:
        error, forbidden = exc.message, isinstance(exc, ChangeForbidden)
    except ValidationError as exc:
        error = " ".join(exc.messages)
    from_inbox = request.POST.get("from") == "inbox"

    def fragment():
        shown = Change.objects.select_related("environment", "team", "requester").get(pk=pk)
        if from_inbox:
            [context] = inbox_rows(request.user, [shown])
            context |= {"error": error, "success": success, "row": True}
            return render(request, "approvals/partials/inbox_row.html", context)
        context = detail_context(request, shown) | {"action_error": error, "action_success": success}
        return render(request, "changes/partials/change_status_panel.html", context)

    return action_response(
        request,
        redirect_to="approvals:inbox" if from_inbox else change,
        fragment=fragment,
        error=error,
        success=success,
        refuse=(lambda: refused(request, change, error)) if forbidden else None,
        trigger="changeUpdated",
    )
