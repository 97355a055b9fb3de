"""(e) The change metrics over 90 days of production: build_report, the API and the page, against raw SQL.

The raw side is the same aggregates written by hand (one GROUP BY week with every flag, the lead-time percentiles,
one GROUP BY team), so the ratio shows what the ORM, the other duration spreads and the rendering add. The periods
end at the anchor and one and two weeks before it: inside the recent days that are identical at 100k and at 1M
changes, so the growth comparison sees the same rows.
"""

from __future__ import annotations

from datetime import date, timedelta
from zoneinfo import ZoneInfo

from django.http import QueryDict

from apps.changes.services.ingest import UNPLANNED_HOSTS_NOTE
from apps.metrics.period import MetricsForm, MetricsQuery, local_midnight
from apps.metrics.report import build_report
from bench.measure import Budget
from bench.scenarios import Fixture, Result, _ok, _with_replay

RESULTS = 1  # how many Results reads() returns (the runner's growth comparison slices by it)
DAYS = 90
REPORT = "service build_report"
API = "GET /api/v1/metrics"
PAGE = "GET /metrics/"
_UTC = ZoneInfo("UTC")

_DEPLOYMENTS = """
    FROM changes_change c
    WHERE c.environment_id = %(env)s::bigint AND c.status IN ('completed', 'failed', 'backed_out')
      AND c.actual_end >= %(start)s AND c.actual_end < %(end)s
"""
WEEKLY = f"""
WITH d AS (
    SELECT c.id, c.kind, c.status, c.change_type, c.is_unplanned, c.approved_at, c.actual_start, c.actual_end,
           c.planned_start, c.planned_end, date_trunc('week', c.actual_end AT TIME ZONE 'UTC') AS week,
           (c.status = 'backed_out' OR EXISTS (SELECT 1 FROM incidents_backout b WHERE b.change_id = c.id)) AS bo,
           EXISTS (SELECT 1 FROM incidents_incidentfinding f WHERE f.change_id = c.id
                   AND f.role = 'confirmed_cause' AND f.withdrawn_at IS NULL) AS caused
    {_DEPLOYMENTS}
)
SELECT week, count(*), count(*) FILTER (WHERE kind = 'release'),
       count(*) FILTER (WHERE status = 'failed' OR bo OR caused),
       count(*) FILTER (WHERE change_type = 'emergency'), count(*) FILTER (WHERE bo),
       count(*) FILTER (WHERE change_type = 'emergency' OR bo), count(*) FILTER (WHERE is_unplanned),
       count(*) FILTER (WHERE NOT is_unplanned AND (approved_at IS NULL OR approved_at > actual_start)),
       count(*) FILTER (WHERE NOT is_unplanned AND (actual_start < planned_start - interval '30 minutes'
                                                   OR actual_end > planned_end + interval '30 minutes')),
       count(*) FILTER (WHERE EXISTS (SELECT 1 FROM changes_changeactivity a WHERE a.change_id = d.id
                                      AND a.action = 'hosts' AND a.note = %(note)s)),
       count(*) FILTER (WHERE status = 'completed' AND EXISTS (SELECT 1 FROM changes_changehost h
                        WHERE h.change_id = d.id AND h.state IN ('pending', 'failed')))
FROM d GROUP BY week ORDER BY week
"""
LEAD = f"""
WITH d AS (
    SELECT date_trunc('week', c.actual_end AT TIME ZONE 'UTC') AS week,
           greatest(extract(epoch FROM c.actual_end - coalesce(
               (SELECT min(a.created) FROM changes_changeactivity a WHERE a.change_id = c.id
                AND a.action = 'transition' AND a.to_status = 'submitted'), c.created)), 0) AS seconds
    {_DEPLOYMENTS}
)
SELECT week, count(*), percentile_cont(0.5) WITHIN GROUP (ORDER BY seconds),
       percentile_cont(0.9) WITHIN GROUP (ORDER BY seconds)
FROM d GROUP BY week ORDER BY week
"""
TEAMS = f"""
SELECT c.team_id, count(*), count(*) FILTER (WHERE c.status IN ('failed', 'backed_out')
       OR EXISTS (SELECT 1 FROM incidents_backout b WHERE b.change_id = c.id)
       OR EXISTS (SELECT 1 FROM incidents_incidentfinding f WHERE f.change_id = c.id
                  AND f.role = 'confirmed_cause' AND f.withdrawn_at IS NULL))
{_DEPLOYMENTS}
GROUP BY c.team_id
"""


def _raw(raw, env: int, first: date, last: date) -> None:
    start, end = (local_midnight(day, _UTC) for day in (first, last + timedelta(days=1)))
    params = {"env": env, "start": start, "end": end, "note": UNPLANNED_HOSTS_NOTE}
    for sql in (WEEKLY, LEAD, TEAMS):
        raw.execute(sql, params).fetchall()


def reads(raw, fx: Fixture, budget: Budget) -> list[Result]:
    last_days = [fx.anchor.date() - timedelta(days=7 * n) for n in range(3)]
    periods = [(last - timedelta(days=DAYS - 1), last) for last in last_days]

    def query(period: tuple[date, date]) -> dict:
        return {"start": period[0].isoformat(), "end": period[1].isoformat(), "environment": "prod", "tz": "UTC"}

    def service(period):
        data = QueryDict(mutable=True)
        data.update(query(period))
        form = MetricsForm(data, zone=_UTC, now=fx.anchor)
        if not form.is_valid():
            raise RuntimeError(f"bench metrics parameters refused: {form.errors}")
        return build_report(MetricsQuery.from_form(form))

    paths = {
        "raw SQL": lambda period: _raw(raw, fx.environment_id, *period),
        REPORT: service,
        API: lambda period: _ok(fx.api.get("/api/v1/metrics", query(period))),
        PAGE: lambda period: _ok(fx.page.get("/metrics/", query(period))),
    }
    stats, count = _with_replay(raw, paths, API, periods, budget)
    sizes = [service(period).totals.deployments for period in periods]
    note = f"production, {DAYS} days to the anchor and 1-2 weeks before; {min(sizes):,}-{max(sizes):,} deployments"
    return [Result(f"metrics, production, {DAYS} days", "raw SQL", stats, {API: count}, note)]
