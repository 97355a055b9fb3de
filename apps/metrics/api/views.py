"""The metrics over REST: the same Report, tables and lists as the page (session or token auth, any scope: reads)."""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.models import Team
from apps.changes.models import Change
from apps.inventory.models import Environment
from apps.metrics import accuracy_section, sets
from apps.metrics.durations import Spread
from apps.metrics.period import MetricsForm, MetricsQuery
from apps.metrics.report import Ratio, Report, build_report
from apps.metrics.tables import METRICS, PLAN_COLUMNS
from apps.platform.api.pagination import BoundedPageNumberPagination
from apps.platform.api.schema import errors

PARAMETERS = [
    OpenApiParameter("start", OpenApiTypes.DATE, description="First day (default: 89 days before `end`)."),
    OpenApiParameter("end", OpenApiTypes.DATE, description="Last day, included (default: today)."),
    OpenApiParameter("environment", OpenApiTypes.STR, many=True, description="Slugs; default: production."),
    OpenApiParameter("team", OpenApiTypes.STR, many=True, description="Team slugs."),
    OpenApiParameter("service", OpenApiTypes.STR, many=True, description="Service slugs."),
    OpenApiParameter("kind", OpenApiTypes.STR, many=True, description="Change kinds."),
    OpenApiParameter("frequency", OpenApiTypes.STR, enum=["all", "release"], description="What frequency counts."),
    OpenApiParameter("tz", OpenApiTypes.STR, description="IANA time zone of the days and weeks (default: UTC)."),
]


def _query(request) -> MetricsQuery:
    form = MetricsForm(request.query_params, zone=timezone.get_current_timezone(), now=timezone.now())
    if not form.is_valid():
        raise ValidationError({name: [str(message) for message in messages] for name, messages in form.errors.items()})
    return MetricsQuery.from_form(form)


def _spread(spread: Spread) -> dict:
    return {"count": spread.count, "median_hours": spread.median_hours, "p90_hours": spread.p90_hours}


def _ratio(ratio: Ratio) -> dict:
    return {"part": ratio.part, "whole": ratio.whole, "percent": ratio.percent, "text": str(ratio)}


def period(query: MetricsQuery) -> dict:
    return {
        "start": query.first,
        "end": query.last,
        "time_zone": query.zone.key,
        "weeks": len(query.weeks),
        "environments": [environment.slug for environment in query.environments],
        "teams": [team.slug for team in query.teams],
        "services": [service.slug for service in query.services],
        "kinds": list(query.kinds),
        "frequency": query.frequency,
    }


def summary(report: Report) -> dict:
    totals = report.totals
    return {
        "deployment-frequency": {
            "deployments": totals.deployments,
            "releases": totals.releases,
            "per_week": report.frequency_per_week,
        },
        "change-lead-time": {"lead": _spread(report.lead), "approval_to_start": _spread(report.approval_to_start)},
        "change-fail-rate": {**_ratio(totals.fail_rate), "failing": totals.failing, "deployments": totals.deployments},
        "recovery-time": {**_spread(report.recovery), "failing": totals.failing, "unrecovered": report.unrecovered},
        "rework-rate": {
            **_ratio(totals.rework_rate),
            "emergency": totals.emergency,
            "backed_out": totals.backed_out,
            "rework": totals.rework,
            "deployments": totals.deployments,
        },
        "plan-vs-actual": {name: getattr(totals, name) for name in PLAN_COLUMNS},
        "team-success": [
            {"team": row.slug, "name": row.name, **_ratio(row.success), "failing": row.failing} for row in report.teams
        ],
    }


class MetricsView(APIView):
    @extend_schema(
        operation_id="metrics",
        summary="Every change metric of a period",
        description="The period and filters as understood, each metric's summary (counts always with their "
        "percentage; `null` where there is no data) and its weekly table, and how well the bridge ranked the "
        "confirmed causes of the period's resolved incidents. Definitions: docs/metrics.md.",
        parameters=PARAMETERS,
        responses={200: OpenApiTypes.OBJECT, **errors(400, 401)},
        tags=["metrics"],
    )
    def get(self, request):
        query = _query(request)
        report = build_report(query)
        tables = {slug: {"columns": m.columns, "rows": m.rows(report)} for slug, m in METRICS.items()}
        accuracy = accuracy_section.build(query).as_dict()
        body = {"period": period(query), "summary": summary(report), "metrics": tables, "ranking_accuracy": accuracy}
        return Response(body)


class MetricView(APIView):
    @extend_schema(
        operation_id="metric",
        summary="One change metric of a period",
        description="`metric`: " + ", ".join(METRICS) + ". Its summary and its table (weeks, or teams).",
        parameters=PARAMETERS,
        responses={200: OpenApiTypes.OBJECT, **errors(400, 401, 404)},
        tags=["metrics"],
    )
    def get(self, request, metric: str):
        found = METRICS.get(metric)
        if found is None:
            raise NotFound(f"No metric {metric!r}; there are: {', '.join(METRICS)}.")
        query = _query(request)
        report = build_report(query)
        return Response(
            {
                "period": period(query),
                "summary": summary(report)[metric],
                "columns": found.columns,
                "rows": found.rows(report),
            }
        )


class ListedChangeSerializer(serializers.ModelSerializer):
    team: serializers.SlugRelatedField[Team] = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    environment: serializers.SlugRelatedField[Environment] = serializers.SlugRelatedField(
        slug_field="slug", read_only=True
    )
    reference = serializers.CharField(read_only=True)
    url = serializers.CharField(source="get_absolute_url", read_only=True)

    class Meta:
        model = Change
        fields = ["id", "reference", "title", "kind", "change_type", "status", "team", "environment"]
        fields += ["is_unplanned", "actual_start", "actual_end", "url"]
        read_only_fields = fields


class MetricChangesView(APIView):
    pagination_class = BoundedPageNumberPagination

    @extend_schema(
        operation_id="metric_changes",
        summary="The changes behind a figure",
        description="`name`: " + ", ".join(sets.LISTS) + ". Newest end first, paginated.",
        parameters=PARAMETERS,
        responses={200: ListedChangeSerializer(many=True), **errors(400, 401, 404)},
        tags=["metrics"],
    )
    def get(self, request, name: str):
        if name not in sets.LISTS:
            raise NotFound(f"No list {name!r}; there are: {', '.join(sets.LISTS)}.")
        query = _query(request)
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(sets.listed(query, name), request, view=self)
        return paginator.get_paginated_response(ListedChangeSerializer(page, many=True).data)
