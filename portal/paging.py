"""Pages of a long list that cost the same on a table of 10,000 rows as on one of 1,000,000.

Django's ``Paginator`` counts every row the filter matches (``SELECT COUNT(*)``): a scan of the
whole filtered table on every page view, however few rows the page shows. On PostgreSQL,
``ShallowPaginator`` counts only as far as the asked page and ``LOOKAHEAD_PAGES`` beyond it
(``SELECT COUNT(*) FROM (... LIMIT n)``); when the rows go on past that, the total is the planner's
estimate of the filter's rows (from the table statistics, as ``EXPLAIN`` gives it, through the
``portal_planned_rows`` function of migration 0019) and ``estimated`` is set, so the page says
"about". Both in one statement, so a page runs as many queries for 10 rows as for 1,000,000. Other
databases (SQLite, the embedded default of small installations) count exactly, as before.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

from django.core.exceptions import EmptyResultSet
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
        connection = connections[rows.db]
        if connection.vendor != "postgresql":
            return rows.count()
        cap = (min(self.asked, 10**9) + LOOKAHEAD_PAGES) * self.per_page + 1
        try:
            sql, params = rows.query.get_compiler(using=rows.db).as_sql()
        except EmptyResultSet:  # a queryset that is none()
            return 0
        planned_query = connection.ops.compose_sql(sql, params)  # type: ignore[attr-defined] # PostgreSQL's
        with connection.cursor() as cursor:
            # ``sql`` is the queryset's own, its values bound as parameters.
            statement = "SELECT counted, CASE WHEN counted >= %s THEN portal_planned_rows(%s) END FROM "
            statement += f"(SELECT COUNT(*) AS counted FROM ({sql} LIMIT %s) AS page) AS shallow"  # noqa: S608
            cursor.execute(statement, [cap, planned_query, *params, cap])
            counted, planned = cursor.fetchone()
        if planned is None:
            return int(counted)
        self.estimated = True
        return max(int(counted), _rounded(int(planned)))


def _rounded(estimate: int) -> int:
    """Two significant figures: an estimate is not more precise than that."""
    if estimate < 100:
        return estimate
    digits = len(str(estimate)) - 2
    return round(estimate, -digits)
