"""Bulk loading into the app's own tables (migrated first): COPY through psycopg 3, one connection per table.

The history tables lose their secondary indexes, unique and foreign-key constraints while they are filled
(CHECK constraints stay and check every row), get them back afterwards, then VACUUM ANALYZE: the vacuum
sets the visibility map, without which the covering link index is not used as an index-only scan. The DDL
that restores them is kept in ``bench_meta`` first, so a load interrupted half-way is repaired by the next.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable
from contextlib import ExitStack
from datetime import UTC, date, datetime, timedelta

import psycopg
from psycopg.copy import QueuedLibpqWriter

from bench.generate import DAY, HISTORY_COLUMNS, INVENTORY_COLUMNS, History, World

META_TABLE = "bench_meta"
# Never emptied by a load: migration state and the environments a data migration creates.
KEPT_TABLES = {
    "django_migrations", "django_content_type", "auth_permission", "auth_group", "auth_group_permissions",
    "inventory_environment", META_TABLE,
}  # fmt: skip
ENVIRONMENTS = (("dev", "Development", 10, False), ("qa", "QA", 20, False), ("prod", "Production", 30, True))
# Zero values for NOT NULL columns the generator does not know (a column added after it was written).
TYPE_DEFAULTS = {
    "text": "''", "character varying": "''", "boolean": "false", "integer": "0", "bigint": "0", "smallint": "0",
    "jsonb": "'{}'", "timestamp with time zone": "now()", "date": "current_date", "numeric": "0",
}  # fmt: skip

Progress = Callable[[str], None]


def conninfo(db: dict) -> str:
    """libpq connection string of a Django DATABASES entry, with its session options (the app's ``-c jit=off``:
    raw comparisons run under the same planner settings as the app)."""
    parts = {"dbname": db["NAME"], "user": db.get("USER"), "password": db.get("PASSWORD")}
    parts |= {"host": db.get("HOST"), "port": db.get("PORT"), "options": db.get("OPTIONS", {}).get("options")}
    return psycopg.conninfo.make_conninfo(**{key: str(value) for key, value in parts.items() if value})


def ensure_database(db: dict) -> bool:
    """Create the database when it does not exist yet; True if it was created."""
    admin = dict(db, NAME="postgres")
    with psycopg.connect(conninfo(admin), autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [db["NAME"]]).fetchone():
            return False
        conn.execute(psycopg.sql.SQL("CREATE DATABASE {}").format(psycopg.sql.Identifier(db["NAME"])))
        return True


def read_meta(conn: psycopg.Connection, key: str = "state"):
    if not conn.execute("SELECT to_regclass(%s)", [META_TABLE]).fetchone()[0]:
        return None
    row = conn.execute(f"SELECT value FROM {META_TABLE} WHERE key = %s", [key]).fetchone()
    return row[0] if row else None


def write_meta(conn: psycopg.Connection, value, key: str = "state") -> None:
    conn.execute(f"CREATE TABLE IF NOT EXISTS {META_TABLE} (key text PRIMARY KEY, value jsonb NOT NULL)")
    conn.execute(
        f"INSERT INTO {META_TABLE} (key, value) VALUES (%s, %s) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        [key, json.dumps(value)],
    )


def _tables(conn: psycopg.Connection) -> list[str]:
    rows = conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")
    return [name for (name,) in rows if name not in KEPT_TABLES]


def reset(conn: psycopg.Connection) -> dict[str, int]:
    """Empty every app table of a bench database (refusing one that holds data the bench did not load)."""
    has_changes = conn.execute("SELECT EXISTS (SELECT 1 FROM changes_change)").fetchone()[0]
    if has_changes and read_meta(conn) is None:
        raise RuntimeError(
            "This database holds changes the bench did not load; refusing to empty it. "
            "Point DATABASE_URL at a dedicated bench database (make bench defaults to changeportal_bench)."
        )
    names = ", ".join(f'"{name}"' for name in _tables(conn))
    conn.execute(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
    restore_constraints(conn)  # left over by an interrupted load: cheap on the empty tables
    for slug, name, order, production in ENVIRONMENTS:
        conn.execute(
            'INSERT INTO inventory_environment (name, slug, "order", is_production, description) '
            "VALUES (%s, %s, %s, %s, '') ON CONFLICT (slug) DO NOTHING",
            [name, slug, order, production],
        )
    return dict(conn.execute("SELECT slug, id FROM inventory_environment").fetchall())


def _temporary_defaults(conn: psycopg.Connection, table: str, columns: Iterable[str]) -> list[str]:
    """Give NOT NULL columns the generator does not fill a zero default for the COPY; returns the undo DDL."""
    rows = conn.execute(
        "SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = 'public' "
        "AND table_name = %s AND is_nullable = 'NO' AND column_default IS NULL AND is_identity = 'NO'",
        [table],
    ).fetchall()
    undo = []
    for column, data_type in rows:
        if column in columns:
            continue
        if data_type not in TYPE_DEFAULTS:
            raise RuntimeError(f"bench cannot fill {table}.{column} ({data_type}): teach bench.load its default")
        conn.execute(f'ALTER TABLE {table} ALTER COLUMN "{column}" SET DEFAULT {TYPE_DEFAULTS[data_type]}')
        undo.append(f'ALTER TABLE {table} ALTER COLUMN "{column}" DROP DEFAULT')
    return undo


def _copy_sql(table: str, columns: Iterable[str]) -> str:
    quoted = ", ".join(f'"{column}"' for column in columns)
    return f"COPY {table} ({quoted}) FROM STDIN"


def load_inventory(conn: psycopg.Connection, world: World, anchor: int) -> None:
    lines = world.inventory_lines()
    for table, columns in INVENTORY_COLUMNS.items():
        undo = _temporary_defaults(conn, table, columns)
        with conn.cursor().copy(_copy_sql(table, columns)) as copy:
            copy.write("".join(lines[table]))
        for statement in undo:
            conn.execute(statement)
    for name, start, end, recurrence, slugs in freeze_windows(world, anchor):
        freeze_id = conn.execute(
            'INSERT INTO changes_freezewindow (name, start, "end", recurrence, reason, created) '
            "VALUES (%s, %s, %s, %s, '', now()) RETURNING id",
            [name, start, end, recurrence],
        ).fetchone()[0]
        for slug in slugs:
            conn.execute(
                "INSERT INTO changes_freezewindow_environments (freezewindow_id, environment_id) VALUES (%s, %s)",
                [freeze_id, world.environment_ids[slug]],
            )


def freeze_windows(world: World, anchor: int):
    """A weekly Saturday-night production freeze, quarter-end freezes and the year-end freeze."""
    first = datetime.fromtimestamp(anchor - world.scale.days * DAY, UTC).replace(hour=20, minute=0, second=0)
    first += timedelta(days=(5 - first.weekday()) % 7)
    yield "Saturday night maintenance freeze", first, first + timedelta(hours=10), "FREQ=WEEKLY;BYDAY=SA", ["prod"]
    last = datetime.fromtimestamp(anchor + world.scale.future_days * DAY, UTC)
    for year in range(first.year, last.year + 1):
        for month in (3, 6, 9, 12):
            end = datetime.combine(date(year + month // 12, month % 12 + 1, 1), datetime.min.time(), UTC)
            if first <= end <= last:
                name = f"Quarter end {year} Q{month // 3}"
                yield name, end - timedelta(days=2), end + timedelta(days=1), "", ["prod", "qa"]
        start = datetime(year, 12, 20, tzinfo=UTC)
        if first <= start <= last:
            yield f"Year-end freeze {year}", start, start + timedelta(days=14), "", ["prod"]


def drop_constraints(conn: psycopg.Connection, tables: Iterable[str]) -> None:
    """Drop foreign keys, unique constraints and plain indexes of ``tables`` (primary keys and CHECKs stay)."""
    restore, drop = [], []
    for table in tables:
        constraints = conn.execute(
            "SELECT conname, contype, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = %s::regclass AND contype IN ('u', 'f') ORDER BY contype DESC, conname",
            [table],
        ).fetchall()
        indexes = conn.execute(
            "SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index i "
            "WHERE indrelid = %s::regclass AND NOT indisprimary "
            "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid) ORDER BY 1",
            [table],
        ).fetchall()
        for name, kind, definition in constraints:
            drop.append(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
            restore.append((0 if kind == "u" else 2, f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}'))
        for name, definition in indexes:
            drop.append(f"DROP INDEX {name}")
            restore.append((1, definition))
    pending = (read_meta(conn, "restore") or []) + [statement for _, statement in sorted(restore)]
    write_meta(conn, pending, "restore")
    for statement in drop:
        conn.execute(statement)


def restore_constraints(conn: psycopg.Connection, progress: Progress | None = None) -> None:
    """Rebuild what drop_constraints dropped: unique constraints, then indexes, then foreign keys."""
    pending = read_meta(conn, "restore") or []
    conn.execute("SET maintenance_work_mem = '512MB'")
    for statement in pending:
        started = time.monotonic()
        try:
            conn.execute(statement)
        except (psycopg.errors.DuplicateObject, psycopg.errors.DuplicateTable):
            pass  # never dropped: the interrupted load stopped before it
        if progress:
            progress(f"  {statement.split(' (')[0][:90]} ({time.monotonic() - started:.1f} s)")
    write_meta(conn, [], "restore")


def load_days(
    db: dict, history: History, days: list[int], first_ids: dict[int, int], progress: Progress
) -> dict[str, int]:
    """COPY the changes of ``days`` (oldest first) into the history tables: one connection and COPY per table."""
    info = conninfo(db)
    counts = dict.fromkeys(HISTORY_COLUMNS, 0)
    total = sum(history.day_count(day) for day in days)
    started = last = time.monotonic()
    with ExitStack() as connections:
        undo: list[tuple[psycopg.Connection, list[str]]] = []
        with ExitStack() as open_copies:
            copies = {}
            for table, columns in HISTORY_COLUMNS.items():
                conn = connections.enter_context(psycopg.connect(info))
                conn.execute("SET synchronous_commit = off")
                undo.append((conn, _temporary_defaults(conn, table, columns)))
                cursor = conn.cursor()
                statement = _copy_sql(table, columns)
                copies[table] = open_copies.enter_context(cursor.copy(statement, writer=QueuedLibpqWriter(cursor)))
            for day in days:
                for table, lines in history.generate_day(day, first_ids[day]).items():
                    copies[table].write("".join(lines))
                    counts[table] += len(lines)
                if time.monotonic() - last > 10 or day == days[-1]:
                    last = time.monotonic()
                    done, elapsed = counts["changes_change"], last - started
                    progress(
                        f"  {done:,} of {total:,} changes, {counts['changes_changehost']:,} host links "
                        f"({elapsed:.0f} s, {done / max(elapsed, 1e-9):,.0f} changes/s)"
                    )
        for conn, statements in undo:  # the COPYs have ended; each connection commits on leaving
            for statement in statements:
                conn.execute(statement)
    return counts


def finish(db: dict, tables: Iterable[str], progress: Progress) -> None:
    """Sequences past the explicit ids, then VACUUM ANALYZE (visibility map for index-only scans)."""
    with psycopg.connect(conninfo(db), autocommit=True) as conn:
        for table in tables:
            following = f"(SELECT coalesce(max(id), 0) + 1 FROM {table})"
            conn.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), {following}, false)")
        for table in tables:
            started = time.monotonic()
            conn.execute(f"VACUUM (ANALYZE) {table}")
            progress(f"  VACUUM ANALYZE {table} ({time.monotonic() - started:.1f} s)")
