"""Charts are SVG that runs nothing and loads nothing, readable in both languages."""

from __future__ import annotations

import re

from django.utils import translation

from portal.charts import bar_chart, km_curves_chart, step_points, trend_chart


def assert_inert(svg: str) -> None:
    assert svg.startswith("<svg ")
    assert "<script" not in svg
    assert not re.search(r"(href|src)=\"https?://", svg)
    assert "<!--" not in svg
    assert ' style="' not in svg  # style attributes are not covered by the CSP nonce


def test_step_points_draw_a_staircase() -> None:
    assert step_points([(2, 0.25), (5, 0.5)], 10) == [(2, 0), (2, 0.25), (5, 0.25), (5, 0.5), (10, 0.5)]
    assert step_points([(2, 0.25), (50, 0.5)], 10) == [(2, 0), (2, 0.25), (10, 0.25)]


def test_km_chart_is_inert_and_carries_the_nonce() -> None:
    svg = km_curves_chart(
        curves=[("SMB", [(3.0, 0.2), (9.5, 0.6)]), ("PLG", [(1.0, 0.5)])],
        bands=[("SMB", 7, 21)],
        x_max=30,
        title="First value",
        nonce="abc123",
    )
    assert_inert(svg)
    assert '<style nonce="abc123"' in svg
    assert 'aria-label="First value"' in svg
    assert "SMB" in svg and "PLG" in svg


def test_charts_speak_the_active_language() -> None:
    with translation.override("ja"):
        ja = km_curves_chart(curves=[("SMB", [(3.0, 0.2)])], x_max=10, title="t")
    with translation.override("en"):
        en = km_curves_chart(curves=[("SMB", [(3.0, 0.2)])], x_max=10, title="t")
    assert "Days since start" in en
    assert "Days since start" not in ja


def test_trend_and_bar_charts_are_inert() -> None:
    assert_inert(trend_chart(labels=["2026-01", "2026-02"], series=[("median", [12.0, None])], title="t", y_title="d"))
    assert_inert(bar_chart(labels=["a", "b"], series=[("n", [3, 5])], title="t"))
    assert_inert(bar_chart(labels=["a"], series=[("share", [0.5])], title="t", percent=True, horizontal=True))


def test_no_data_draws_nothing_and_large_curves_stay_light() -> None:
    assert km_curves_chart(curves=[], x_max=30, title="t") == ""
    curve = [(i / 100, i / 100_000) for i in range(1, 100_001)]
    assert len(step_points(curve, x_max=2000)) < 1200
