"""Every API error is JSON with a ``detail`` message; domain errors map to their HTTP status."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler

from apps.platform.errors import DomainError


def json_exception_handler(exc, context):
    if isinstance(exc, DomainError):
        return Response({"detail": exc.message}, status=exc.http_status)
    if isinstance(exc, DjangoValidationError):
        body = exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages}
        return Response(body, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, Http404):
        message = str(exc) or "Not found."
        return Response({"detail": message}, status=status.HTTP_404_NOT_FOUND)
    return exception_handler(exc, context)
