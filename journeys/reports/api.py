"""TTV reports as JSON (and per-account rows as JSON or CSV), for staff: Kaplan-Meier figures per
group, funnel, bottlenecks, at-risk accounts and distribution.

Admins see every account; a CS manager sees the accounts assigned to them.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, cast

from django.http.response import HttpResponseBase
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import exceptions, permissions, serializers
from rest_framework.pagination import PageNumberPagination
from rest_framework.renderers import BaseRenderer, BrowsableAPIRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from faq.selectors import step_tutorials
from journeys.onboarding.models import Playbook
from journeys.reports import measurement, risk, selectors, ttv_sql
from journeys.reports.forms import PERIOD_REVERSED, PERIOD_VALIDATORS, period_reversed
from portal.api.pagination import KeysetPage
from portal.api.permissions import TokenScopes
from portal.exports import csv_response
from portal.models import ApiScope, MilestoneKind
from portal.tenancy import get_visible_account, visible_accounts
from support import reports as support_reports
from support.report_api import DeflectingArticleSerializer

ROW_FIELDS = [
    "account_slug",
    "account_name",
    "segment_name",
    "cohort",
    "milestone_key",
    "kind",
    "started_at",
    "achieved_at",
    "duration_days",
    "censored",
    "target_days",
]


class IsStaff(permissions.BasePermission):
    """CS managers and admins."""

    def has_permission(self, request: Request, view: object) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and (user.is_admin or user.is_csm))


@extend_schema_field(
    {
        "type": "string",
        "format": "date",
        "pattern": r"^(19|2[0-9])[0-9]{2}-[0-9]{2}-[0-9]{2}$",
        "description": "YYYY-MM-DD, a day of the years 1900 to 2999 (a journey's start, Asia/Tokyo).",
    }
)
class PeriodDateField(serializers.DateField):
    """A day bounding the journeys' starts: between 1900 and 2999, where journeys can start."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(required=False, validators=PERIOD_VALIDATORS, **kwargs)


class PeriodQuery(serializers.Serializer):
    start_from = PeriodDateField(help_text="Journeys started on or after this day (inclusive).")
    start_to = PeriodDateField(help_text="Journeys started on or before this day (inclusive).")

    def validate(self, attrs: dict) -> dict:
        if period_reversed(attrs.get("start_from"), attrs.get("start_to")):
            raise serializers.ValidationError({"start_to": [_(PERIOD_REVERSED)]})
        return attrs


class ReportQuery(PeriodQuery):
    kind = serializers.ChoiceField(
        choices=MilestoneKind.choices,
        required=False,
        help_text="The milestone kind measured; without it and without `milestone`, first value (as on the page).",
    )
    milestone = serializers.SlugField(
        required=False, help_text="A milestone key (across playbook versions), instead of a kind."
    )
    group_by = serializers.ChoiceField(choices=list(measurement.GROUP_BYS), required=False)
    business_days = serializers.BooleanField(
        required=False, default=False, help_text="Durations in business days (weekends and JP holidays out)."
    )

    def validate(self, attrs: dict) -> dict:
        attrs = super().validate(attrs)
        if not attrs.get("kind") and not attrs.get("milestone"):
            attrs["kind"] = MilestoneKind.FIRST_VALUE
        return attrs

    def filters(self) -> dict:
        data = self.validated_data
        return {
            "kind": data.get("kind"),
            "milestone_key": data.get("milestone"),
            "group_by": data.get("group_by"),
            "start_from": data.get("start_from"),
            "start_to": data.get("start_to"),
            "business_days": data.get("business_days", False),
        }


class GroupSerializer(serializers.Serializer):
    key = serializers.CharField()
    # A field named like the Field.label attribute the stubs declare on serializers.
    label = serializers.CharField()  # type: ignore[assignment]
    n = serializers.IntegerField()
    reached = serializers.IntegerField()
    censored = serializers.IntegerField()
    median_days = serializers.FloatField(allow_null=True, help_text="Kaplan-Meier median; null: not reached.")
    median_ci = serializers.ListField(child=serializers.FloatField(allow_null=True), help_text="95% CI.")
    p75_days = serializers.FloatField(allow_null=True)
    p90_days = serializers.FloatField(allow_null=True)
    target_days = serializers.FloatField(
        allow_null=True,
        help_text="The target (days from start) the group's journeys share: each journey's is its milestone's "
        "own, else its segment's. null when none has one, or when they differ (`targets_differ`).",
    )
    targets_differ = serializers.BooleanField(
        help_text="The group's journeys have different targets (some may have none): `target_days` is null, "
        "`target_days_min` and `target_days_max` give the range, and `within_target_share` compares each "
        "journey with its own target."
    )
    target_days_min = serializers.FloatField(
        allow_null=True, help_text="When the targets differ, the lowest of them; else null."
    )
    target_days_max = serializers.FloatField(
        allow_null=True, help_text="When the targets differ, the highest of them; else null."
    )
    within_target_share = serializers.FloatField(
        allow_null=True,
        help_text="Kaplan-Meier share of the journeys reached within their target (with different targets, "
        "per target, weighted by its journeys; journeys without a target do not count). null: no target.",
    )
    naive_median_days = serializers.FloatField(
        allow_null=True, help_text="Median among those who reached only: biased low, for comparison."
    )


