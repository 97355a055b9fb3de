"""Drift facts for the suspects: which artifacts reached a QA/dev host of a service (apps.incidents.candidates).

Raw SQL, portable (PostgreSQL, and SQLite from 3.31 as Django 5.2 supports it: MATERIALIZED is written for
PostgreSQL only), with table names from the models' meta.
"""

from datetime import datetime

from django.db import DEFAULT_DB_ALIAS, connections, router

from apps.changes.choices import HostExecutionState
from apps.changes.models import Change, ChangeHost
from apps.inventory.models import Environment, Host


def artifacts_reached_lower(artifacts: set[str], service_ids: set[int], *, since: datetime) -> set[tuple[str, int]]:
    """(artifact, service) pairs applied since ``since`` on a non-production host of that service: one query.

    Two small sets met by a hash join, not a lookup of the change of every link row: the changes carrying one of
    the artifacts (the partial index change_artifact, ~130 changes an artifact) and the link rows of the services'
    QA/dev hosts since ``since``, read from the host/time index alone (it includes the state). Walking those hosts'
    links and looking up each link's change (~7,500 at the bench's scale, 90 days) cost 10–20 times more.
    MATERIALIZED keeps PostgreSQL from folding the two sets back into that nested loop.
    """
    if not artifacts or not service_ids:
        return set()
    artifact_list, service_list = sorted(artifacts), sorted(service_ids)
    # Raw SQL reads where the ORM queries of this lookup read (the replica for the read-only API, when there is one).
    connection = connections[router.db_for_read(ChangeHost) or DEFAULT_DB_ALIAS]
    materialized = "MATERIALIZED " if connection.vendor == "postgresql" else ""
    sql = (
        f"WITH released AS {materialized}(SELECT id, artifact FROM {Change._meta.db_table} "
        f"WHERE artifact IN ({', '.join(['%s'] * len(artifact_list))})), "
        f"lower_hosts AS {materialized}(SELECT m.host_id, m.service_id FROM {Host.services.through._meta.db_table} m "
        f"JOIN {Host._meta.db_table} h ON h.id = m.host_id "
        f"JOIN {Environment._meta.db_table} e ON e.id = h.environment_id "
        f"WHERE m.service_id IN ({', '.join(['%s'] * len(service_list))}) AND NOT e.is_production) "
        f"SELECT DISTINCT r.artifact, lower_hosts.service_id FROM lower_hosts "
        f"JOIN {ChangeHost._meta.db_table} l ON l.host_id = lower_hosts.host_id "
        "JOIN released r ON r.id = l.change_id "
        "WHERE l.eff_start > %s AND l.state = %s"
    )
    params = [
        *artifact_list,
        *service_list,
        connection.ops.adapt_datetimefield_value(since),
        HostExecutionState.APPLIED,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {(artifact, service_id) for artifact, service_id in cursor.fetchall()}
