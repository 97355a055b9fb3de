"""Answers shared by the API views."""

from django.urls import reverse
from drf_spectacular.utils import OpenApiParameter
from rest_framework import status
from rest_framework.response import Response

# Documents the header on the 201 of every create (``parameters=[LOCATION]`` in its extend_schema).
LOCATION = OpenApiParameter(
    "Location",
    str,
    OpenApiParameter.HEADER,
    required=True,
    response=[201],
    description="The URL of the new resource.",
)


def created(request, data, *, viewname: str, pk) -> Response:
    """201 Created with a ``Location`` header: the absolute URL of the new resource (its detail route by id)."""
    location = request.build_absolute_uri(reverse(viewname, args=[pk]))
    return Response(data, status=status.HTTP_201_CREATED, headers={"Location": location})