class ReportSerializer(serializers.Serializer):
    kind = serializers.CharField(allow_null=True)
    milestone_key = serializers.CharField(allow_null=True)
    group_by = serializers.CharField(allow_null=True)
    business_days = serializers.BooleanField()
    start_from = serializers.DateField(allow_null=True)
    start_to = serializers.DateField(allow_null=True)
    generated_at = serializers.DateTimeField()
    groups = GroupSerializer(many=True)
    total = GroupSerializer()


def _query(request: Request) -> ReportQuery:
    query = ReportQuery(data=request.query_params)
    query.is_valid(raise_exception=True)
    return query


class TTVReportView(APIView):
    """Time to value per group: Kaplan-Meier median (with 95% CI), p75, p90, share within target."""

    permission_classes = [TokenScopes, IsStaff]
    scopes = {"GET": ApiScope.REPORTS_READ}

    @extend_schema(parameters=[ReportQuery], responses=ReportSerializer)
    def get(self, request: Request) -> Response:
        report = measurement.ttv_report(**_query(request).filters(), accounts=visible_accounts(user=request.user))
        return Response(report.as_dict())


class CSVRenderer(BaseRenderer):
    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(
        self, data: object, accepted_media_type: str | None = None, renderer_context: Mapping[str, Any] | None = None
    ) -> object:
        return data


def row_cells(row: measurement.Row) -> list[object]:
    """One per-journey row as the CSV's cells, in the order of ``ROW_FIELDS``."""
    return [
        row.account_slug,
        row.account_name,
        row.segment_name,
        row.cohort,
        row.milestone_key,
        row.kind,
        row.started_at.isoformat(),
        row.achieved_at.isoformat() if row.achieved_at else "",
        f"{row.duration_days:.3f}",
        "1" if row.censored else "0",
        "" if row.target_days is None else row.target_days,
    ]


def rows_csv_response(rows: list[measurement.Row], filename: str) -> HttpResponseBase:
    """Every row, streamed: a report's rows can be many."""
    return csv_response(filename=filename, header=ROW_FIELDS, rows=map(row_cells, rows), stream=True)


class RowSerializer(serializers.Serializer):
    account_slug = serializers.CharField()
    account_name = serializers.CharField()
    segment_name = serializers.CharField()
    cohort = serializers.CharField()
    milestone_key = serializers.CharField()
    kind = serializers.CharField()
    started_at = serializers.DateTimeField()
    achieved_at = serializers.DateTimeField(allow_null=True)
    duration_days = serializers.FloatField()
    censored = serializers.BooleanField()
    target_days = serializers.IntegerField(allow_null=True)


class RowsPagination(PageNumberPagination):
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 1000


class RowsPage(KeysetPage[measurement.Row]):
    """By start, then journey: the database reads one page of rows at a time."""

    page_size = 100
    max_page_size = 1000


class TTVRowsView(APIView):
    """One row per journey and milestone: start, achievement (or censoring), duration; by start, then
    journey, a page at a time by cursor. ``?format=csv`` streams all."""

    permission_classes = [TokenScopes, IsStaff]
    scopes = {"GET": ApiScope.REPORTS_READ}
    renderer_classes = [JSONRenderer, BrowsableAPIRenderer, CSVRenderer]
    pagination_class = RowsPage

    @extend_schema(
        parameters=[
            ReportQuery,
            OpenApiParameter("format", str, enum=["json", "csv"], description="`csv`: every row, unpaginated."),
        ],
        responses={(200, "application/json"): RowSerializer(many=True), (200, "text/csv"): OpenApiTypes.STR},
    )
    def get(self, request: Request):
        filters, accounts = _query(request).filters(), visible_accounts(user=request.user)
        if request.accepted_renderer.format == "csv":
            stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
            return rows_csv_response(measurement.ttv_rows(**filters, accounts=accounts), f"kachi-ttv-rows-{stamp}.csv")

        def fetch(after: tuple[datetime, int] | None, limit: int, backwards: bool) -> list[measurement.Row]:
            keyset = ttv_sql.Keyset(position=after, limit=limit, backwards=backwards)
            return measurement.ttv_rows(**filters, accounts=accounts, keyset=keyset)

        paginator = RowsPage()
        page = paginator.paginate_rows(fetch, lambda row: (row.started_at, row.journey_id), request)
        return paginator.get_paginated_response(RowSerializer(page, many=True).data)


