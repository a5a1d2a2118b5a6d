"""The desk's reports as JSON: first-reply times per group and deflection, for agents and admins
(every account) and CS managers (their accounts), with the figures of the report page."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from portal.api.permissions import TokenScopes
from portal.models import ApiScope
from support import reports
from support.api import IsDesk

EARLIEST, LATEST = dt.date(1900, 1, 1), dt.date(2999, 12, 31)


@extend_schema_field(
    {
        "type": "string",
        "format": "date",
        "pattern": r"^(19|2[0-9])[0-9]{2}-[0-9]{2}-[0-9]{2}$",
        "description": "YYYY-MM-DD, a day of the years 1900 to 2999 (the day an inquiry was asked, Asia/Tokyo).",
    }
)
class DayField(serializers.DateField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(required=False, validators=[MinValueValidator(EARLIEST), MaxValueValidator(LATEST)], **kwargs)


class PeriodQuery(serializers.Serializer):
    start_from = DayField(help_text="Inquiries asked on or after this day (Asia/Tokyo), 1900-2999.")
    start_to = DayField(help_text="Inquiries asked on or before this day (inclusive).")

    def validate(self, attrs: dict) -> dict:
        start_from, start_to = attrs.get("start_from"), attrs.get("start_to")
        if start_from is not None and start_to is not None and start_from > start_to:
            raise serializers.ValidationError({"start_to": [_("The end of the range is before its start.")]})
        return attrs


class FirstReplyQuery(PeriodQuery):
    group_by = serializers.ChoiceField(choices=list(reports.GROUP_BYS), required=False)


class HoursSerializer(serializers.Serializer):
    median = serializers.FloatField(allow_null=True, help_text="Kaplan-Meier median; null: fewer than half answered.")
    median_ci = serializers.ListField(child=serializers.FloatField(allow_null=True), min_length=2, max_length=2)
    p90 = serializers.FloatField(allow_null=True)


class ReplyTimesSerializer(serializers.Serializer):
    key = serializers.CharField()
    # A field named like the Field.label attribute the stubs declare on serializers.
    label = serializers.CharField()  # type: ignore[assignment]
    inquiries = serializers.IntegerField()
    answered = serializers.IntegerField()
    waiting = serializers.IntegerField(help_text="Not answered: still waiting, or closed without a reply (censored).")
    within_1h_share = serializers.FloatField(allow_null=True, help_text="Answered within 1 business hour.")
    within_24h_share = serializers.FloatField(allow_null=True, help_text="Answered within 24 hours on the calendar.")
    business_hours = HoursSerializer()
    calendar_hours = HoursSerializer()


class FirstReplyReportSerializer(serializers.Serializer):
    group_by = serializers.CharField(allow_null=True)
    start_from = serializers.DateField(allow_null=True)
    start_to = serializers.DateField(allow_null=True)
    fast_business_hours = serializers.FloatField()
    target_calendar_hours = serializers.FloatField()
    total = ReplyTimesSerializer()
    groups = ReplyTimesSerializer(many=True)


class FirstRepliesView(APIView):
    """First-reply times: Kaplan-Meier median and p90 in business and calendar hours, and the shares
    answered within 1 business hour and 24 hours, in total and per group."""

    permission_classes = [TokenScopes, IsDesk]
    scopes = {"GET": ApiScope.REPORTS_READ}

    @extend_schema(parameters=[FirstReplyQuery], responses=FirstReplyReportSerializer)
    def get(self, request: Request) -> Response:
        query = FirstReplyQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        q = query.validated_data
        report = reports.first_reply_report(
            group_by=q.get("group_by"),
            start_from=q.get("start_from"),
            start_to=q.get("start_to"),
            accounts=reports.accounts_for(request.user),
        )
        return Response(report.as_dict())


class DeflectionSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]
    started = serializers.IntegerField(help_text="Forms to ask that customers started.")
    solved = serializers.IntegerField(help_text="Ended by “This solved it” before a question was sent.")
    sent = serializers.IntegerField()
    deflection_rate = serializers.FloatField(allow_null=True)


class DeflectingArticleSerializer(serializers.Serializer):
    article_id = serializers.IntegerField()
    title = serializers.CharField()
    language = serializers.CharField()
    slug = serializers.CharField()
    solved = serializers.IntegerField(help_text="Questions it answered before they were sent (“This solved it”).")


class DeflectionReportSerializer(serializers.Serializer):
    start_from = serializers.DateField(allow_null=True)
    start_to = serializers.DateField(allow_null=True)
    total = DeflectionSerializer()
    categories = DeflectionSerializer(many=True)
    articles = DeflectingArticleSerializer(many=True)


class DeflectionView(APIView):
    """Deflection: forms to ask started, solved by a suggested article and sent, in total and per
    category, with the articles that answered most."""

    permission_classes = [TokenScopes, IsDesk]
    scopes = {"GET": ApiScope.REPORTS_READ}

    @extend_schema(parameters=[PeriodQuery], responses=DeflectionReportSerializer)
    def get(self, request: Request) -> Response:
        query = PeriodQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        q = query.validated_data
        report = reports.deflection_report(
            start_from=q.get("start_from"), start_to=q.get("start_to"), accounts=reports.accounts_for(request.user)
        )
        return Response(report.as_dict())
