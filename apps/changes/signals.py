"""What the change lifecycle tells the layers above it, and the window kept on change↔host and change↔service links.

Approvals sit above changes (apps.approvals imports apps.changes, never the reverse). The lifecycle still has to
let them act inside its own transaction, before it returns: when a change is submitted (open the approval round,
pre-approve a standard change) and when an edit changes what was approved (withdraw the approvals). It sends these
signals; apps.approvals.receivers answers them. A receiver that moves the change returns the moved change, so the
sender goes on with the current row (see ``latest``).

The window copied onto link rows is written by ``apps.changes.windows``, which sits above the models; the
receivers at the end connect the models' saves to it. ``change.services.add()/set()`` (and
``service.changes.add()``) insert ChangeService rows in bulk without calling save(), so their window is filled
after the insert, in the same transaction. ``Change.environment_wide`` follows the link rows the same way
(``apps.changes.environment_wide``): links saved or deleted one by one and ``add()/set()/remove()`` here, the bulk
inserts of the services where they happen.
"""

from django.db.models.signals import m2m_changed, post_delete, post_save, pre_save
from django.dispatch import Signal, receiver

from apps.changes import environment_wide, windows
from apps.changes.models import Change, ChangeHost, ChangeService

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


@receiver(pre_save, sender=ChangeHost)
@receiver(pre_save, sender=ChangeService)
def fill_link_window(sender, instance, **kwargs) -> None:
    windows.fill(instance)


@receiver(post_save, sender=Change)
def move_link_windows(sender, instance: Change, created: bool, update_fields, **kwargs) -> None:
    # A change being inserted has no link rows yet; a save that leaves the window where it was moves nothing.
    saved_window = update_fields is None or "eff_start" in update_fields
    if not created and saved_window and instance.window_moved:
        windows.follow(instance)


@receiver(m2m_changed, sender=ChangeService)
def fill_service_link_windows(sender, instance, action, reverse, pk_set, **kwargs) -> None:
    if action == "post_add" and pk_set:
        windows.fill_added_services(instance=instance, reverse=reverse, pk_set=pk_set)


def _change_of(link):
    return link.change if type(link).change.is_cached(link) else link.change_id


@receiver(post_save, sender=ChangeHost)
@receiver(post_save, sender=ChangeService)
def clear_environment_wide(sender, instance, created: bool, **kwargs) -> None:
    if created:
        environment_wide.linked([_change_of(instance)])


# Also what ``change.services.remove()/set()/clear()`` deletes: the through rows go through a queryset delete.
@receiver(post_delete, sender=ChangeHost)
@receiver(post_delete, sender=ChangeService)
def restore_environment_wide(sender, instance, **kwargs) -> None:
    environment_wide.unlinked([instance.change_id])


@receiver(m2m_changed, sender=ChangeService)
def clear_environment_wide_on_add(sender, instance, action, reverse, pk_set, **kwargs) -> None:
    if action == "post_add" and pk_set:
        environment_wide.linked(pk_set if reverse else [instance])
