"""The one CSV writer: a BOM, a header, one line per row, quoted as CSV; whole or streamed."""

from __future__ import annotations

from django.http import StreamingHttpResponse

from portal.exports import BOM, csv_response


def test_a_csv_download_starts_with_the_bom_and_quotes_its_cells() -> None:
    response = csv_response(filename="kachi-x.csv", header=["name", "note"], rows=[["さくら食品", 'say "hi", then go']])
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="kachi-x.csv"'
    assert response.content.decode() == BOM + 'name,note\r\nさくら食品,"say ""hi"", then go"\r\n'


def test_a_streamed_download_has_the_same_lines() -> None:
    rows = [[n, n * 2] for n in range(3)]
    whole = csv_response(filename="a.csv", header=["n", "double"], rows=rows)
    streamed = csv_response(filename="a.csv", header=["n", "double"], rows=iter(rows), stream=True)
    assert isinstance(streamed, StreamingHttpResponse)
    assert b"".join(streamed.streaming_content) == whole.content