# --- Funnel, bottlenecks, at-risk and distribution ------------------------------------------------


class PlaybookQuery(PeriodQuery):
    playbook = serializers.SlugField(help_text="A playbook key (every version counts).")

    def validate(self, attrs: dict) -> dict:
        attrs = super().validate(attrs)
        # The report is the playbook's: one that is not there (or not published) is a missing report.
        if not Playbook.objects.filter(key=attrs["playbook"]).exclude(status=Playbook.Status.DRAFT).exists():
            raise exceptions.NotFound(_("No published playbook has this key."))
        return attrs


KIND = "The milestone kind measured; default: first value (as on the page)."


class KindQuery(PeriodQuery):
    kind = serializers.ChoiceField(choices=MilestoneKind.choices, default=MilestoneKind.FIRST_VALUE, help_text=KIND)
    business_days = serializers.BooleanField(
        required=False, default=False, help_text="Durations in business days (weekends and JP holidays out)."
    )


class AtRiskQuery(serializers.Serializer):
    kind = serializers.ChoiceField(choices=MilestoneKind.choices, default=MilestoneKind.FIRST_VALUE, help_text=KIND)
    segment = serializers.SlugField(required=False, help_text="A segment's slug.")
    status = serializers.ChoiceField(choices=["overdue", "likely_late"], required=False)
    sort = serializers.ChoiceField(choices=list(risk.AT_RISK_SORTS), required=False, default="late")


NO_PLAYBOOK = OpenApiResponse(description="No published playbook has this key.")


def _valid(serializer_class: type[serializers.Serializer], request: Request) -> dict:
    query = serializer_class(data=request.query_params)
    query.is_valid(raise_exception=True)
    return query.validated_data


class FunnelStageSerializer(serializers.Serializer):
    key = serializers.CharField()
    name = serializers.CharField()
    kind = serializers.CharField()
    reached = serializers.IntegerField()
    share = serializers.FloatField(help_text="Share of the playbook's journeys that reached it.")


class FunnelSerializer(serializers.Serializer):
    playbook = serializers.CharField()
    journeys = serializers.IntegerField()
    stages = FunnelStageSerializer(many=True)


class FunnelView(APIView):
    """Share of journeys on a playbook reaching each of its milestones, in the playbook's order."""

    permission_classes = [TokenScopes, IsStaff]
    scopes = {"GET": ApiScope.REPORTS_READ}

    @extend_schema(parameters=[PlaybookQuery], responses={200: FunnelSerializer, 404: NO_PLAYBOOK})
    def get(self, request: Request) -> Response:
        q = _valid(PlaybookQuery, request)
        journeys, stages = selectors.milestone_funnel(
            playbook_key=q["playbook"],
            start_from=q.get("start_from"),
            start_to=q.get("start_to"),
            accounts=visible_accounts(user=request.user),
        )
        return Response(
            {
                "playbook": q["playbook"],
                "journeys": journeys,
                "stages": [
                    {"key": s.key, "name": s.name, "kind": s.kind, "reached": s.reached, "share": round(s.share, 3)}
                    for s in stages
                ],
            }
        )


class TutorialSerializer(serializers.Serializer):
    title = serializers.CharField()
    url = serializers.CharField()


