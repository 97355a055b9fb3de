"""The ranking-accuracy report (apps.incidents.accuracy) for the metrics' period and every filter of the page
(environments, teams, services and kinds, each with any number of values)."""

from __future__ import annotations

from dataclasses import dataclass

from apps.incidents.accuracy import AccuracyReport, ranking_accuracy
from apps.metrics.period import MetricsQuery


@dataclass(frozen=True)
class AccuracySection:
    report: AccuracyReport

    def as_dict(self) -> dict:
        report = self.report

        def share(value) -> dict:
            return {"count": value.count, "total": value.total, "percent": value.percent, "text": value.label}

        return {
            "incidents": report.total,
            "top1": share(report.top1),
            "top3": share(report.top3),
            "listed": share(report.listed),
            "median_rank": report.median_rank,
            "truncated": report.truncated,
            "ranked": [
                {
                    "incident": item.incident.reference,
                    "started_at": item.incident.started_at,
                    "cause": item.cause.reference,
                    "rank": item.rank,
                    "label": item.best.label,
                    "listed": item.listed,
                }
                for item in report.incidents
            ],
        }


def build(query: MetricsQuery) -> AccuracySection:
    report = ranking_accuracy(
        since=query.start,
        until=query.end,
        environment=list(query.environments),
        team=list(query.teams),
        service=list(query.services),
        kind=list(query.kinds),
    )
    return AccuracySection(report=report)
