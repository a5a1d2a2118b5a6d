"""TTV reports as JSON (and per-account rows as JSON or CSV), for staff.

Admins see every account; a CS manager sees the accounts assigned to them.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator

from django.http import StreamingHttpResponse
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import permissions, serializers
from rest_framework.pagination import PageNumberPagination
from rest_framework.renderers import BaseRenderer, BrowsableAPIRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from journeys import measurement
from portal.models import MilestoneKind
from portal.tenancy import visible_accounts

GROUPINGS = ["segment", "plan", "csm", "playbook_version", "cohort_month", "cohort_quarter"]
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


class ReportQuery(serializers.Serializer):
    kind = serializers.ChoiceField(choices=MilestoneKind.choices, required=False)
    milestone = serializers.SlugField(required=False, help_text="A milestone key (across playbook versions).")
    group_by = serializers.ChoiceField(choices=GROUPINGS, required=False)
    start_from = serializers.DateField(required=False, help_text="Journeys started on or after this date.")
    start_to = serializers.DateField(required=False, help_text="Journeys started on or before this date.")
    business_days = serializers.BooleanField(required=False, default=False)

    def validate(self, attrs: dict) -> dict:
        if not attrs.get("kind") and not attrs.get("milestone"):
            raise serializers.ValidationError({"kind": ["Give a milestone kind or a milestone key."]})
        if attrs.get("start_from") and attrs.get("start_to") and attrs["start_from"] > attrs["start_to"]:
            raise serializers.ValidationError({"start_to": ["The end of the range is before its start."]})
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


QUERY_PARAMETERS = [
    OpenApiParameter("kind", str, enum=MilestoneKind.values, description="Milestone kind (or give `milestone`)."),
    OpenApiParameter("milestone", str, description="A milestone key."),
    OpenApiParameter("group_by", str, enum=GROUPINGS),
    OpenApiParameter("start_from", str, description="YYYY-MM-DD, inclusive (journey start, Asia/Tokyo)."),
    OpenApiParameter("start_to", str, description="YYYY-MM-DD, inclusive."),
    OpenApiParameter("business_days", bool, description="Durations in business days (weekends, JP holidays out)."),
]


class GroupSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    n = serializers.IntegerField()
    reached = serializers.IntegerField()
    censored = serializers.IntegerField()
    median_days = serializers.FloatField(allow_null=True, help_text="Kaplan-Meier median; null: not reached.")
    median_ci = serializers.ListField(child=serializers.FloatField(allow_null=True), help_text="95% CI.")
    p75_days = serializers.FloatField(allow_null=True)
    p90_days = serializers.FloatField(allow_null=True)
    target_days = serializers.FloatField(allow_null=True)
    within_target_share = serializers.FloatField(allow_null=True)
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

    permission_classes = [IsStaff]

    @extend_schema(parameters=QUERY_PARAMETERS, responses={200: ReportSerializer, 400: OpenApiResponse()})
    def get(self, request: Request) -> Response:
        report = measurement.ttv_report(**_query(request).filters(), accounts=visible_accounts(user=request.user))
        return Response(report.as_dict())


class CSVRenderer(BaseRenderer):
    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data: object, accepted_media_type: str | None = None, renderer_context: dict | None = None):
        return data


class Echo:
    """A file-like object whose write returns the line, for streaming csv.writer output."""

    def write(self, value: str) -> str:
        return value


def csv_lines(rows: list[measurement.Row]) -> Iterator[str]:
    writer = csv.writer(Echo())
    yield "\ufeff"  # so spreadsheet programs read the Japanese names as UTF-8
    yield writer.writerow(ROW_FIELDS)
    for row in rows:
        yield writer.writerow(
            [
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
        )


def rows_csv_response(rows: list[measurement.Row], filename: str) -> StreamingHttpResponse:
    response = StreamingHttpResponse(csv_lines(rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


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


class TTVRowsView(APIView):
    """One row per journey and milestone: start, achievement (or censoring), duration. ``?format=csv`` streams all."""

    permission_classes = [IsStaff]
    renderer_classes = [JSONRenderer, BrowsableAPIRenderer, CSVRenderer]

    @extend_schema(
        parameters=[*QUERY_PARAMETERS, OpenApiParameter("format", str, enum=["json", "csv"])],
        responses={200: RowSerializer(many=True), 400: OpenApiResponse()},
    )
    def get(self, request: Request):
        rows = measurement.ttv_rows(**_query(request).filters(), accounts=visible_accounts(user=request.user))
        if request.accepted_renderer.format == "csv":
            stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
            return rows_csv_response(rows, f"kachi-ttv-rows-{stamp}.csv")
        paginator = RowsPagination()
        page = paginator.paginate_queryset(rows, request, view=self)
        return paginator.get_paginated_response(RowSerializer(page, many=True).data)