class BottleneckSerializer(serializers.Serializer):
    key = serializers.CharField()
    title = serializers.CharField()
    position = serializers.IntegerField()
    reached = serializers.IntegerField(
        help_text="Journeys that reached the step: every step before it (by position) done or skipped."
    )
    done = serializers.IntegerField(help_text="Of those, the journeys that have closed it (done or skipped).")
    median_days = serializers.FloatField(
        allow_null=True,
        help_text="Kaplan-Meier median days on the step, from reaching it to closing it; journeys still on it "
        "count until now (or their account's churn). null when fewer than `min_journeys` reached it, or when "
        "fewer than half have closed it (`median_beyond_days`).",
    )
    median_beyond_days = serializers.FloatField(
        allow_null=True,
        help_text="When at least `min_journeys` reached it but fewer than half have closed it: the median is "
        "beyond this many days, the longest wait seen; else null.",
    )
    stalled = serializers.IntegerField(
        help_text="Journeys held by this step (every step before it closed) past its due date now."
    )
    stalled_share = serializers.FloatField()
    ttv_share = serializers.FloatField(help_text="Its part of all the time spent on the playbook's steps.")
    worst = serializers.BooleanField()
    tutorials = TutorialSerializer(many=True)
    inquiries = serializers.IntegerField(help_text="Support questions asked about the step in the period.")
    ask_forms = serializers.IntegerField(help_text="Forms to ask about the step that customers started.")
    deflected = serializers.IntegerField(help_text="Of those, the ones a suggested article answered before sending.")


class BottlenecksSerializer(serializers.Serializer):
    playbook = serializers.CharField()
    journeys = serializers.IntegerField()
    min_journeys = serializers.IntegerField(help_text="Fewer journeys than this on a step give it no median.")
    steps = BottleneckSerializer(
        many=True,
        help_text="The longest first: by `median_days`, else `median_beyond_days`; steps fewer than "
        "`min_journeys` reached last, in the playbook's order.",
    )


class BottlenecksView(APIView):
    """Where journeys on a playbook lose time, step by step, the longest first, with the steps' tutorials."""

    permission_classes = [TokenScopes, IsStaff]
    scopes = {"GET": ApiScope.REPORTS_READ}

    @extend_schema(parameters=[PlaybookQuery], responses={200: BottlenecksSerializer, 404: NO_PLAYBOOK})
    def get(self, request: Request) -> Response:
        q = _valid(PlaybookQuery, request)
        journeys, steps = selectors.step_bottlenecks(
            playbook_key=q["playbook"],
            start_from=q.get("start_from"),
            start_to=q.get("start_to"),
            accounts=visible_accounts(user=request.user),
        )
        tutorials = step_tutorials(
            user=request.user, playbook_key=q["playbook"], step_keys=[s.key for s in steps], language=get_language()
        )
        asked = support_reports.per_step(
            playbook_key=q["playbook"],
            start_from=q.get("start_from"),
            start_to=q.get("start_to"),
            accounts=visible_accounts(user=request.user),
        )
        none = support_reports.StepSupport()
        return Response(
            {
                "playbook": q["playbook"],
                "journeys": journeys,
                "min_journeys": selectors.MIN_STEP_JOURNEYS,
                "steps": [
                    {
                        "key": s.key,
                        "title": s.title,
                        "position": s.position,
                        "reached": s.reached,
                        "done": s.done,
                        "median_days": None if s.median_days is None else round(s.median_days, 1),
                        "median_beyond_days": None if s.median_beyond_days is None else round(s.median_beyond_days, 1),
                        "stalled": s.stalled,
                        "stalled_share": round(s.stalled_share, 3),
                        "ttv_share": round(s.ttv_share, 3),
                        "worst": s.worst,
                        "tutorials": [
                            {"title": a.title, "url": request.build_absolute_uri(a.get_absolute_url())}
                            for a in tutorials.get(s.key, [])
                        ],
                        "inquiries": asked.get(s.key, none).inquiries,
                        "ask_forms": asked.get(s.key, none).started,
                        "deflected": asked.get(s.key, none).solved,
                    }
                    for s in steps
                ],
            }
        )


class AtRiskSerializer(serializers.Serializer):
    account_slug = serializers.CharField()
    account_name = serializers.CharField()
    account_url = serializers.CharField()
    segment = serializers.CharField()
    started_at = serializers.DateTimeField()
    waited_days = serializers.FloatField()
    target_days = serializers.IntegerField()
    expected_days = serializers.FloatField(
        allow_null=True,
        help_text="Expected arrival (days from start), by the forecast or the segment's curve; null when overdue.",
    )
    expected_from = serializers.ChoiceField(
        choices=["forecast", "curve"], help_text="forecast: the predicted time to value; curve: the segment's curve."
    )
    days_late = serializers.FloatField(help_text="Days past the target (negative: still before it).")
    status = serializers.ChoiceField(choices=["overdue", "likely_late"])


