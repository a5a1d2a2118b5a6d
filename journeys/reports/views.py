"""TTV report pages for admins (overview, cohorts, funnel, distribution, at risk, bottlenecks) and the
help-centre analytics page, each with its CSV: a download writes the rows its page computes, read
with the same filters, behind the same check."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import get_language, pgettext
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from faq.analytics import ContentAnalytics, content_analytics
from faq.selectors import SearchGap, search_gaps, step_tutorials
from journeys import queue
from journeys.onboarding.models import Playbook
from journeys.reports import measurement, risk, rollup, selectors
from journeys.reports.api import rows_csv_response
from journeys.reports.forms import ReportFilterForm
from journeys.reports.help import StalledReading, stalled_reading
from portal import charts
from portal.access import AuthenticatedHttpRequest, admin_required
from portal.exports import csv_response
from portal.models import MilestoneKind, Segment
from portal.survival import Estimate
from portal.translated import localized
from portal.web import safe_next_url
from support import reports as support_reports

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
    current: Estimate
    previous: Estimate

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
        y_title=pgettext("day count", "Days"),
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
    "targets_differ",
    "target_days_min",
    "target_days_max",
]


@admin_required
def export_table(request: AuthenticatedHttpRequest) -> HttpResponseBase:
    """The figures of a report as CSV (one line per group, then the total). Where the journeys of a
    group have different targets, ``target_days`` is empty, ``targets_differ`` 1 and the range follows."""
    f = _download_filters(request)
    if isinstance(f, HttpResponse):
        return f
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
    lines = _group_lines([*report.groups, report.total])
    return csv_response(filename=f"kachi-ttv-{f['kind']}-by-{group_by}.csv", header=GROUP_COLUMNS, rows=lines)


@admin_required
def export_rows(request: AuthenticatedHttpRequest) -> HttpResponseBase:
    """Per-account rows of a report as CSV: account, segment, cohort, start, achieved_at, duration, censored."""
    f = _download_filters(request)
    if isinstance(f, HttpResponse):
        return f
    rows = measurement.ttv_rows(
        kind=f["kind"], start_from=f["start_from"], start_to=f["start_to"], business_days=f["business_days"]
    )
    return rows_csv_response(rows, f"kachi-ttv-{f['kind']}-rows.csv")


def _group_lines(groups: list[measurement.Group]) -> list[list[object]]:
    """The lines of a groups table (``GROUP_COLUMNS``), one per group."""
    lines: list[list[object]] = []
    for group in groups:
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
                _flag(e.targets_differ),
                _number(e.target_min_days),
                _number(e.target_max_days),
            ]
        )
    return lines


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:.1f}"


def _share(value: float | None) -> str:
    return "" if value is None else f"{value:.3f}"


def _flag(value: bool) -> str:
    return "1" if value else "0"


def _download_filters(request: HttpRequest) -> Mapping[str, Any] | HttpResponse:
    """The filters of a download, or a 400 that says what is wrong with them: a file has no form to
    show the errors beside, and a file measured with the defaults instead would pass for the one asked for."""
    form = ReportFilterForm(request.GET)
    if form.is_valid():
        return form.cleaned_data
    lines = [
        f"{form[name].label}: {error}" if name in form.fields else str(error)
        for name, errors in form.errors.items()
        for error in errors
    ]
    return HttpResponseBadRequest("\n".join(lines), content_type="text/plain; charset=utf-8")


def _kept_filters(request: HttpRequest) -> list[tuple[str, str]]:
    """The report's filters in the query string, for the playbook picker to send again."""
    return [(name, request.GET[name]) for name in ReportFilterForm.base_fields if name in request.GET]


def _chosen_playbook(request: HttpRequest) -> tuple[list[tuple[str, str]], str | None]:
    """Playbooks to choose from (key, name) and the chosen key (the first, if none or an unknown one)."""
    # Named as in the newest version (the last one read for each key).
    names = dict(
        Playbook.objects.exclude(status=Playbook.Status.DRAFT)
        .order_by("key", "version")
        .values_list("key", localized("name"))
    )
    chosen = request.GET.get("playbook")
    key = chosen if chosen in names else next(iter(names), None)
    return sorted(names.items(), key=lambda item: item[1]), key


