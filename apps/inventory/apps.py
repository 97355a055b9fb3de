from django.apps import AppConfig
from django.db.models.signals import pre_delete


class InventoryConfig(AppConfig):
    name = "apps.inventory"
    label = "inventory"

    def ready(self) -> None:
        from apps.inventory.models import Service
        from apps.inventory.protection import refuse_deleting_referenced_service

        pre_delete.connect(refuse_deleting_referenced_service, sender=Service, dispatch_uid="inventory-protect-service")
