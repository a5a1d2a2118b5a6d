"""CSV exports: the one writer every table, list and report downloads through.

No cell reaches a spreadsheet as a formula: text that begins with ``=``, ``+``, ``-``, ``@``, a tab or
a carriage return (OWASP's list for CSV injection) is written behind an apostrophe, which
spreadsheet programs read as "this is text". Numbers, and text that is only a number ("-3.5"),
stay as they are. (defusedcsv does the same but leaves a leading tab or carriage return alone.)"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Iterator, Sequence

from django.http import HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase

from portal.db_router import replica_reads

# Spreadsheet programs read a file as UTF-8 (and so Japanese names right) only after this mark.
BOM = "\ufeff"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(\d+([.,]\d*)*|[.,]\d+)([eE][+-]?\d+)?")


def cell(value: object) -> object:
    """``value`` as a cell no spreadsheet executes."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS) and not _NUMBER.fullmatch(value):
        return "'" + value
    return value


class _Echo:
    """A file-like object whose write returns the line, so csv.writer yields lines one by one."""

    def write(self, value: str) -> str:
        return value


def csv_lines(header: Sequence[object], rows: Iterable[Sequence[object]]) -> Iterator[str]:
    """The BOM, the header line, then one line per row (read from the replica, when there is one:
    a streamed download reads its rows after the view returned)."""
    writer = csv.writer(_Echo())
    with replica_reads():
        yield BOM
        yield writer.writerow([cell(value) for value in header])
        for row in rows:
            yield writer.writerow([cell(value) for value in row])


def csv_response(
    *, filename: str, header: Sequence[object], rows: Iterable[Sequence[object]], stream: bool = False
) -> HttpResponseBase:
    """A CSV download. ``stream`` sends the lines as they are written (a large export) instead of
    building the whole file first."""
    lines = csv_lines(header, rows)
    content_type = "text/csv; charset=utf-8"
    response: HttpResponse | StreamingHttpResponse
    if stream:
        response = StreamingHttpResponse(lines, content_type=content_type)
    else:
        response = HttpResponse("".join(lines), content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
