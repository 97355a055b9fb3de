"""The change page's findings: the change page belongs to apps.changes, which may not import this app (a lower
layer), so the template asks for them by tag: ``{% load incident_findings %}{% change_findings change as found %}``."""

from django import template

from apps.incidents.models import IncidentFinding

register = template.Library()


@register.simple_tag
def change_findings(change) -> list[IncidentFinding]:
    """The standing findings naming ``change``, newest incident first, each with its incident (one query)."""
    return list(
        IncidentFinding.objects.filter(change_id=change.pk, withdrawn_at__isnull=True)
        .select_related("incident")
        .order_by("-incident__started_at", "role", "id")
    )
