"""TTV report pages for admins: overview (per kind, curve per segment) and cohorts, with CSV exports."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import formats
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from faq.analytics import content_analytics
from faq.selectors import search_gaps, step_tutorials
from journeys import queue
from journeys.onboarding.models import Playbook
from journeys.reports import charts, measurement, risk, rollup, selectors
from journeys.reports.api import rows_csv_response
from journeys.reports.forms import ReportFilterForm
from journeys.reports.help import stalled_reading
from portal.access import AuthenticatedHttpRequest, admin_required
from portal.exports import csv_response
from portal.models import MilestoneKind, Segment
from portal.web import safe_next_url

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

    from faq.models import Article


def _filters(request: HttpRequest) -> tuple[ReportFilterForm, Mapping[str, Any]]:
    """The form (with its errors, if any) and the filters to measure with (the defaults when invalid)."""
    form = ReportFilterForm(request.GET)
    if form.is_valid():
        if not request.GET:
            form = ReportFilterForm(initial=form.cleaned_data)  # show the defaults it measured with
        return form, form.cleaned_data if form.is_bound else form.initial
    defaults = ReportFilterForm({})
    defaults.is_valid()
    return form, defaults.cleaned_data


@dataclass(frozen=True)
class KindSummary:
    kind: str
    label: StrOrPromise
    current: measurement.Estimate
    previous: measurement.Estimate

    @property
    def trend_days(self) -> float | None:
        """Change of the median against the previous period of the same length (negative: faster)."""
        if self.current.median_days is None or self.previous.median_days is None:
            return None
        return self.current.median_days - self.previous.median_days


@admin_required
def overview(request: AuthenticatedHttpRequest) -> HttpResponse:
    form, f = _filters(request)
    figures = rollup.overview_for(
        start_from=f["start_from"], start_to=f["start_to"], business_days=f["business_days"], kind=f["kind"]
    )
    summaries = [
        KindSummary(kind=kind, label=label, current=figures.current[kind], previous=figures.previous[kind])
        for kind, label in MilestoneKind.choices
    ]
    groups = figures.by_segment[f["kind"]]
    bands = {
        s.slug: (s.name, s.reference_low_days, s.reference_high_days)
        for s in Segment.objects.exclude(reference_low_days=None).exclude(reference_high_days=None)
        if s.reference_low_days is not None and s.reference_high_days is not None  # (as the query asks)
    }
    first_value = f["kind"] == MilestoneKind.FIRST_VALUE
    curves = [(label, estimate.curve) for _key, label, estimate in groups]
    ends = [t for _label, curve in curves for t, _share in curve]
    ends += [high for _name, _low, high in bands.values()] if first_value else []
    kind_label = MilestoneKind(f["kind"]).label
    chart = charts.km_curves_chart(
        curves=curves,
        bands=[bands[key] for key, _label, _estimate in groups if key in bands] if first_value else [],
        x_max=max([30.0, *ends]) * 1.05,
        title=_("Share of accounts that reached %(kind)s by day N") % {"kind": kind_label},
        nonce=str(request.csp_nonce),
    )
    return render(
        request,
        "journeys/reports/overview.html",
        {
            "form": form,
            "filters": f,
            "figures": figures,
            "summaries": summaries,
            "groups": [measurement.Group(key=key, label=label, estimate=e) for key, label, e in groups],
            "kind_label": kind_label,
            "chart": chart,
            "query": request.GET.urlencode(),
        },
    )


@require_POST
@admin_required
def refresh(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Recompute the kept reports now (in the background), then back to the report the admin was on."""
    queue.refresh_reports()
    messages.success(request, _("The figures are being recomputed; reload the page in a moment."))
    return redirect(safe_next_url(request, request.POST.get("next"), reverse("admin_home")))


