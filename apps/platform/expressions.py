"""Two ORM expressions for bulk queries that read thousands of rows (the calendar's links and collision partners).

``EpochMicroseconds`` returns an instant as an integer: Django decodes every timestamp in Python (~5 µs each on
the bench machine, ~16,000 of them for a production week's collision sweep), integers go through psycopg's C
loader. ``AnyOf`` sends a list of ids as one array parameter on PostgreSQL: as ``__in`` it is thousands of
parameters, each prepared by Django and merged into the query text by psycopg one by one. Both also give their
SQL for raw queries (``EpochMicroseconds.raw``, ``AnyOf.raw``), as ``apps.changes.collisions`` writes them.
"""

from __future__ import annotations

from django.core.exceptions import EmptyResultSet
from django.db.models import BigIntegerField, BooleanField, F, Func


class EpochMicroseconds(Func):
    """A datetime column as integer microseconds since 1970-01-01 UTC (exact: both backends store microseconds)."""

    output_field = BigIntegerField()
    template = "(EXTRACT(EPOCH FROM %(expressions)s) * 1000000)::bigint"
    # SQLite keeps Django datetimes as UTC text, "YYYY-MM-DD HH:MM:SS[.ffffff]": the seconds from strftime on the
    # first 19 characters (on the whole text it rounds .5 up), the six fraction digits (or "000000") from the
    # text. "%%%%s" survives both rounds of %-formatting (here and in the SQLite backend).
    sqlite_template = (
        "(CAST(strftime('%%%%s', substr(%(expressions)s, 1, 19)) AS INTEGER) * 1000000"
        " + CAST(substr(%(expressions)s || '.000000', 21, 6) AS INTEGER))"
    )

    def as_sqlite(self, compiler, connection, **extra_context):
        return self.as_sql(compiler, connection, template=self.sqlite_template, **extra_context)

    @classmethod
    def raw(cls, column: str, vendor: str) -> str:
        """The expression on ``column`` as SQL for ``cursor.execute`` with parameters."""
        template = cls.sqlite_template if vendor == "sqlite" else cls.template
        return template % {"expressions": column}

    def get_db_converters(self, connection):
        # Both templates already give an int: skip Django's per-row int() converter.
        return []


class AnyOf(Func):
    """``column IN ids`` as a filter: ``column = ANY(%s)`` with one array parameter on PostgreSQL."""

    output_field = BooleanField()

    def __init__(self, column: str, ids):
        super().__init__(F(column))
        self.ids = list(ids)

    def _column(self, compiler) -> tuple[str, list]:
        if not self.ids:
            raise EmptyResultSet
        sql, params = compiler.compile(self.get_source_expressions()[0])
        return sql, list(params)

    def as_sql(self, compiler, connection, **extra_context):
        column, params = self._column(compiler)
        return f"{column} IN ({', '.join(['%s'] * len(self.ids))})", (*params, *self.ids)

    def as_postgresql(self, compiler, connection, **extra_context):
        column, params = self._column(compiler)
        return f"{column} = ANY(%s::bigint[])", (*params, self.ids)

    @staticmethod
    def raw(column: str, ids: list[int], vendor: str) -> tuple[str, list]:
        """``column IN ids`` as SQL and parameters for ``cursor.execute`` (``ids`` not empty)."""
        if vendor == "postgresql":
            return f"{column} = ANY(%s::bigint[])", [ids]
        return f"{column} IN ({', '.join(['%s'] * len(ids))})", list(ids)