@dataclass(frozen=True)
class Funnel:
    playbooks: list[tuple[str, str]]
    playbook_key: str | None
    total: int
    stages: list[selectors.FunnelStage]


def _funnel(request: HttpRequest, f: Mapping[str, Any]) -> Funnel:
    playbooks, playbook_key = _chosen_playbook(request)
    if not playbook_key:
        return Funnel(playbooks=playbooks, playbook_key=None, total=0, stages=[])
    total, stages = selectors.milestone_funnel(
        playbook_key=playbook_key, start_from=f["start_from"], start_to=f["start_to"]
    )
    return Funnel(playbooks=playbooks, playbook_key=playbook_key, total=total, stages=stages)


@admin_required
def funnel(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Share of a playbook's journeys that reached each of its milestones, in order."""
    form, f = _filters(request)
    figures = _funnel(request, f)
    chart = ""
    if figures.stages and figures.playbook_key:  # (stages only for a playbook)
        chart = charts.bar_chart(
            labels=[s.name for s in figures.stages],
            series=[(_("Share of journeys"), [s.share for s in figures.stages])],
            title=_("How far journeys on %(playbook)s got")
            % {"playbook": dict(figures.playbooks)[figures.playbook_key]},
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
            "playbooks": figures.playbooks,
            "playbook_key": figures.playbook_key,
            "kept_filters": _kept_filters(request),
            "total": figures.total,
            "stages": figures.stages,
            "chart": chart,
            "query": request.GET.urlencode(),
        },
    )


@admin_required
def export_funnel(request: AuthenticatedHttpRequest) -> HttpResponseBase:
    """The funnel's table as CSV: one line per milestone, in the playbook's order."""
    f = _download_filters(request)
    if isinstance(f, HttpResponse):
        return f
    figures = _funnel(request, f)
    header = [_("Milestone"), _("Kind"), _("Reached"), _("Journeys"), _("Share")]
    lines = [[s.name, s.kind_label, s.reached, figures.total, _share(s.share)] for s in figures.stages]
    return csv_response(filename=f"kachi-funnel-{figures.playbook_key or 'none'}.csv", header=header, rows=lines)


@dataclass(frozen=True)
class Distribution:
    reached: int
    still_open: int
    bins: list[selectors.Bin]


def _distribution(f: Mapping[str, Any]) -> Distribution:
    reached, still_open = measurement.reached_durations(
        kind=f["kind"], start_from=f["start_from"], start_to=f["start_to"], business_days=f["business_days"]
    )
    return Distribution(reached=len(reached), still_open=still_open, bins=selectors.duration_histogram(reached))


@admin_required
def distribution(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Histogram of time to the milestone among the journeys that reached it."""
    form, f = _filters(request)
    figures = _distribution(f)
    kind_label = MilestoneKind(f["kind"]).label
    chart = ""
    if figures.reached:
        chart = charts.bar_chart(
            labels=[b.label for b in figures.bins],
            series=[(_("Accounts"), [b.count for b in figures.bins])],
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
            "bins": figures.bins,
            "reached": figures.reached,
            "open": figures.still_open,
            "kind_label": kind_label,
            "chart": chart,
            "query": request.GET.urlencode(),
        },
    )


@admin_required
def export_distribution(request: AuthenticatedHttpRequest) -> HttpResponseBase:
    """The histogram's table as CSV: one line per bin of days (the last one open-ended)."""
    f = _download_filters(request)
    if isinstance(f, HttpResponse):
        return f
    figures = _distribution(f)
    header = [_("From (days)"), _("Until (days)"), _("Accounts")]
    lines = [[b.low, "" if b.high is None else b.high, b.count] for b in figures.bins]
    return csv_response(filename=f"kachi-distribution-{f['kind']}.csv", header=header, rows=lines)


@dataclass(frozen=True)
class AtRiskChoice:
    segment: str
    status: str
    sort: str
    items: list[risk.AtRisk]


def _at_risk(request: HttpRequest, f: Mapping[str, Any]) -> AtRiskChoice:
    """Every at-risk journey the segment, status and sort of the query string choose (the page shows 25 at a time)."""
    segment = request.GET.get("segment", "")
    status = request.GET.get("status", "")
    sort = request.GET.get("sort", "late")
    items = risk.at_risk_view(risk.accounts_at_risk(kind=f["kind"]), segment=segment, status=status, sort=sort)
    return AtRiskChoice(segment=segment, status=status, sort=sort, items=items)


@admin_required
def at_risk(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Accounts past a milestone's target without reaching it, or expected to miss it."""
    form, f = _filters(request)
    chosen = _at_risk(request, f)
    page = Paginator(chosen.items, 25).get_page(request.GET.get("page"))
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
            "segment": chosen.segment,
            "status": chosen.status,
            "sort": chosen.sort,
            "kind_label": MilestoneKind(f["kind"]).label,
            "query": params.urlencode(),
        },
    )