@admin_required
def cohorts(request: AuthenticatedHttpRequest) -> HttpResponse:
    form, f = _filters(request)
    kept = rollup.cohorts_for(
        kind=f["kind"],
        group_by=f["cohort"],
        start_from=f["start_from"],
        start_to=f["start_to"],
        business_days=f["business_days"],
    )
    report = kept.report
    labels = [g.label for g in report.groups]
    kind_label = MilestoneKind(f["kind"]).label
    chart = charts.trend_chart(
        labels=labels,
        series=[
            (_("Median (Kaplan-Meier)"), [g.estimate.median_days for g in report.groups]),
            (_("75th percentile"), [g.estimate.p75_days for g in report.groups]),
        ],
        title=_("Time to %(kind)s by start cohort") % {"kind": kind_label},
        y_title=_("Days"),
        nonce=str(request.csp_nonce),
    )
    return render(
        request,
        "journeys/reports/cohorts.html",
        {
            "form": form,
            "filters": f,
            "report": report,
            "kept": kept,
            "kind_label": kind_label,
            "chart": chart,
            "query": request.GET.urlencode(),
        },
    )


GROUP_COLUMNS = [
    "group",
    "n",
    "reached",
    "censored",
    "median_days",
    "median_ci_low",
    "median_ci_high",
    "p75_days",
    "p90_days",
    "target_days",
    "within_target_share",
    "naive_median_days_reached_only",
]


@admin_required
def export_table(request: AuthenticatedHttpRequest) -> HttpResponseBase:
    """The figures of a report as CSV (one line per group, then the total)."""
    _form, f = _filters(request)
    group_by = request.GET.get("group_by", "segment")
    if group_by not in measurement.GROUP_BYS:
        group_by = "segment"
    report = measurement.ttv_report(
        kind=f["kind"],
        group_by=group_by,
        start_from=f["start_from"],
        start_to=f["start_to"],
        business_days=f["business_days"],
    )
    lines = []
    for group in [*report.groups, report.total]:
        e = group.estimate
        lines.append(
            [
                group.label,
                e.n,
                e.reached,
                e.censored,
                *(_number(v) for v in (e.median_days, e.median_ci[0], e.median_ci[1], e.p75_days, e.p90_days)),
                _number(e.target_days),
                "" if e.within_target_share is None else f"{e.within_target_share:.3f}",
                _number(e.naive_median_days),
            ]
        )
    return csv_response(filename=f"kachi-ttv-{f['kind']}-by-{group_by}.csv", header=GROUP_COLUMNS, rows=lines)


@admin_required
def export_rows(request: AuthenticatedHttpRequest) -> HttpResponseBase:
    """Per-account rows of a report as CSV: account, segment, cohort, start, achieved_at, duration, censored."""
    _form, f = _filters(request)
    rows = measurement.ttv_rows(
        kind=f["kind"], start_from=f["start_from"], start_to=f["start_to"], business_days=f["business_days"]
    )
    return rows_csv_response(rows, f"kachi-ttv-{f['kind']}-rows.csv")


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:.1f}"


def _kept_filters(request: HttpRequest) -> list[tuple[str, str]]:
    """The report's filters in the query string, for the playbook picker to send again."""
    return [(name, request.GET[name]) for name in ReportFilterForm.base_fields if name in request.GET]


def _chosen_playbook(request: HttpRequest) -> tuple[list[tuple[str, str]], str | None]:
    """Playbooks to choose from (key, name) and the chosen key (the first, if none or an unknown one)."""
    names = dict(
        Playbook.objects.exclude(status=Playbook.Status.DRAFT).order_by("key").values_list("key", "name").distinct()
    )
    chosen = request.GET.get("playbook")
    key = chosen if chosen in names else next(iter(names), None)
    return sorted(names.items(), key=lambda item: item[1]), key


