"""The one CSV writer: a BOM, a header, one line per row, quoted as CSV, whole or streamed; no formulas."""

from __future__ import annotations

import csv
import io

import pytest
from django.http import StreamingHttpResponse
from hypothesis import given
from hypothesis import strategies as st

from portal.exports import _NUMBER, BOM, FORMULA_STARTS, csv_response


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


@pytest.mark.parametrize(
    "text",
    ["=1+1", '=HYPERLINK("http://evil.example","x")', "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A2)", "\tx", "\r=1"],
)
def test_a_formula_is_written_as_text(text: str) -> None:
    response = csv_response(filename="x.csv", header=["cell"], rows=[[text]])
    (read,) = list(csv.reader(io.StringIO(response.content.decode().removeprefix(BOM))))[1:]
    assert read == ["'" + text]


@pytest.mark.parametrize("value", ["-3.5", "+1", "-1,000.25", "1e-5", -7, 0.25, "plain", "さくら食品", ""])
def test_numbers_and_plain_text_stay_as_they_are(value: object) -> None:
    response = csv_response(filename="x.csv", header=["cell"], rows=[[value]])
    (read,) = list(csv.reader(io.StringIO(response.content.decode().removeprefix(BOM))))[1:]
    assert read == [str(value)]


@given(st.lists(st.text(max_size=30), min_size=1, max_size=5))
def test_no_cell_of_any_text_reads_as_a_formula(texts: list[str]) -> None:
    response = csv_response(filename="x.csv", header=["h"] * len(texts), rows=[texts])
    rows = list(csv.reader(io.StringIO(response.content.decode().removeprefix(BOM), newline="")))
    for original, written in zip(texts, rows[1], strict=True):
        assert written in (original, "'" + original)
        if written.startswith(FORMULA_STARTS):
            assert _NUMBER.fullmatch(written)