@admin_required
def export_at_risk(request: AuthenticatedHttpRequest) -> HttpResponseBase:
    """Every at-risk account the filters choose as CSV, in the page's order (not only one page of them)."""
    f = _download_filters(request)
    if isinstance(f, HttpResponse):
        return f
    header = [
        _("Account"), _("Segment"), _("Started"), _("Days waited"), _("Target"), _("Expected"),
        _("Days past the target"), _("Status"),
    ]  # fmt: skip
    lines = [
        [
            i.row.account_name,
            i.row.segment_name,
            timezone.localdate(i.row.started_at).isoformat(),
            _number(i.waited_days),
            i.target_days,
            _number(i.expected_days),
            _number(i.days_late),
            _("Past the target") if i.status == "overdue" else _("Likely to be late"),
        ]
        for i in _at_risk(request, f).items
    ]
    return csv_response(filename=f"kachi-at-risk-{f['kind']}.csv", header=header, rows=lines)


@dataclass(frozen=True)
class Bottlenecks:
    playbooks: list[tuple[str, str]]
    playbook_key: str | None
    journeys: int
    steps: list[selectors.StepBottleneck]
    tutorials: dict[str, list[Article]]  # per key of a worst step, the tutorials the reader may read
    asked: dict[str, support_reports.StepSupport]  # per step key, what customers asked support about it

    @property
    def rows(self) -> list[tuple[selectors.StepBottleneck, list[Article], support_reports.StepSupport]]:
        none = support_reports.StepSupport()
        return [(step, self.tutorials.get(step.key, []), self.asked.get(step.key, none)) for step in self.steps]


def _bottlenecks(request: AuthenticatedHttpRequest, f: Mapping[str, Any]) -> Bottlenecks:
    playbooks, playbook_key = _chosen_playbook(request)
    if not playbook_key:
        return Bottlenecks(playbooks=playbooks, playbook_key=None, journeys=0, steps=[], tutorials={}, asked={})
    journeys, steps = selectors.step_bottlenecks(
        playbook_key=playbook_key, start_from=f["start_from"], start_to=f["start_to"]
    )
    # Looked up for every step, kept for the worst: one query whether or not a step is worst.
    tutorials = step_tutorials(
        user=request.user, playbook_key=playbook_key, step_keys=[s.key for s in steps], language=get_language()
    )
    worst = {s.key for s in steps if s.worst}
    tutorials = {key: articles for key, articles in tutorials.items() if key in worst}
    asked = support_reports.per_step(playbook_key=playbook_key, start_from=f["start_from"], start_to=f["start_to"])
    return Bottlenecks(
        playbooks=playbooks, playbook_key=playbook_key, journeys=journeys, steps=steps, tutorials=tutorials,
        asked=asked,
    )  # fmt: skip


