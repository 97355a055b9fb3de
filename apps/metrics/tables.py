"""Each metric's numbers as one table (columns and rows of plain values): the page's tables, the CSV files and the
API's ``weeks`` all come from here, so they cannot disagree."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass

from apps.metrics.report import Report, Week
from apps.schedule.export import safe_cell

Row = dict[str, object]


@dataclass(frozen=True)
class Metric:
    slug: str  # URL part and the anchor of its definition in docs/metrics.md
    title: str
    columns: tuple[str, ...]
    rows: Callable[[Report], list[Row]]


def _week(week: Week) -> Row:
    return {"week": week.start.isoformat(), "partial": week.partial}


def _frequency(report: Report) -> list[Row]:
    return [
        {
            **_week(w),
            "deployments": w.counts.deployments,
            "releases": w.counts.releases,
            "counted": report.counted(w.counts),
        }
        for w in report.weeks
    ]


def _lead(report: Report) -> list[Row]:
    return [
        {
            **_week(w),
            "changes": w.lead.count,
            "lead_median_hours": w.lead.median_hours,
            "lead_p90_hours": w.lead.p90_hours,
            "approved_before_start": w.approval_to_start.count,
            "approval_to_start_median_hours": w.approval_to_start.median_hours,
            "approval_to_start_p90_hours": w.approval_to_start.p90_hours,
        }
        for w in report.weeks
    ]


def _fail_rate(report: Report) -> list[Row]:
    return [
        {
            **_week(w),
            "failing": w.counts.failing,
            "deployments": w.counts.deployments,
            "rate_percent": w.counts.fail_rate.percent,
        }
        for w in report.weeks
    ]


def _recovery(report: Report) -> list[Row]:
    return [
        {
            **_week(w),
            "failing": w.counts.failing,
            "recovered": w.recovery.count,
            "median_hours": w.recovery.median_hours,
            "p90_hours": w.recovery.p90_hours,
        }
        for w in report.weeks
    ]


def _rework(report: Report) -> list[Row]:
    return [
        {
            **_week(w),
            "emergency": w.counts.emergency,
            "backed_out": w.counts.backed_out,
            "rework": w.counts.rework,
            "deployments": w.counts.deployments,
            "rate_percent": w.counts.rework_rate.percent,
        }
        for w in report.weeks
    ]


PLAN_COLUMNS = ("unplanned", "unapproved", "outside_window", "extra_hosts", "hosts_missing")


def _plan(report: Report) -> list[Row]:
    return [
        {**_week(w), "deployments": w.counts.deployments, **{name: getattr(w.counts, name) for name in PLAN_COLUMNS}}
        for w in report.weeks
    ]


def _teams(report: Report) -> list[Row]:
    return [
        {
            "team": row.slug,
            "name": row.name,
            "deployments": row.deployments,
            "failing": row.failing,
            "successful": row.deployments - row.failing,
            "score_percent": row.success.percent,
        }
        for row in report.teams
    ]


WEEK = ("week", "partial")
METRICS: dict[str, Metric] = {
    metric.slug: metric
    for metric in (
        Metric(
            "deployment-frequency", "Deployment frequency", (*WEEK, "deployments", "releases", "counted"), _frequency
        ),
        Metric(
            "change-lead-time",
            "Change lead time",
            (
                *WEEK,
                "changes",
                "lead_median_hours",
                "lead_p90_hours",
                "approved_before_start",
                "approval_to_start_median_hours",
                "approval_to_start_p90_hours",
            ),
            _lead,
        ),
        Metric("change-fail-rate", "Change fail rate", (*WEEK, "failing", "deployments", "rate_percent"), _fail_rate),
        Metric(
            "recovery-time",
            "Failed change recovery time",
            (*WEEK, "failing", "recovered", "median_hours", "p90_hours"),
            _recovery,
        ),
        Metric(
            "rework-rate",
            "Rework rate",
            (*WEEK, "emergency", "backed_out", "rework", "deployments", "rate_percent"),
            _rework,
        ),
        Metric("plan-vs-actual", "Plan versus actual", (*WEEK, "deployments", *PLAN_COLUMNS), _plan),
        Metric(
            "team-success",
            "Change success per team",
            ("team", "name", "deployments", "failing", "successful", "score_percent"),
            _teams,
        ),
    )
}


def _cell(value: object) -> str:
    if value is None:
        return ""  # no data, not 0
    if isinstance(value, bool):
        return "yes" if value else "no"
    return safe_cell(str(value))  # team names are free text: no spreadsheet formulas


def to_csv(metric: Metric, report: Report) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(metric.columns)
    for row in metric.rows(report):
        writer.writerow([_cell(row[column]) for column in metric.columns])
    return out.getvalue()
