"""Bearer-token authentication for the API, with its OpenAPI security scheme.

``Authorization: Bearer cp_<prefix>_<secret>``. A token's scope is a property of the credential, so it is
enforced here, for every API view at once: a read-only token gets 403 on any unsafe method, an inventory token on
any unsafe method of a view that does not declare ``inventory_scope_writes = True`` (the host and service views).
"""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.permissions import SAFE_METHODS

from apps.accounts.choices import TokenScope
from apps.accounts.tokens import find_usable_token

KEYWORDS = (b"bearer", b"token")


class ApiTokenAuthentication(BaseAuthentication):
    www_authenticate_realm = "api"

    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() not in KEYWORDS:
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed("Malformed Authorization header: use 'Bearer <token>'.")
        try:
            plaintext = parts[1].decode("ascii")
        except UnicodeDecodeError as exc:
            raise exceptions.AuthenticationFailed("Invalid token.") from exc
        token = find_usable_token(plaintext)
        if token is None:
            raise exceptions.AuthenticationFailed("Invalid, expired or revoked token.")
        if request.method not in SAFE_METHODS:
            self.check_write_scope(token, request)
        return token.user, token

    @staticmethod
    def check_write_scope(token, request) -> None:
        if token.scope == TokenScope.READ_WRITE:
            return
        if token.scope == TokenScope.INVENTORY:
            view = (getattr(request, "parser_context", None) or {}).get("view")
            if getattr(view, "inventory_scope_writes", False):
                return
            raise exceptions.PermissionDenied(
                "This token may write only hosts and services: create a read-write token for other changes."
            )
        raise exceptions.PermissionDenied("This token is read-only: create a read-write token to make changes.")

    def authenticate_header(self, request) -> str:
        # A value here makes DRF answer 401 (not 403) to unauthenticated requests.
        return f'Bearer realm="{self.www_authenticate_realm}"'


class ApiTokenScheme(OpenApiAuthenticationExtension):
    target_class = ApiTokenAuthentication
    name = "ApiToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "cp_<prefix>_<secret>",
            "description": "A personal API token from Profile → API tokens. Read-only tokens get 403 on writes; "
            "inventory tokens may write only hosts and services.",
        }
