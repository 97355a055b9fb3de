"""The ranking-accuracy report (apps.incidents.accuracy) for the metrics' period and filters.

``ranking_accuracy`` takes one environment, team and service at most and knows no kinds: a filter with several
values (or a kind filter) is not applied to it, and the page says so rather than showing a figure that looks
filtered when it is not.
"""

from __future__ import annotations

from dataclasses import dataclass

from apps.incidents.accuracy import AccuracyReport, ranking_accuracy
from apps.metrics.period import MetricsQuery


@dataclass(frozen=True)
class AccuracySection:
    report: AccuracyReport
    unfiltered: tuple[str, ...]  # the filters that could not be applied to it

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
            "not_filtered_by": list(self.unfiltered),
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


def _one(values: tuple, name: str, unfiltered: list[str]):
    if len(values) > 1:
        unfiltered.append(name)
        return None
    return values[0] if values else None


def build(query: MetricsQuery) -> AccuracySection:
    unfiltered: list[str] = []
    environment = _one(query.environments, "environment", unfiltered)
    team = _one(query.teams, "team", unfiltered)
    service = _one(query.services, "service", unfiltered)
    if query.kinds:
        unfiltered.append("kind")
    report = ranking_accuracy(since=query.start, until=query.end, environment=environment, team=team, service=service)
    return AccuracySection(report=report, unfiltered=tuple(unfiltered))
