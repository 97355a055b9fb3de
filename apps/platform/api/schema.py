"""Error bodies for the OpenAPI schema: every error is JSON (apps.platform.api.exceptions)."""

from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers


class ApiErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()


class ApiValidationErrorSerializer(serializers.Serializer):
    """Field name → list of messages (``detail`` for errors not tied to one field)."""

    detail = serializers.JSONField(required=False)


_DESCRIPTIONS = {
    400: "Invalid input: messages by field name.",
    401: "Not authenticated: send `Authorization: Bearer <token>` or sign in.",
    403: "Not allowed (a read-only token on a write, or a rule of the change workflow).",
    404: "Not found.",
    409: "Conflict: an illegal status move, or the change was edited since you read it (stale version).",
}


def errors(*codes: int) -> dict[int, OpenApiResponse]:
    return {
        code: OpenApiResponse(ApiValidationErrorSerializer if code == 400 else ApiErrorSerializer, _DESCRIPTIONS[code])
        for code in codes
    }