class AtRiskView(APIView):
    """Accounts past a milestone's target without reaching it, or expected to miss it; paginated."""

    permission_classes = [TokenScopes, IsStaff]
    scopes = {"GET": ApiScope.REPORTS_READ}
    pagination_class = RowsPagination

    @extend_schema(parameters=[AtRiskQuery], responses=AtRiskSerializer(many=True))
    def get(self, request: Request) -> Response:
        q = _valid(AtRiskQuery, request)
        items = risk.accounts_at_risk(kind=q["kind"], accounts=visible_accounts(user=request.user))
        items = risk.at_risk_view(items, segment=q.get("segment", ""), status=q.get("status", ""), sort=q["sort"])
        paginator = self.pagination_class()
        # The stubs want a QuerySet (DRF pages any sequence); with a page size set, a page comes back.
        page = cast("list[risk.AtRisk]", paginator.paginate_queryset(items, request, view=self))  # type: ignore[arg-type]
        return paginator.get_paginated_response(
            [
                {
                    "account_slug": i.row.account_slug,
                    "account_name": i.row.account_name,
                    "account_url": request.build_absolute_uri(reverse("account_detail", args=[i.row.account_slug])),
                    "segment": i.row.segment_slug,
                    "started_at": i.row.started_at.isoformat(),
                    "waited_days": round(i.waited_days, 1),
                    "target_days": i.target_days,
                    "expected_days": None if i.expected_days is None else round(i.expected_days, 1),
                    "expected_from": i.expected_from,
                    "days_late": round(i.days_late, 1),
                    "status": i.status,
                }
                for i in page
            ]
        )


class BinSerializer(serializers.Serializer):
    low = serializers.FloatField()
    high = serializers.FloatField(allow_null=True, help_text="null: and more.")
    count = serializers.IntegerField()


class DistributionSerializer(serializers.Serializer):
    kind = serializers.CharField()
    business_days = serializers.BooleanField()
    reached = serializers.IntegerField()
    open = serializers.IntegerField(help_text="Journeys that have not reached it (not in the histogram).")
    bins = BinSerializer(many=True)


class DistributionView(APIView):
    """Histogram of the time to a milestone among the journeys that reached it."""

    permission_classes = [TokenScopes, IsStaff]
    scopes = {"GET": ApiScope.REPORTS_READ}

    @extend_schema(parameters=[KindQuery], responses=DistributionSerializer)
    def get(self, request: Request) -> Response:
        q = _valid(KindQuery, request)
        reached, still_open = measurement.reached_durations(
            kind=q["kind"],
            start_from=q.get("start_from"),
            start_to=q.get("start_to"),
            business_days=q["business_days"],
            accounts=visible_accounts(user=request.user),
        )
        bins = selectors.duration_histogram(reached)
        return Response(
            {
                "kind": q["kind"],
                "business_days": q["business_days"],
                "reached": len(reached),
                "open": still_open,
                "bins": [{"low": b.low, "high": b.high, "count": b.count} for b in bins],
            }
        )


class SupportTTVQuery(PeriodQuery):
    kind = serializers.ChoiceField(
        choices=MilestoneKind.choices, required=False, help_text="The milestone kind measured; first value without it."
    )
    business_days = serializers.BooleanField(
        required=False, default=False, help_text="Durations in business days (weekends and JP holidays out)."
    )


class SupportTTVSerializer(serializers.Serializer):
    kind = serializers.CharField()
    business_days = serializers.BooleanField()
    start_from = serializers.DateField(allow_null=True)
    start_to = serializers.DateField(allow_null=True)
    groups = GroupSerializer(
        many=True,
        help_text="`asked`: journeys whose account wrote to support between the start and the milestone (or now); "
        "`not_asked`: the others.",
    )
    articles = DeflectingArticleSerializer(many=True, help_text="The articles that answered most questions first.")


class SupportTTVView(APIView):
    """Time to value of the accounts that asked support on the way against those that did not, and the
    articles that answered most questions before they were asked."""

    permission_classes = [TokenScopes, IsStaff]
    scopes = {"GET": ApiScope.REPORTS_READ}

    @extend_schema(parameters=[SupportTTVQuery], responses=SupportTTVSerializer)
    def get(self, request: Request) -> Response:
        q = _valid(SupportTTVQuery, request)
        kind = q.get("kind") or MilestoneKind.FIRST_VALUE
        accounts = visible_accounts(user=request.user)
        groups = selectors.ttv_by_asking(
            kind=kind,
            start_from=q.get("start_from"),
            start_to=q.get("start_to"),
            business_days=q.get("business_days", False),
            accounts=accounts,
        )
        attempts = support_reports.attempts_between(q.get("start_from"), q.get("start_to"))
        if accounts is not None:
            attempts = attempts.filter(account__in=accounts)
        return Response(
            {
                "kind": kind,
                "business_days": q.get("business_days", False),
                "start_from": q.get("start_from"),
                "start_to": q.get("start_to"),
                "groups": [group.as_dict() for group in groups],
                "articles": [article.as_dict() for article in support_reports.top_deflecting(attempts)],
            }
        )


