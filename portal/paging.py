"""Pages of a long list that cost the same on a table of 10,000 rows as on one of 1,000,000.

Django's ``Paginator`` counts every row the filter matches (``SELECT COUNT(*)``): a scan of the
whole filtered table on every page view, however few rows the page shows. ``ShallowPaginator``
counts only as far as the asked page and ``LOOKAHEAD_PAGES`` beyond it (``SELECT COUNT(*) FROM
(... LIMIT n)``). When the rows go on past that, the total is PostgreSQL's estimate of the filter's
rows (the planner's, from the table statistics, as ``EXPLAIN`` gives it) and ``estimated`` is set,
so the page says "about". Other databases (SQLite, the embedded default of small installations)
count exactly, as before.
"""

from __future__ import annotations

import json
from functools import cached_property
from typing import Any

from django.core.paginator import Paginator
from django.db import connections
from django.db.models import QuerySet

# How far past the asked page the rows are counted exactly: enough for "next" and a few page numbers.
LOOKAHEAD_PAGES = 10


class ShallowPaginator(Paginator):
    """A ``Paginator`` whose ``count`` is exact only as deep as asked (see the module's docstring)."""

    estimated = False

    def __init__(self, object_list: Any, per_page: int | str, **kwargs: Any) -> None:
        super().__init__(object_list, per_page, **kwargs)
        self.asked = 1

    def validate_number(self, number: Any) -> int:
        # The first number asked for decides how deep to count (the count is computed once, on the
        # first validation, and kept).
        if "count" not in self.__dict__:
            try:
                self.asked = max(1, int(number))
            except (TypeError, ValueError, OverflowError):
                self.asked = 1
        return super().validate_number(number)

    @cached_property
    def count(self) -> int:
        if not isinstance(self.object_list, QuerySet):
            return super().count
        rows = self.object_list.order_by().values("pk")  # no sort, no joins, no annotations to count rows
        cap = (min(self.asked, 10**9) + LOOKAHEAD_PAGES) * self.per_page + 1
        counted = rows[:cap].count()
        if counted < cap:
            return counted
        connection = connections[rows.db]
        if connection.vendor != "postgresql":
            return rows.count()
        self.estimated = True
        return max(counted, _rounded(planned_rows(rows)))


def planned_rows(queryset: QuerySet[Any]) -> int:
    """PostgreSQL's estimate of the number of rows ``queryset`` returns, without running it."""
    sql, params = queryset.query.sql_with_params()
    with connections[queryset.db].cursor() as cursor:
        cursor.execute("EXPLAIN (FORMAT JSON) " + sql, params)
        plan = cursor.fetchone()[0]
    if isinstance(plan, str):
        plan = json.loads(plan)
    return int(plan[0]["Plan"]["Plan Rows"])


def _rounded(estimate: int) -> int:
    """Two significant figures: an estimate is not more precise than that."""
    if estimate < 100:
        return estimate
    digits = len(str(estimate)) - 2
    return round(estimate, -digits)
