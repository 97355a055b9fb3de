"""What the change lifecycle tells the layers above it, and the window kept on change↔service links.

Approvals sit above changes (apps.approvals imports apps.changes, never the reverse). The lifecycle still has to
let them act inside its own transaction, before it returns: when a change is submitted (open the approval round,
pre-approve a standard change) and when an edit changes what was approved (withdraw the approvals). It sends these
signals; apps.approvals.receivers answers them. A receiver that moves the change returns the moved change, so the
sender goes on with the current row (see ``latest``).

``change.services.add()/set()`` (and ``service.changes.add()``) insert ChangeService rows in bulk without calling
save(), so their window starts empty; fill_service_link_windows fills it in the same transaction.
"""

from django.db.models import OuterRef, Subquery
from django.db.models.signals import m2m_changed
from django.dispatch import Signal, receiver

from apps.changes.models import Change, ChangeService

# Sent with ``change`` (locked, just moved to submitted) and ``actor``.
change_submitted = Signal()
# Sent with ``change`` (locked, saved), ``fields`` (the material fields edited, sorted) and ``actor``.
material_edit_saved = Signal()


def latest(responses, change: Change) -> Change:
    """The change as the last receiver that moved it returned it, else ``change``."""
    for _receiver, response in responses:
        if isinstance(response, Change):
            change = response
    return change


@receiver(m2m_changed, sender=ChangeService)
def fill_service_link_windows(sender, instance, action, reverse, pk_set, **kwargs) -> None:
    if action != "post_add" or not pk_set:
        return
    if reverse:  # service.changes.add(*changes)
        links = ChangeService.objects.filter(service=instance, change_id__in=pk_set, eff_start__isnull=True)
        of_change = Change.objects.filter(pk=OuterRef("change_id"))
        links.update(
            eff_start=Subquery(of_change.values("eff_start")[:1]), eff_end=Subquery(of_change.values("eff_end")[:1])
        )
    else:
        links = ChangeService.objects.filter(change=instance, service_id__in=pk_set, eff_start__isnull=True)
        links.update(eff_start=instance.eff_start, eff_end=instance.eff_end)
