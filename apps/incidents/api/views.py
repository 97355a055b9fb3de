"""Suspects over REST: the same ranking as the bridge, for scripts and chat bots."""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.incidents.api.serializers import (
    ErrorSerializer,
    HostSuspectsSerializer,
    IncidentSuspectQuerySerializer,
    IncidentSuspectsSerializer,
    ParameterErrorSerializer,
    SuspectQuerySerializer,
)
from apps.incidents.models import Incident
from apps.incidents.suspects import suspects_for_host, suspects_for_incident
from apps.inventory.models import Host

NOT_FOUND = OpenApiResponse(ErrorSerializer, description="No such host or incident.")
BAD_PARAMETER = OpenApiResponse(ParameterErrorSerializer, description="`at`, `hours` or `limit` is not valid.")


def _query(request, serializer_class=SuspectQuerySerializer) -> dict:
    query = serializer_class(data=request.query_params)
    if not query.is_valid():
        parameter, messages = next(iter(query.errors.items()))
        raise ValidationError(
            {"detail": f"Invalid query parameter {parameter!r}: {' '.join(messages)}", "parameter": parameter}
        )
    return query.validated_data


class HostSuspectsView(APIView):
    @extend_schema(
        operation_id="host_suspects",
        summary="Ranked suspect changes for a host",
        description="Every change that could explain trouble on the host at `at`: linked to it, to its services, "
        "or to its whole environment, in the `hours` before `at` (plus production-only artifacts up to 14 days "
        "back), ranked by score with the reasons. Changes that started after `at` are listed in `after`. Each list "
        "holds the first `limit` (default 25, at most 100); `total_suspects` and `total_after` count them all.",
        parameters=[SuspectQuerySerializer],
        responses={200: HostSuspectsSerializer, 400: BAD_PARAMETER, 404: NOT_FOUND},
        tags=["suspects"],
    )
    def get(self, request, hostname: str):
        query = _query(request)
        host = Host.objects.select_related("environment").filter(hostname=hostname.strip().lower()).first()
        if host is None:
            raise NotFound(f"No host named {hostname!r}.")
        report = suspects_for_host(host, at=query.get("at"), hours=query["hours"], limit=query["limit"])
        context = {"host_services": report.service_names(report.targets[0])}
        return Response(HostSuspectsSerializer(report, context=context).data)


class IncidentSuspectsView(APIView):
    @extend_schema(
        operation_id="incident_suspects",
        summary="Ranked suspect changes for an incident",
        description="The suspects of every affected host at the incident's start, merged (each change ranked on "
        "its worst host), with the bridge's latest verdict on each; the first `limit` of each list (default 25, "
        "at most 100).",
        parameters=[IncidentSuspectQuerySerializer],
        responses={200: IncidentSuspectsSerializer, 400: BAD_PARAMETER, 404: NOT_FOUND},
        tags=["suspects"],
    )
    def get(self, request, pk: int):
        query = _query(request, IncidentSuspectQuerySerializer)
        incident = Incident.objects.filter(pk=pk).first()
        if incident is None:
            raise NotFound(f"No incident INC-{pk}.")
        report = suspects_for_incident(incident, limit=query["limit"])
        return Response(IncidentSuspectsSerializer(report, context={"incident": incident}).data)
