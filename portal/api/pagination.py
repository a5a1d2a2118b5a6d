"""Pages of an API list. By cursor: ``?cursor=`` from the previous page's ``next``, stable while rows
are added or removed (no OFFSET to skip or repeat rows), and as fast on the last page as on the first.
Numbered (``?page=``) where a list always had numbers: counted only as deep as asked."""

from __future__ import annotations

from typing import Any

from rest_framework.pagination import CursorPagination, PageNumberPagination
from rest_framework.response import Response

from portal.paging import ShallowPaginator


class CursorPage(CursorPagination):
    """Newest first by id; ``?page_size=`` up to 200. A view lists by another unique, unchanging
    order by setting ``ordering``."""

    ordering = "-pk"
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


class ShallowPage(PageNumberPagination):
    """Numbered pages (``?page=``) counted only as deep as asked (``portal.paging``): on a long list,
    ``count`` is PostgreSQL's estimate of the rows, and ``count_is_estimate`` says so."""

    django_paginator_class = ShallowPaginator

    def get_paginated_response(self, data: Any) -> Response:
        assert self.page is not None
        paginator = self.page.paginator
        return Response(
            {
                "count": paginator.count,
                "count_is_estimate": isinstance(paginator, ShallowPaginator) and paginator.estimated,
                "next": self.get_next_link(),
                "previous": self.get_previous_link(),
                "results": data,
            }
        )

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        paginated = super().get_paginated_response_schema(schema)
        paginated["properties"] = {
            "count": {
                **paginated["properties"]["count"],
                "description": "The number of rows; an estimate when count_is_estimate is true.",
            },
            "count_is_estimate": {
                "type": "boolean",
                "description": "True on a long list: the count is the database's estimate, not counted.",
            },
            **{name: value for name, value in paginated["properties"].items() if name != "count"},
        }
        paginated["required"] = [*paginated["required"], "count_is_estimate"]
        return paginated
