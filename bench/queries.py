"""The raw SQL each app path is compared with: what the database alone needs for the same answer.

Each runs through psycopg 3 on its own connection (server-side binding, prepared after a few executions),
with every parameter cast (``%s::bigint``, ``%s::timestamptz``) so the planner sees the column types and uses
the same indexes as the app (see ../shared/PERF-NOTES.md). Each function sends, executes and fetches all rows.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import psycopg

# Changes on one host overlapping [at - hours, at], newest first: an index-only scan of the covering link index
# (host_id, eff_start, change_id) INCLUDE (eff_end), bounded below by the longest change, then the changes by id.
SUSPECTS = """
SELECT c.id, c.title, c.kind, c.status, c.risk, c.change_type, c.artifact, l.eff_start, l.eff_end
FROM changes_changehost l
JOIN changes_change c ON c.id = l.change_id
WHERE l.host_id = %(host)s::bigint
  AND l.eff_start > %(floor)s::timestamptz AND l.eff_start <= %(at)s::timestamptz
  AND l.eff_end >= %(start)s::timestamptz
  AND c.status NOT IN ('draft', 'rejected', 'cancelled')
ORDER BY l.eff_start DESC, l.change_id DESC
LIMIT 50
"""

# The calendar week of one environment: the changes overlapping it, in start order, with their host counts.
WEEK = """
SELECT c.id, c.title, c.kind, c.status, c.risk, c.eff_start, c.eff_end, c.team_id,
       (SELECT count(*) FROM changes_changehost l WHERE l.change_id = c.id) AS hosts
FROM changes_change c
WHERE c.environment_id = %(env)s::bigint
  AND c.eff_start > %(floor)s::timestamptz AND c.eff_start < %(end)s::timestamptz
  AND c.eff_end > %(start)s::timestamptz
ORDER BY c.eff_start, c.id
LIMIT 500
"""

# Other changes on any of the hosts within the buffered window: the same link index, host_id = ANY(...).
COLLISIONS = """
SELECT c.id, c.title, c.status, c.eff_start, c.eff_end, array_agg(h.hostname ORDER BY h.hostname) AS hosts
FROM changes_changehost l
JOIN changes_change c ON c.id = l.change_id
JOIN inventory_host h ON h.id = l.host_id
WHERE l.host_id = ANY(%(hosts)s::bigint[])
  AND l.eff_start > %(floor)s::timestamptz AND l.eff_start < %(end)s::timestamptz
  AND l.eff_end > %(start)s::timestamptz
  AND c.status NOT IN ('cancelled', 'rejected')
GROUP BY c.id
ORDER BY c.eff_start, c.id
"""

# One unplanned change, its host links, its activity entry and its ingest record: one statement, one commit.
INGEST = """
WITH change AS (
  INSERT INTO changes_change (
    kind, change_type, title, summary, implementation_plan, backout_plan, test_plan, risk, planned_start,
    planned_end, actual_start, actual_end, eff_start, eff_end, status, artifact, links, is_unplanned, version,
    created, updated, environment_id, requester_id, freeze_justification, needs_freeze_exception)
  VALUES ('release', 'normal', %(title)s::text, %(title)s::text, '', '', '', 'low', %(start)s::timestamptz,
    %(end)s::timestamptz, %(start)s::timestamptz, %(end)s::timestamptz, %(start)s::timestamptz,
    %(end)s::timestamptz, 'completed', '', '[]', true, 1, now(), now(), %(env)s::bigint, %(user)s::int, '', false)
  RETURNING id
), links AS (
  INSERT INTO changes_changehost (state, note, eff_start, eff_end, created, change_id, host_id)
  SELECT 'pending', '', %(start)s::timestamptz, %(end)s::timestamptz, now(), change.id, host
  FROM change, unnest(%(hosts)s::bigint[]) AS host
), activity AS (
  INSERT INTO changes_changeactivity (actor_name, action, from_status, to_status, changes, note, created,
    actor_id, change_id, acting_as)
  SELECT 'bench', 'created', '', 'completed', '{}', '', now(), %(user)s::int, change.id, '' FROM change
)
INSERT INTO ingest_ingestrecord (dedup_key, kind, source, payload, unverified_hosts, warnings, created, actor_id,
  change_id, fingerprint)
SELECT %(key)s, 'unplanned', 'bench', '{}', '[]', '[]', now(), %(user)s::int, change.id, '' FROM change
"""

SELECT_ONE = "SELECT 1"


def suspects_params(host_id: int, at: datetime, hours: int, longest: timedelta) -> dict:
    start = at - timedelta(hours=hours)
    return {"host": host_id, "at": at, "start": start, "floor": start - longest}


def week_params(environment_id: int, start: datetime, end: datetime, longest: timedelta) -> dict:
    return {"env": environment_id, "start": start, "end": end, "floor": start - longest}


def collision_params(host_ids: list[int], start: datetime, end: datetime, buffer: timedelta, longest: timedelta):
    return {"hosts": host_ids, "start": start - buffer, "end": end + buffer, "floor": start - buffer - longest}


def run(conn: psycopg.Connection, query: str, params: dict | None = None) -> list[tuple]:
    return conn.execute(query, params).fetchall()


def explain(conn: psycopg.Connection, query: str, params: dict | None = None) -> str:
    rows = conn.execute(f"EXPLAIN (ANALYZE, BUFFERS, COSTS OFF, TIMING OFF) {query}", params).fetchall()
    return "\n".join(row[0] for row in rows)
