"""Pages of an API list by cursor: ``?cursor=`` from the previous page's ``next``, stable while rows
are added or removed (no OFFSET to skip or repeat rows), and as fast on the last page as on the first."""

from __future__ import annotations

from rest_framework.pagination import CursorPagination


class CursorPage(CursorPagination):
    """Newest first by id; ``?page_size=`` up to 200. A view lists by another unique, unchanging
    order by setting ``ordering``."""

    ordering = "-pk"
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
