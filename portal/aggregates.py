"""Aggregates the ORM does not ship for every database the project runs on."""

from __future__ import annotations

from typing import Any

from django.db.models import Aggregate, CharField
from django.db.models.sql.compiler import SQLCompiler


class JoinedIds(Aggregate):
    """The integers of a group as one text, comma-separated (no order promised): ``GROUP_CONCAT`` on
    SQLite, ``STRING_AGG`` on PostgreSQL. Read back with :func:`split_ids`."""

    function = "GROUP_CONCAT"
    output_field = CharField()

    def as_postgresql(self, compiler: SQLCompiler, connection: Any, **extra: Any) -> tuple[str, Any]:
        return self.as_sql(
            compiler, connection, function="STRING_AGG", template="%(function)s(CAST(%(expressions)s AS text), ',')"
        )


def split_ids(joined: str | None) -> list[int]:
    return [int(part) for part in joined.split(",")] if joined else []
