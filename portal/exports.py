"""CSV exports: the one writer every table, list and report downloads through."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator, Sequence

from django.http import HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase

# Spreadsheet programs read a file as UTF-8 (and so Japanese names right) only after this mark.
BOM = "\ufeff"


class _Echo:
    """A file-like object whose write returns the line, so csv.writer yields lines one by one."""

    def write(self, value: str) -> str:
        return value


def csv_lines(header: Sequence[object], rows: Iterable[Sequence[object]]) -> Iterator[str]:
    """The BOM, the header line, then one line per row."""
    writer = csv.writer(_Echo())
    yield BOM
    yield writer.writerow(header)
    for row in rows:
        yield writer.writerow(row)


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
