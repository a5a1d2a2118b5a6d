"""Pages of an API list. By cursor: ``?cursor=`` from the previous page's ``next``, stable while rows
are added or removed (no OFFSET to skip or repeat rows), and as fast on the last page as on the first.
Numbered (``?page=``) where a list always had numbers: counted only as deep as asked."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, Generic, TypeVar, cast

from rest_framework.exceptions import NotFound
from rest_framework.pagination import Cursor, CursorPagination, PageNumberPagination
from rest_framework.request import Request
from rest_framework.response import Response

from portal.paging import ShallowPaginator

T = TypeVar("T")
# The largest id a bigint column holds: a cursor past it names no row.
PK_MAX = 2**63 - 1


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


# A row's key in a keyset page: when it happened (aware) and its id, unique together.
Key = tuple[datetime, int]


class KeysetPage(CursorPage, Generic[T]):
    """CursorPage for rows the database pages itself (a report's raw SQL, not a QuerySet), in the
    order of a unique key: ``paginate_rows`` asks ``fetch(after, limit, backwards)`` for ``limit``
    rows after the key ``after`` (None: from the first), or before it when ``backwards``, in
    ascending order either way; ``key`` reads a row's key for the links. The same ``?cursor=`` and
    ``?page_size=`` as every other list, and as fast on the last page as on the first."""

    def paginate_rows(
        self, fetch: Callable[[Key | None, int, bool], list[T]], key: Callable[[T], Key], request: Request
    ) -> list[T]:
        self.request = request
        self.base_url = request.build_absolute_uri()
        self.page_size = cast(int, self.get_page_size(request))
        cursor = self.decode_cursor(request)
        # The stubs say a cursor's position is an int; DRF keeps it as the text it was given.
        self.position = self._decode_key(cast("str | None", cursor.position)) if cursor is not None else None
        backwards = cursor is not None and cursor.reverse
        rows = fetch(self.position, self.page_size + 1, backwards)
        more = len(rows) > self.page_size
        if backwards:
            self.page = rows[1:] if more else rows
            self.has_next, self.has_previous = True, more
        else:
            self.page = rows[: self.page_size]
            self.has_next, self.has_previous = more, self.position is not None
        self.key = key
        return self.page

    def get_next_link(self) -> str | None:
        if not self.has_next:
            return None
        return self._link(self.key(self.page[-1]) if self.page else self.position, backwards=False)

    def get_previous_link(self) -> str | None:
        if not self.has_previous:
            return None
        return self._link(self.key(self.page[0]) if self.page else self.position, backwards=True)

    def _link(self, anchor: Key | None, *, backwards: bool) -> str | None:
        if anchor is None:
            return None
        moment, pk = anchor
        position = cast(Any, f"{moment.isoformat()}|{pk}")  # text, whatever the stubs say
        return self.encode_cursor(Cursor(offset=0, reverse=backwards, position=position))

    def _decode_key(self, position: str | None) -> Key | None:
        if position is None:
            return None
        moment, _bar, pk = position.partition("|")
        try:
            parsed = datetime.fromisoformat(moment)
            number = int(pk)
        except ValueError:
            raise NotFound(self.invalid_cursor_message) from None
        if parsed.tzinfo is None or not 0 < number <= PK_MAX:
            raise NotFound(self.invalid_cursor_message)
        return parsed, number
