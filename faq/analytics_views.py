"""The help centre's content analytics page, for admins."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import formats
from django.utils.translation import gettext as _

from faq.analytics import content_analytics
from faq.selectors import search_gaps
from journeys.reports import charts
from portal.access import admin_required


@admin_required
def analytics(request: HttpRequest) -> HttpResponse:
    """What is read, what helps, and what people stuck in their onboarding read (last 30 days)."""
    figures = content_analytics()
    chart = ""
    if figures.views:
        chart = charts.bar_chart(
            labels=[formats.date_format(day, "n/j") for day, _count in figures.daily],
            series=[(_("Views"), [count for _day, count in figures.daily])],
            title=_("Article views per day"),
            y_title=_("Views"),
            nonce=str(request.csp_nonce),
        )
    gaps = search_gaps(days=figures.days, limit=10)
    return render(request, "faq/analytics.html", {"figures": figures, "chart": chart, "gaps": gaps})
