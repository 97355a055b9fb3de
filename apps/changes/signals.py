"""Keeps the window copied onto change↔service links filled, whoever adds the link.

``change.services.add()/set()`` (and ``service.changes.add()``) insert ChangeService rows in bulk without calling
save(), so their window starts empty; this fills it in the same transaction. Change.save keeps it in step after.
"""

from django.db.models import OuterRef, Subquery
from django.db.models.signals import m2m_changed
from django.dispatch import receiver

from apps.changes.models import Change, ChangeService


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
