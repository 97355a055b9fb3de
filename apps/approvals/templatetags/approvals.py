"""The decision part of a change's page, rendered by approvals (which sit above changes) where the page asks."""

from django import template

from apps.approvals.decision_panel import decision_context
from apps.changes.models import Change

register = template.Library()


@register.inclusion_tag("approvals/partials/change_decisions.html", takes_context=True)
def change_decisions(context, change: Change) -> dict:
    request = context["request"]
    return decision_context(request.user, change, with_collisions=False) | {
        "approvals": change.approvals.select_related("decided_by", "team"),
        "request": request,
        "csrf_token": context.get("csrf_token"),
    }
