"""Findings over REST: list, record and withdraw an incident's confirmed cause and fix; a change's findings.

Every write goes through apps.incidents.findings (the same rules as the bridge page); errors are JSON: 400 bad
input, 403 not allowed, 404 no such incident/finding, 409 a duplicate, an incident still open, or already withdrawn.
"""

from django import forms
from django.urls import reverse
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.changes.models import Change
from apps.incidents import findings
from apps.incidents.api.serializers import IncidentBriefSerializer
from apps.incidents.choices import FindingRole
from apps.incidents.forms import change_from_reference
from apps.incidents.models import Incident, IncidentFinding
from apps.platform.api.responses import LOCATION
from apps.platform.api.schema import errors

TAGS = ["incidents"]
FINDING_ID = OpenApiParameter("finding_id", int, OpenApiParameter.PATH, description="The finding's id.")


class FindingSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    incident = serializers.IntegerField(source="incident_id")
    incident_reference = serializers.SerializerMethodField()
    change = serializers.IntegerField(source="change_id")
    change_reference = serializers.SerializerMethodField()
    role = serializers.ChoiceField(choices=FindingRole.choices)
    note = serializers.CharField()
    standing = serializers.BooleanField(source="is_standing", help_text="False once withdrawn (the row is kept).")
    recorded_by = serializers.CharField(source="recorded_by_name")
    recorded_at = serializers.DateTimeField()
    withdrawn_by = serializers.CharField(source="withdrawn_by_name")
    withdrawn_at = serializers.DateTimeField(allow_null=True)
    withdrawn_note = serializers.CharField()

    def get_incident_reference(self, finding) -> str:
        return f"INC-{finding.incident_id}"

    def get_change_reference(self, finding) -> str:
        return f"CHG-{finding.change_id}"


class IncidentDetailSerializer(IncidentBriefSerializer):
    findings = FindingSerializer(
        many=True, help_text="Confirmed causes and fixes, oldest first; withdrawn ones too, with `standing` false."
    )


class FindingWriteSerializer(serializers.Serializer):
    change = serializers.CharField(max_length=30, help_text="The change: its id (42) or reference (CHG-42).")
    role = serializers.ChoiceField(choices=FindingRole.choices)
    note = serializers.CharField(max_length=4000, help_text="How it was confirmed.")

    def validate_change(self, value: str) -> Change:
        try:
            return change_from_reference(value)
        except forms.ValidationError as exc:
            raise serializers.ValidationError(exc.messages) from exc


class WithdrawSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=4000, help_text="Why the finding no longer stands.")


def _incident(pk: int) -> Incident:
    incident = Incident.objects.filter(pk=pk).first()
    if incident is None:
        raise NotFound(f"No incident INC-{pk}.")
    return incident


def _finding(pk: int, finding_id: int) -> IncidentFinding:
    finding = IncidentFinding.objects.filter(pk=finding_id, incident_id=pk).first()
    if finding is None:
        raise NotFound(f"INC-{pk} has no finding {finding_id}.")
    return finding


def findings_of(incident: Incident) -> list[dict]:
    rows = IncidentFinding.objects.filter(incident=incident).order_by("recorded_at", "id")
    return list(FindingSerializer(rows, many=True).data)


class IncidentFindingsView(APIView):
    @extend_schema(
        operation_id="incident_findings",
        summary="An incident's findings",
        description="Every finding, oldest first, withdrawn ones included (`standing` false).",
        responses={200: FindingSerializer(many=True), **errors(401, 404)},
        tags=TAGS,
    )
    def get(self, request, pk: int):
        return Response(findings_of(_incident(pk)))

    @extend_schema(
        operation_id="incident_finding_record",
        summary="Record a confirmed cause or a fix",
        description="Once the incident is mitigated or resolved, name the change that caused it "
        "(`confirmed_cause`) or that restored service (`fixed_by`). Any change that ran may be named, listed "
        "as a suspect or not. A second standing finding with the same change and role, or an incident still "
        "open, answers 409.",
        request=FindingWriteSerializer,
        parameters=[LOCATION],
        responses={201: FindingSerializer, **errors(400, 401, 403, 404, 409)},
        tags=TAGS,
    )
    def post(self, request, pk: int):
        incident = _incident(pk)
        body = FindingWriteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        finding = findings.record_finding(incident=incident, actor=request.user, **body.validated_data)
        location = request.build_absolute_uri(reverse("api-incident-finding", args=[incident.pk, finding.pk]))
        return Response(FindingSerializer(finding).data, status=status.HTTP_201_CREATED, headers={"Location": location})


class IncidentFindingView(APIView):
    @extend_schema(
        operation_id="incident_finding",
        summary="One finding",
        parameters=[FINDING_ID],
        responses={200: FindingSerializer, **errors(401, 404)},
        tags=TAGS,
    )
    def get(self, request, pk: int, finding_id: int):
        return Response(FindingSerializer(_finding(pk, finding_id)).data)


class WithdrawFindingView(APIView):
    @extend_schema(
        operation_id="incident_finding_withdraw",
        summary="Withdraw a finding",
        description="The finding stops counting; the row is kept with who withdrew it, when and why. Allowed to "
        "the person who recorded it, staff and team leads (403 otherwise); already withdrawn answers 409.",
        parameters=[FINDING_ID],
        request=WithdrawSerializer,
        responses={200: FindingSerializer, **errors(400, 401, 403, 404, 409)},
        tags=TAGS,
    )
    def post(self, request, pk: int, finding_id: int):
        finding = _finding(pk, finding_id)
        body = WithdrawSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        finding = findings.withdraw_finding(finding=finding, actor=request.user, note=body.validated_data["note"])
        return Response(FindingSerializer(finding).data)


class ChangeFindingsView(APIView):
    @extend_schema(
        operation_id="change_findings",
        summary="The incident findings naming a change",
        description="Every finding that names the change as an incident's confirmed cause or fix, withdrawn ones "
        "included (`standing` false), newest incident first.",
        responses={200: FindingSerializer(many=True), **errors(401, 404)},
        tags=["changes"],
    )
    def get(self, request, pk: int):
        if not Change.objects.filter(pk=pk).exists():
            raise NotFound(f"No change CHG-{pk}.")
        rows = IncidentFinding.objects.filter(change_id=pk).order_by("-incident__started_at", "recorded_at", "id")
        return Response(FindingSerializer(rows, many=True).data)
