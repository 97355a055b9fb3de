"""Per-action permissions, declared on each viewset so who may do what is visible at a glance.

    action_permissions = {"list": READ, "create": WRITE + (CanCreateChange,), ...}

An action missing from the table is refused (403), so a new action cannot ship unguarded by accident.
Token scopes (read-only tokens cannot write) are enforced by apps.accounts.api.authentication for every view.
"""

from rest_framework.permissions import BasePermission, IsAdminUser, IsAuthenticated


class DenyAll(BasePermission):
    message = "This action is not available."

    def has_permission(self, request, view) -> bool:
        return False


READ: tuple[type[BasePermission], ...] = (IsAuthenticated,)
WRITE: tuple[type[BasePermission], ...] = (IsAuthenticated,)
STAFF_WRITE: tuple[type[BasePermission], ...] = (IsAuthenticated, IsAdminUser)


class ActionPermissionsMixin:
    action_permissions: dict[str, tuple[type[BasePermission], ...]] = {}

    def get_permissions(self):
        action = getattr(self, "action", None)
        if action in (None, "metadata"):  # a method not allowed (405), or OPTIONS: nothing is changed
            return [permission() for permission in READ]
        classes = self.action_permissions.get(action, (DenyAll,))
        return [permission() for permission in classes]
