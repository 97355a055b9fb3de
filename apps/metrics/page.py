"""What the metrics page draws from one Report: a chart per metric, its table, and the links behind each figure."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse
from django.utils.safestring import SafeString

from apps.metrics import charts
from apps.metrics.charts import Series
from apps.metrics.report import Report
from apps.metrics.tables import METRICS, PLAN_COLUMNS, Metric

PLAN_LABELS = {
    "unplanned": "Recorded unplanned",
    "unapproved": "Executed without approval",
    "outside_window": "Outside the approved window",
    "extra_hosts": "On hosts not in the plan",
    "hosts_missing": "Completed with hosts missing",
}


@dataclass(frozen=True)
class Section:
    metric: Metric
    charts: list[SafeString]
    columns: tuple[str, ...]
    rows: list[dict]
    csv_url: str

    @property
    def anchor(self) -> str:
        return self.metric.slug


def _label(report: Report) -> list[str]:
    return [f"{week.start:%-d %b}" for week in report.weeks]


def _hours(value: float | None) -> float | None:
    return None if value is None else round(value / 3600, 1)


def _charts(report: Report, slug: str) -> list[SafeString]:
    labels, weeks = _label(report), report.weeks
    period = report.query.describe()
    if slug == "deployment-frequency":
        what = "release deployments" if report.query.frequency == "release" else "deployments"
        values: list[float | None] = [report.counted(w.counts) for w in weeks]
        return [
            charts.bar_chart(labels, values, title=f"Weekly {what}", desc=f"{what.capitalize()} per week, {period}")
        ]
    if slug == "change-lead-time":
        lead = [Series("median", "s1", [_hours(w.lead.median) for w in weeks])]
        lead.append(Series("p90", "s2", [_hours(w.lead.p90) for w in weeks]))
        approval = [Series("median", "s1", [_hours(w.approval_to_start.median) for w in weeks])]
        approval.append(Series("p90", "s2", [_hours(w.approval_to_start.p90) for w in weeks]))
        return [
            charts.line_chart(
                labels,
                lead,
                title="Lead time, hours",
                desc=f"Creation or submission to completion, median and p90 per week, {period}",
                unit=" h",
            ),
            charts.line_chart(
                labels,
                approval,
                title="First approval to start, hours",
                desc=f"Median and p90 per week, {period}",
                unit=" h",
            ),
        ]
    if slug == "change-fail-rate":
        values = [w.counts.fail_rate.percent for w in weeks]
        return [
            charts.bar_chart(
                labels,
                values,
                title="Change fail rate, %",
                desc=f"Failing of completed per week, {period}",
                unit="%",
                top=100,
            )
        ]
    if slug == "recovery-time":
        series = [Series("median", "s1", [_hours(w.recovery.median) for w in weeks])]
        series.append(Series("p90", "s2", [_hours(w.recovery.p90) for w in weeks]))
        return [
            charts.line_chart(
                labels,
                series,
                title="Recovery time, hours",
                desc=f"Failure to recovery, median and p90 per week, {period}",
                unit=" h",
            )
        ]
    if slug == "rework-rate":
        values = [w.counts.rework_rate.percent for w in weeks]
        return [
            charts.bar_chart(
                labels,
                values,
                title="Rework rate, %",
                desc=f"Emergency and backed-out changes of completed per week, {period}",
                unit="%",
                top=100,
            )
        ]
    if slug == "plan-vs-actual":
        top = max([getattr(w.counts, name) for w in weeks for name in PLAN_COLUMNS], default=0)
        return [
            charts.bar_chart(
                labels,
                [getattr(w.counts, name) if w.counts.deployments else None for w in weeks],
                title=PLAN_LABELS[name],
                desc=f"{PLAN_LABELS[name]}: changes per week, {period}",
                top=charts.nice_max(top),
            )
            for name in PLAN_COLUMNS
        ]
    rows = [(row.name, row.success.percent) for row in report.teams]
    return [
        charts.team_bars(
            rows, title="Change success per team, %", desc=f"Share of completed changes without failure, {period}"
        )
    ]


def sections(report: Report) -> list[Section]:
    params = report.query.params().urlencode()
    found = []
    for slug, metric in METRICS.items():
        csv_url = f"{reverse('metrics:csv', args=[slug])}?{params}"
        found.append(Section(metric, _charts(report, slug), metric.columns, metric.rows(report), csv_url))
    return found
