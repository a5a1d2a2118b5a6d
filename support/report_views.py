"""The desk's report page (first replies, deflection, the articles that answered most) and its CSV
downloads, for agents and admins (every account) and CS managers (their accounts)."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse, HttpResponseBadRequest
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.utils.translation import gettext as _

from portal import charts
from portal.access import AuthenticatedHttpRequest
from portal.exports import csv_response
from support import reports
from support.desk_views import desk_required
from support.forms import SupportReportForm

CHART_HOURS = 48.0


def _filters(request: AuthenticatedHttpRequest) -> tuple[SupportReportForm, dict[str, Any]]:
    form = SupportReportForm(request.GET)
    if form.is_valid():
        return form, form.cleaned_data
    defaults = SupportReportForm({})
    defaults.is_valid()
    return form, defaults.cleaned_data


@desk_required
def overview(request: AuthenticatedHttpRequest) -> HttpResponse:
    form, f = _filters(request)
    accounts = reports.accounts_for(request.user)
    period = {"start_from": f["start_from"], "start_to": f["start_to"], "accounts": accounts}
    replies = reports.first_reply_report(group_by=f["group_by"], **period)
    deflection = reports.deflection_report(**period)
    nonce = str(request.csp_nonce)
    total = replies.total
    curves = [
        (_("Business hours"), total.business.curve),
        (_("Calendar hours"), total.calendar.curve),
    ]
    chart = (
        charts.km_curves_chart(
            curves=curves,
            x_max=CHART_HOURS,
            title=_("Share of inquiries with a first reply by hour N"),
            x_title=_("Hours since asked"),
            y_title=_("Share answered"),
            nonce=nonce,
        )
        if total.n
        else ""
    )
    trend = ""
    if f["group_by"] == "week" and len(replies.groups) > 1:
        trend = charts.trend_chart(
            labels=[group.label[5:].replace("-", "/") for group in replies.groups],  # "09/07": the week's Monday
            series=[
                (_("Within 1 business hour"), [_percent(g.within_hour_share) for g in replies.groups]),
                (_("Within 24 hours"), [_percent(g.within_day_share) for g in replies.groups]),
            ],
            title=_("First replies in time, week by week"),
            y_title=_("Share of inquiries (%)"),
            nonce=nonce,
        )
    return render(
        request,
        "support/reports.html",
        {
            "form": form,
            "filters": f,
            "replies": replies,
            "deflection": deflection,
            "chart": chart,
            "trend": trend,
            "group_label": dict(SupportReportForm.GROUPS)[f["group_by"]],
            "query": request.GET.urlencode(),
        },
    )


def _percent(share: float | None) -> float | None:
    return None if share is None else round(share * 100, 1)


def _download_filters(request: AuthenticatedHttpRequest) -> dict[str, Any] | HttpResponse:
    form = SupportReportForm(request.GET)
    if not form.is_valid():
        errors = "; ".join(f"{name}: {' '.join(str(m) for m in messages)}" for name, messages in form.errors.items())
        return HttpResponseBadRequest(errors, content_type="text/plain; charset=utf-8")
    return form.cleaned_data


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:.2f}"


def _share(value: float | None) -> str:
    return "" if value is None else f"{value:.4f}"


@desk_required
def export_first_replies(request: AuthenticatedHttpRequest) -> HttpResponseBase:
    """First-reply times per group as CSV: the page's table, in hours."""
    f = _download_filters(request)
    if isinstance(f, HttpResponse):
        return f
    replies = reports.first_reply_report(
        group_by=f["group_by"],
        start_from=f["start_from"],
        start_to=f["start_to"],
        accounts=reports.accounts_for(request.user),
    )
    header = [
        dict(SupportReportForm.GROUPS)[f["group_by"]], _("Inquiries"), _("Answered"), _("Waiting"),
        _("Within 1 business hour"), _("Within 24 hours"), _("Median (business hours)"), _("p90 (business hours)"),
        _("Median (hours)"), _("p90 (hours)"),
    ]  # fmt: skip
    lines = [
        [
            group.label, group.n, group.answered, group.waiting, _share(group.within_hour_share),
            _share(group.within_day_share), _number(group.business.median_days), _number(group.business.p90_days),
            _number(group.calendar.median_days), _number(group.calendar.p90_days),
        ]
        for group in [*replies.groups, replies.total]
    ]  # fmt: skip
    return csv_response(filename=f"kachi-first-replies-{f['group_by']}.csv", header=header, rows=lines)


@desk_required
def export_deflection(request: AuthenticatedHttpRequest) -> HttpResponseBase:
    """Deflection per category as CSV, then the articles that answered most."""
    f = _download_filters(request)
    if isinstance(f, HttpResponse):
        return f
    deflection = reports.deflection_report(
        start_from=f["start_from"], start_to=f["start_to"], accounts=reports.accounts_for(request.user)
    )
    header = [_("Category"), _("Forms started"), _("Solved by an article"), _("Sent"), _("Deflection rate")]
    lines: list[list[object]] = [
        [row.label, row.started, row.solved, row.sent, _share(row.rate)]
        for row in [*deflection.categories, deflection.total]
    ]
    if deflection.articles:
        lines += [[], [_("Article"), _("Questions it answered")]]
        lines += [[article.title, article.solved] for article in deflection.articles]
    return csv_response(filename="kachi-deflection.csv", header=header, rows=lines)
