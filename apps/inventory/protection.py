"""Inventory that changes refer to is history: it is retired, never deleted.

Hosts are protected by the ``ChangeHost.host`` foreign key (PROTECT). Services are linked to changes by a plain
many-to-many, whose rows Django would delete silently with the service, so a ``pre_delete`` receiver refuses the
delete instead (whatever the caller: admin, shell, a task), and the admin lists the referring changes as
protected objects on its confirmation page.
"""

from django.db.models import ProtectedError, QuerySet

from apps.inventory.models import Service

SHOWN = 20


def changes_referring_to(service: Service) -> QuerySet:
    return service.changes.order_by("-eff_start", "-id")


def protected_message(service: Service, count: int) -> str:
    return (
        f"Cannot delete service {service.name}: {count} change(s) refer to it and their history keeps its name. "
        "Rename it or stop using it instead."
    )


def refuse_deleting_referenced_service(sender, instance: Service, **kwargs) -> None:
    referring = changes_referring_to(instance)
    count = referring.count()
    if count:
        raise ProtectedError(protected_message(instance, count), set(referring[:SHOWN]))
