"""Who may write the inventory (hosts and services) through the API: staff, or a token with the inventory scope.

A read-write token of a non-staff user may not; an inventory token may write only views that declare
``inventory_scope_writes = True`` (refused elsewhere by apps.accounts.api.authentication)."""

from rest_framework.permissions import BasePermission, IsAuthenticated

from apps.accounts.choices import TokenScope


class IsStaffOrInventoryToken(BasePermission):
    message = "Inventory writes need a staff user or an API token with the inventory scope."

    def has_permission(self, request, view) -> bool:
        user = request.user
        if user is None or not user.is_authenticated:
            return False
        return bool(user.is_staff) or getattr(request.auth, "scope", None) == TokenScope.INVENTORY


STAFF_OR_INVENTORY_SCOPE: tuple[type[BasePermission], ...] = (IsAuthenticated, IsStaffOrInventoryToken)
