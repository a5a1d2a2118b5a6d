"""Server-rendered SVG charts (pygal) for every report page (TTV, the support desk).

pygal writes a small inline <script> even with ``js=[]``; it is removed, so a
chart runs no code and loads nothing. Its <style> gets the page's CSP nonce,
so the SVG can sit inline in the page under ``style-src 'self' 'nonce-…'``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import pygal
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from pygal.style import Style

PALETTE = ("#4338ca", "#0891b2", "#059669", "#d97706", "#db2777", "#7c3aed", "#64748b", "#b91c1c")

STYLE = Style(
    background="transparent",
    plot_background="transparent",
    foreground="#1f2937",
    foreground_strong="#1f2937",
    foreground_subtle="#6b7280",
    opacity=".18",
    opacity_hover=".3",
    colors=PALETTE,
    font_family='system-ui, "Hiragino Sans", "Noto Sans JP", "Noto Sans CJK JP", "Yu Gothic", Meiryo, sans-serif',
    label_font_size=12,
    major_label_font_size=12,
    legend_font_size=13,
    title_font_size=15,
    value_font_size=12,
    tooltip_font_size=12,
)

_SCRIPT = re.compile(r"<script\b.*?</script>", re.S)
_COMMENT = re.compile(r"<!--.*?-->", re.S)


def _config(*, colors: Sequence[str] | None = None, **overrides: object) -> dict:
    style = STYLE
    if colors is not None:
        style = Style(**{**STYLE.to_dict(), "colors": tuple(colors)})
    return {
        "js": [],
        "style": style,
        "disable_xml_declaration": True,
        "show_dots": False,
        "legend_at_bottom": True,
        "legend_at_bottom_columns": 4,
        "truncate_legend": 40,
        "width": 860,
        "height": 380,
        "margin": 12,
        "print_values": False,
        **overrides,
    }


def _svg(chart: pygal.graph.graph.Graph, *, nonce: str = "", title: str = "") -> SafeString:
    svg = chart.render(is_unicode=True)
    svg = _COMMENT.sub("", _SCRIPT.sub("", svg))
    # The one style attribute pygal writes (its tooltip); as a presentation attribute CSP allows it.
    svg = svg.replace(' style="opacity: 0"', ' opacity="0"')
    if nonce:
        svg = svg.replace("<style", f'<style nonce="{nonce}"', 1)
    svg = svg.replace("<svg ", f'<svg role="img" aria-label="{_escape(title)}" ', 1)
    return mark_safe(svg)  # noqa: S308 - built by pygal from numbers and escaped labels; scripts removed


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")


MIN_STEP = 0.002  # rises smaller than 0.2 points are merged: a chart of 100,000 accounts stays light


def step_points(curve: Sequence[tuple[float, float]], x_max: float) -> list[tuple[float, float]]:
    """A Kaplan-Meier curve as the corners of its steps, extended flat to ``x_max``."""
    points: list[tuple[float, float]] = []
    previous = 0.0
    for t, share in curve:
        if t > x_max:
            break
        if share - previous < MIN_STEP and share != 1.0:
            continue
        points.append((t, previous))
        points.append((t, share))
        previous = share
    points.append((x_max, previous))
    return points


def km_curves_chart(
    *,
    curves: Sequence[tuple[str, Sequence[tuple[float, float]]]],
    bands: Sequence[tuple[str, float, float]] = (),
    x_max: float,
    title: str,
    x_title: str | None = None,
    y_title: str | None = None,
    nonce: str = "",
) -> SafeString:
    """Share of accounts that reached value by day N (or of inquiries answered by hour N: ``x_title``):
    one step curve per group, reference bands shaded in the colour of their group's curve (``bands``
    name groups of ``curves``). Empty without curves."""
    if not curves:
        return mark_safe("")
    color_of = {label: PALETTE[i % len(PALETTE)] for i, (label, _curve) in enumerate(curves)}
    chart = pygal.XY(
        **_config(
            colors=[*color_of.values(), *(color_of.get(label, PALETTE[-1]) for label, _low, _high in bands)],
            title=title,
            x_title=x_title or _("Days since start"),
            y_title=y_title or _("Share reached"),
            range=(0, 1),
            xrange=(0, x_max),
            value_formatter=lambda y: f"{y:.0%}",
            y_labels=[0, 0.25, 0.5, 0.75, 1],
            stroke_style={"width": 2.5},
            margin_bottom=40,  # pygal places the legend below the axis title: room for it in the picture
        )
    )
    for label, curve in curves:
        chart.add(label, step_points(curve, x_max))
    for label, low, high in bands:
        chart.add(
            _("%(name)s reference band") % {"name": label},
            [(low, 0), (low, 1), (high, 1), (high, 0)],
            fill=True,
            stroke_style={"width": 0.5, "dasharray": "4, 4"},
        )
    return _svg(chart, nonce=nonce, title=title)


def trend_chart(
    *,
    labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[float | None]]],
    title: str,
    y_title: str,
    nonce: str = "",
) -> SafeString:
    """Values per period (cohort) as lines; gaps where a value is missing."""
    chart = pygal.Line(
        **_config(
            title=title,
            y_title=y_title,
            show_dots=True,
            dots_size=3,
            allow_interruptions=True,
            x_label_rotation=-30 if len(labels) > 14 else 0,
            x_labels_major_every=max(1, len(labels) // 12) if len(labels) > 14 else None,
            show_minor_x_labels=len(labels) <= 14,
            value_formatter=lambda y: f"{y:.1f}",
            margin_bottom=28,  # room for the legend under the cohort labels
        )
    )
    chart.x_labels = list(labels)
    for name, values in series:
        chart.add(name, list(values))
    return _svg(chart, nonce=nonce, title=title)


def bar_chart(
    *,
    labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[float | None]]],
    title: str,
    y_title: str = "",
    percent: bool = False,
    horizontal: bool = False,
    legend_columns: int = 4,
    nonce: str = "",
) -> SafeString:
    """Bars per label (a histogram, a funnel, a ranking); the legend (shown for two series or more)
    in ``legend_columns`` columns: one for long series names."""
    kind = pygal.HorizontalBar if horizontal else pygal.Bar
    # pygal measures labels as Latin text; wide (Japanese) labels need room made for them.
    margin: dict[str, Any] = (
        {"margin_left": min(360, 14 * max((len(label) for label in labels), default=0))} if horizontal else {}
    )
    chart = kind(
        **_config(
            title=title,
            y_title=y_title,
            show_legend=len(series) > 1,
            value_formatter=(lambda y: f"{y:.0%}") if percent else (lambda y: f"{y:g}"),
            range=(0, 1) if percent else None,
            x_label_rotation=-30 if len(labels) > 10 and not horizontal else 0,
            truncate_label=-1,
            legend_at_bottom_columns=legend_columns,
            **margin,
        )
    )
    # Horizontal bars are drawn bottom-up: reverse, so the first label reads first (top).
    order = (lambda items: list(items)[::-1]) if horizontal else list
    chart.x_labels = order(labels)
    for name, values in series:
        chart.add(name, order(values))
    return _svg(chart, nonce=nonce, title=title)