@admin_required
def funnel(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Share of a playbook's journeys that reached each of its milestones, in order."""
    form, f = _filters(request)
    playbooks, playbook_key = _chosen_playbook(request)
    names = dict(playbooks)
    stages: list[selectors.FunnelStage]
    total, stages = (0, [])
    if playbook_key:
        total, stages = selectors.milestone_funnel(
            playbook_key=playbook_key, start_from=f["start_from"], start_to=f["start_to"]
        )
    chart = ""
    if stages and playbook_key:  # (stages only for a playbook)
        chart = charts.bar_chart(
            labels=[s.name for s in stages],
            series=[(_("Share of journeys"), [s.share for s in stages])],
            title=_("How far journeys on %(playbook)s got") % {"playbook": names[playbook_key]},
            percent=True,
            horizontal=True,
            nonce=str(request.csp_nonce),
        )
    return render(
        request,
        "journeys/reports/funnel.html",
        {
            "form": form,
            "filters": f,
            "playbooks": playbooks,
            "playbook_key": playbook_key,
            "kept_filters": _kept_filters(request),
            "total": total,
            "stages": stages,
            "chart": chart,
            "query": request.GET.urlencode(),
        },
    )


@admin_required
def distribution(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Histogram of time to the milestone among the journeys that reached it."""
    form, f = _filters(request)
    reached, still_open = measurement.reached_durations(
        kind=f["kind"], start_from=f["start_from"], start_to=f["start_to"], business_days=f["business_days"]
    )
    bins = selectors.duration_histogram(reached)
    kind_label = MilestoneKind(f["kind"]).label
    chart = ""
    if reached:
        chart = charts.bar_chart(
            labels=[b.label for b in bins],
            series=[(_("Accounts"), [b.count for b in bins])],
            title=_("Days to %(kind)s, among those who reached it") % {"kind": kind_label},
            y_title=_("Accounts"),
            nonce=str(request.csp_nonce),
        )
    return render(
        request,
        "journeys/reports/distribution.html",
        {
            "form": form,
            "filters": f,
            "bins": bins,
            "reached": len(reached),
            "open": still_open,
            "kind_label": kind_label,
            "chart": chart,
            "query": request.GET.urlencode(),
        },
    )


@admin_required
def at_risk(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Accounts past a milestone's target without reaching it, or expected to miss it."""
    form, f = _filters(request)
    segment = request.GET.get("segment", "")
    status = request.GET.get("status", "")
    sort = request.GET.get("sort", "late")
    items = risk.at_risk_view(risk.accounts_at_risk(kind=f["kind"]), segment=segment, status=status, sort=sort)
    page = Paginator(items, 25).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    return render(
        request,
        "journeys/reports/at_risk.html",
        {
            "form": form,
            "filters": f,
            "page": page,
            "segments": Segment.objects.order_by("position", "name"),
            "segment": segment,
            "status": status,
            "sort": sort,
            "kind_label": MilestoneKind(f["kind"]).label,
            "query": params.urlencode(),
        },
    )


@admin_required
def bottlenecks(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The steps where journeys on a playbook lose the most time, worst first."""
    form, f = _filters(request)
    playbooks, playbook_key = _chosen_playbook(request)
    steps: list[selectors.StepBottleneck]
    journeys, steps = (0, [])
    tutorials: dict[str, list[Article]] = {}
    if playbook_key:
        journeys, steps = selectors.step_bottlenecks(
            playbook_key=playbook_key, start_from=f["start_from"], start_to=f["start_to"]
        )
        tutorials = step_tutorials(
            user=request.user,
            playbook_key=playbook_key,
            step_keys=[s.key for s in steps if s.worst],
            language=get_language(),
        )
    chart = ""
    if any(s.median_days is not None for s in steps):
        chart = charts.bar_chart(
            labels=[s.title for s in steps],
            series=[(_("Median days spent"), [s.median_days for s in steps])],
            title=_("Time spent before each step was done, worst first"),
            horizontal=True,
            nonce=str(request.csp_nonce),
        )
    return render(
        request,
        "journeys/reports/bottlenecks.html",
        {
            "form": form,
            "filters": f,
            "playbooks": playbooks,
            "playbook_key": playbook_key,
            "kept_filters": _kept_filters(request),
            "journeys": journeys,
            "steps": steps,
            "rows": [(step, tutorials.get(step.key, [])) for step in steps],
            "chart": chart,
            "query": request.GET.urlencode(),
        },
    )


@admin_required
def help_analytics(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The help centre's figures (what is read, what helps, searches that found nothing) and what the
    people of accounts stalled on a step read, over the last 30 days."""
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
    context = {
        "figures": figures,
        "chart": chart,
        "gaps": search_gaps(days=figures.days, limit=10),
        "stalled": stalled_reading(since=figures.since),
    }
    return render(request, "faq/analytics.html", context)