@admin_required
def bottlenecks(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The steps where journeys on a playbook lose the most time, the longest first: chart and table in
    the same order."""
    form, f = _filters(request)
    figures = _bottlenecks(request, f)
    chart = ""
    if any(s.days_on_it is not None for s in figures.steps):
        series: list[tuple[str, list[float | None]]] = [
            (_("Median days on the step (Kaplan-Meier)"), [s.median_days for s in figures.steps])
        ]
        if any(s.median_beyond_days is not None for s in figures.steps):
            # Where fewer than half are done, the median lies beyond the longest wait: drawn apart.
            series.append((_("Fewer than half done: at least (days)"), [s.median_beyond_days for s in figures.steps]))
        chart = charts.bar_chart(
            labels=[s.title for s in figures.steps],
            series=series,
            title=_("Days journeys spend on each step, longest first"),
            horizontal=True,
            legend_columns=1,
            nonce=str(request.csp_nonce),
        )
    return render(
        request,
        "journeys/reports/bottlenecks.html",
        {
            "form": form,
            "filters": f,
            "playbooks": figures.playbooks,
            "playbook_key": figures.playbook_key,
            "kept_filters": _kept_filters(request),
            "journeys": figures.journeys,
            "steps": figures.steps,
            "rows": figures.rows,
            "chart": chart,
            "min_journeys": selectors.MIN_STEP_JOURNEYS,
            "query": request.GET.urlencode(),
        },
    )


@admin_required
def export_bottlenecks(request: AuthenticatedHttpRequest) -> HttpResponseBase:
    """The bottlenecks' table as CSV: one line per step in the page's order (the longest first), with
    the page's figures and the tutorials of the worst."""
    f = _download_filters(request)
    if isinstance(f, HttpResponse):
        return f
    figures = _bottlenecks(request, f)
    header = [
        _("Step"), _("Reached it"), _("Done"), _("Journeys"), _("Median days on the step"),
        _("Fewer than half done: at least (days)"), _("Stalled now"), _("Share stalled now"), _("Share of the time"),
        _("Bottleneck"), _("Tutorials"), _("Support questions"), _("Forms to ask started"),
        _("Answered by an article first"),
    ]  # fmt: skip
    lines = [
        [
            step.title,
            step.reached,
            step.done,
            figures.journeys,
            _number(step.median_days),
            _number(step.median_beyond_days),
            step.stalled,
            _share(step.stalled_share),
            _share(step.ttv_share),
            _flag(step.worst),
            "; ".join(article.title for article in tutorials),
            asked.inquiries,
            asked.started,
            asked.solved,
        ]
        for step, tutorials, asked in figures.rows
    ]
    return csv_response(filename=f"kachi-bottlenecks-{figures.playbook_key or 'none'}.csv", header=header, rows=lines)


@dataclass(frozen=True)
class HelpAnalytics:
    figures: ContentAnalytics
    gaps: list[SearchGap]
    stalled: list[StalledReading]


def _help_analytics() -> HelpAnalytics:
    figures = content_analytics()
    return HelpAnalytics(
        figures=figures,
        gaps=search_gaps(days=figures.days, limit=10),
        stalled=stalled_reading(since=figures.since),
    )


@admin_required
def help_analytics(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The help centre's figures (what is read, what helps, searches that found nothing) and what the
    people of accounts stalled on a step read, over the last 30 days."""
    tables = _help_analytics()
    figures = tables.figures
    chart = ""
    if figures.views:
        chart = charts.bar_chart(
            labels=[formats.date_format(day, "n/j") for day, _count in figures.daily],
            series=[(_("Views"), [count for _day, count in figures.daily])],
            title=_("Article views per day"),
            y_title=_("Views"),
            nonce=str(request.csp_nonce),
        )
    context = {"figures": figures, "chart": chart, "gaps": tables.gaps, "stalled": tables.stalled}
    return render(request, "faq/analytics.html", context)


Table = tuple[list[str], list[list[object]]]


def _stalled_table(tables: HelpAnalytics) -> Table:
    header = [_("Article"), _("Readers"), _("Accounts"), _("Views"), _("Helps with their step")]
    return header, [
        [r.article.title, r.readers, r.accounts, r.views, _flag(r.helps_with_stalled_step)] for r in tables.stalled
    ]


def _gaps_table(tables: HelpAnalytics) -> Table:
    header = [_("Query"), _("Searches"), _("Signed-in people"), _("Last searched")]
    return header, [
        [g.query, g.searches, g.people, timezone.localtime(g.last_searched).isoformat(timespec="seconds")]
        for g in tables.gaps
    ]


def _most_read_table(tables: HelpAnalytics) -> Table:
    header = [_("Article"), _("Views"), _("Readers"), _("Helpful votes"), _("Votes"), _("Found it helpful")]
    return header, [
        [r.article.title, r.views, r.readers, r.helpful, r.votes, _share(r.helpful_share)] for r in tables.figures.top
    ]


def _least_helpful_table(tables: HelpAnalytics) -> Table:
    header = [_("Article"), _("Helpful votes"), _("Votes"), _("Found it helpful")]
    return header, [
        [r.article.title, r.helpful, r.votes, _share(r.helpful_share)] for r in tables.figures.least_helpful
    ]


# The tables of the help-centre analytics page, by the name their download goes by.
HELP_TABLES: dict[str, Callable[[HelpAnalytics], Table]] = {
    "stalled": _stalled_table,
    "gaps": _gaps_table,
    "most-read": _most_read_table,
    "least-helpful": _least_helpful_table,
}


@admin_required
def export_help_analytics(request: AuthenticatedHttpRequest, table: str) -> HttpResponseBase:
    """One table of the help-centre analytics page as CSV, the same rows as on the page."""
    if table not in HELP_TABLES:
        raise Http404("No such table.")
    header, lines = HELP_TABLES[table](_help_analytics())
    return csv_response(filename=f"kachi-help-{table}.csv", header=header, rows=lines)


@dataclass(frozen=True)
class SupportAndTTV:
    groups: list[measurement.Group]
    articles: list[support_reports.Deflecting]


def _support_and_ttv(f: Mapping[str, Any]) -> SupportAndTTV:
    return SupportAndTTV(
        groups=selectors.ttv_by_asking(
            kind=f["kind"], start_from=f["start_from"], start_to=f["start_to"], business_days=f["business_days"]
        ),
        articles=support_reports.top_deflecting(support_reports.attempts_between(f["start_from"], f["start_to"])),
    )


@admin_required
def support(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Time to Value of the accounts that asked support on the way against those that did not, and the
    articles that answered customers' questions before they were asked."""
    form, f = _filters(request)
    figures = _support_and_ttv(f)
    kind_label = MilestoneKind(f["kind"]).label
    curves = [(group.label, group.estimate.curve) for group in figures.groups if group.estimate.n]
    groups = figures.groups if curves else []  # no journey at all: the table's empty state
    ends = [t for _label, curve in curves for t, _share in curve]
    chart = charts.km_curves_chart(
        curves=curves,
        x_max=max([30.0, *ends]) * 1.05,
        title=_("Share of accounts that reached %(kind)s by day N") % {"kind": kind_label},
        nonce=str(request.csp_nonce),
    )
    return render(
        request,
        "journeys/reports/support.html",
        {
            "form": form,
            "filters": f,
            "groups": groups,
            "articles": figures.articles,
            "kind_label": kind_label,
            "chart": chart,
            "any_journeys": bool(curves),
            "query": request.GET.urlencode(),
        },
    )


@admin_required
def export_support(request: AuthenticatedHttpRequest) -> HttpResponseBase:
    """Time to Value of the accounts that asked support against those that did not, as CSV (the
    groups table's columns)."""
    f = _download_filters(request)
    if isinstance(f, HttpResponse):
        return f
    figures = _support_and_ttv(f)
    return csv_response(
        filename=f"kachi-ttv-{f['kind']}-by-support.csv", header=GROUP_COLUMNS, rows=_group_lines(figures.groups)
    )
