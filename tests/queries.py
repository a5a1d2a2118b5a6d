"""Counting the SQL a piece of code runs, with every statement shown when a count is off.

- ``assert_queries(n)``: the block runs exactly ``n`` queries.
- ``assert_max_queries(n)``: the block runs at most ``n`` queries.
- ``capture_queries()``: capture without asserting, to compare blocks afterwards with
  ``assert_same_queries(few, many)`` ("the same count for one row and for many") or
  ``assert_fewer_queries(less, more)``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

__all__ = [
    "CaptureQueriesContext",
    "assert_fewer_queries",
    "assert_max_queries",
    "assert_queries",
    "assert_same_queries",
    "capture_queries",
    "numbered_sql",
    "statements",
]


def statements(captured: CaptureQueriesContext) -> list[str]:
    """The SQL of every captured query, in order."""
    return [query["sql"] for query in captured.captured_queries]


def numbered_sql(captured: CaptureQueriesContext) -> str:
    """Every captured statement on its own numbered line, for a failure message."""
    return "\n".join(f"{n}. {sql}" for n, sql in enumerate(statements(captured), start=1))


@contextmanager
def capture_queries() -> Iterator[CaptureQueriesContext]:
    """Capture the queries the block runs on the default database."""
    with CaptureQueriesContext(connection) as captured:
        yield captured


@contextmanager
def assert_queries(expected: int, label: str = "") -> Iterator[CaptureQueriesContext]:
    """Fail unless the block runs exactly ``expected`` queries."""
    with capture_queries() as captured:
        yield captured
    if len(captured) != expected:
        prefix = f"{label}: " if label else ""
        pytest.fail(f"{prefix}{len(captured)} queries run, {expected} expected:\n{numbered_sql(captured)}")


@contextmanager
def assert_max_queries(limit: int, label: str = "") -> Iterator[CaptureQueriesContext]:
    """Fail if the block runs more than ``limit`` queries."""
    with capture_queries() as captured:
        yield captured
    if len(captured) > limit:
        prefix = f"{label}: " if label else ""
        pytest.fail(f"{prefix}{len(captured)} queries run, at most {limit} expected:\n{numbered_sql(captured)}")


def assert_same_queries(
    few: CaptureQueriesContext, many: CaptureQueriesContext, expected: int | None = None, label: str = ""
) -> None:
    """Fail unless both blocks ran the same number of queries (and, if given, exactly ``expected``)."""
    prefix = f"{label}: " if label else ""
    if len(few) != len(many):
        pytest.fail(
            f"{prefix}query count grows with rows: {len(few)} for few, {len(many)} for many:\n"
            f"--- few ---\n{numbered_sql(few)}\n--- many ---\n{numbered_sql(many)}"
        )
    if expected is not None and len(many) != expected:
        pytest.fail(f"{prefix}{len(many)} queries run, {expected} expected:\n{numbered_sql(many)}")


def assert_fewer_queries(less: CaptureQueriesContext, more: CaptureQueriesContext, label: str = "") -> None:
    """Fail unless the first block ran fewer queries than the second."""
    if len(less) >= len(more):
        prefix = f"{label}: " if label else ""
        pytest.fail(
            f"{prefix}{len(less)} queries is not fewer than {len(more)}:\n"
            f"--- expected fewer ---\n{numbered_sql(less)}\n--- compared with ---\n{numbered_sql(more)}"
        )