# --- The forecast of time to value -------------------------------------------------------------------


class ForecastDriverSerializer(serializers.Serializer):
    covariate = serializers.ChoiceField(choices=["segment", "plan", "playbook", "investment"])
    level = serializers.CharField(help_text="The account's segment, plan, playbook version or investment.")
    factor = serializers.FloatField(help_text="How many times longer (> 1) or shorter (< 1) than the typical account.")


class ForecastPredictionSerializer(serializers.Serializer):
    journey_id = serializers.IntegerField()
    waited_days = serializers.FloatField(help_text="Days from the journey's start to the fit.")
    median_at = serializers.DateTimeField(allow_null=True, help_text="Probably by then; null past the data's horizon.")
    low_at = serializers.DateTimeField(
        allow_null=True, help_text="The 80% interval's start: 1 in 10 such accounts by then."
    )
    high_at = serializers.DateTimeField(
        allow_null=True, help_text="The 80% interval's end: 9 in 10 by then; null past the data."
    )
    within_target = serializers.FloatField(allow_null=True, help_text="P(value within its target | waited so far).")
    by_day = serializers.DictField(
        child=serializers.FloatField(), help_text='P(value by day 30, 60, 90), e.g. {"30": 0.4}.'
    )
    drivers = ForecastDriverSerializer(many=True, help_text="The three covariates that move it most.")


class ForecastSerializer(serializers.Serializer):
    kind = serializers.CharField()
    fitted_at = serializers.DateTimeField(allow_null=True, help_text="The newest fit; null before the first.")
    ships = serializers.BooleanField(
        help_text="Whether the model beat each segment's Kaplan-Meier curve on later accounts."
    )
    reason = serializers.CharField(allow_null=True, help_text="Why it ships or not: better, not-better, few-reached, …")
    reason_text = serializers.CharField(allow_null=True)
    ibs_model = serializers.FloatField(allow_null=True)
    ibs_baseline = serializers.FloatField(allow_null=True)
    c_index = serializers.FloatField(allow_null=True)
    prediction = ForecastPredictionSerializer(
        allow_null=True, help_text="Null when it does not ship or no journey is open."
    )


class AccountForecastView(APIView):
    """The predicted time to first value of one account, with the fit it comes from."""

    permission_classes = [TokenScopes, IsStaff]
    scopes = {"GET": ApiScope.REPORTS_READ}

    @extend_schema(
        operation_id="account_forecast",
        summary="An account's predicted first value",
        description=(
            "From the newest nightly fit: when the account's open journey will probably reach first value, the 80% "
            "interval, the chances within its target and by day 30, 60 and 90, and its drivers. Only when the fit "
            "beat each segment's Kaplan-Meier curve on later accounts (`ships`); otherwise `prediction` is null and "
            "`reason` says why. CS managers (their accounts) and admins."
        ),
        responses={200: ForecastSerializer},
    )
    def get(self, request: Request, slug: str) -> Response:
        account = get_visible_account(user=request.user, slug=slug)
        found = selectors.account_forecast(account=account)
        fit, item = found.forecast, found.prediction
        prediction = None
        if item is not None:
            prediction = {
                "journey_id": item.journey_id,
                "waited_days": round(item.waited_days, 2),
                "median_at": item.median_at.isoformat() if item.median_at else None,
                "low_at": item.low_at.isoformat() if item.low_at else None,
                "high_at": item.high_at.isoformat() if item.high_at else None,
                "within_target": item.within_target,
                "by_day": item.by_day,
                "drivers": item.drivers,
            }
        return Response(
            {
                "kind": fit.kind if fit else "first_value",
                "fitted_at": fit.fitted_at.isoformat() if fit else None,
                "ships": bool(fit and fit.ships),
                "reason": fit.reason if fit else None,
                "reason_text": str(fit.get_reason_display()) if fit else None,
                "ibs_model": fit.ibs_model if fit else None,
                "ibs_baseline": fit.ibs_baseline if fit else None,
                "c_index": fit.c_index if fit else None,
                "prediction": prediction,
            }
        )
