"""Onboarding as JSON, for a billing system, a CRM or the product itself, with a scoped API token (or
the session the pages use): an account's journeys (read, start one, move one to another version),
steps done, skipped or blocked as the other system reports them, value records (record, correct,
delete, each kept in its history) and historical achievements (imported, so that time to value counts
from day one).

Every write goes through the services, as the pages' do, and is allowed to whom the pages allow it:
customers tick their side's steps, customer admins record value, the account's staff (its CS manager,
admins) do the rest. An account, journey or value record the caller may not see answers 404 exactly
like a missing one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from journeys.onboarding import selectors
from journeys.onboarding.models import (
    Achievement,
    Journey,
    Playbook,
    Source,
    StepEvent,
    StepState,
    ValueRecord,
    ValueRecordChange,
)
from journeys.onboarding.services import backfill, journeys, playbooks, steps
from portal.api.pagination import CursorPage
from portal.api.parsers import JSONParser
from portal.models import Account, ApiScope, User
from portal.tenancy import get_visible_account, is_account_staff, scope_to_user

# The largest id the database holds: a larger one in a path is no such object (not an overflow).
MAX_ID = 2**63 - 1
# Amounts are whole yen of at most 14 digits (the column's size).
MAX_AMOUNT = 10**14 - 1
INTEGRATION_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9 ._-]{0,39}$"
REASON_PATTERN = r"\S"
# A journey may start ahead of time (a contract signed for next quarter), not in another era.
MAX_START_AHEAD = timedelta(days=366)
Status = StepState.Status


def _user(request: Request) -> User:
    user = request.user
    assert isinstance(user, User)  # IsAuthenticated let the request in
    return user


def _valid(serializer_class: type[serializers.Serializer], data: Any) -> dict[str, Any]:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def _visible_journey(request: Request, pk: int) -> Journey:
    journey = (
        scope_to_user(Journey.objects.select_related("account", "playbook"), user=request.user)
        .filter(pk=min(pk, MAX_ID))
        .first()
    )
    if journey is None:
        raise Http404("No such journey.")
    return journey


def _visible_value_record(request: Request, pk: int) -> ValueRecord:
    records = scope_to_user(ValueRecord.objects.all(), user=request.user).filter(pk=min(pk, MAX_ID))
    record = records.select_related("account").first()
    if record is None:
        raise Http404("No such value record.")
    return record


def _staff_only(request: Request, account: Account) -> None:
    """Starting and moving journeys, and importing history, are for the account's staff (as on the pages)."""
    if not is_account_staff(user=_user(request), account=account):
        raise PermissionDenied


# --- Fields ----------------------------------------------------------------------------------------


def choice(values: list[str], **kwargs: Any) -> serializers.ChoiceField:
    return serializers.ChoiceField(choices=[(value, value) for value in values], **kwargs)


JOURNEY_STATUS = {"type": "string", "enum": ["in_progress", "completed"]}


@extend_schema_field(
    {
        "type": "string",
        "format": "date-time",
        "description": "ISO 8601 with a time zone (Z or ±hh:mm), in the years 1900 to 2999.",
    }
)
class MomentField(serializers.DateTimeField):
    """A moment in the years 1900 to 2999, where journeys live: one the calendar cannot hold (year 1
    moved by an offset, say) is a field error, not an overflow."""

    def to_internal_value(self, value: Any) -> datetime:
        try:
            moment = super().to_internal_value(value)
        except (OverflowError, ValueError):
            self.fail("invalid", format="ISO 8601")
        if not 1900 <= moment.year <= 2999:
            raise serializers.ValidationError(_("Choose a moment in the years 1900 to 2999."))
        return moment


@extend_schema_field(
    {"type": "string", "format": "date", "description": "YYYY-MM-DD, in the years 1900 to 2999 (not in the future)."}
)
class DayField(serializers.DateField):
    def to_internal_value(self, value: Any) -> Any:
        day = super().to_internal_value(value)
        if not 1900 <= day.year <= 2999:
            raise serializers.ValidationError(_("Choose a date in the years 1900 to 2999."))
        return day


# --- What is answered ------------------------------------------------------------------------------


class StepStateSerializer(serializers.Serializer):
    key = serializers.CharField(source="step_key")
    status = choice(Status.values)
    reason = serializers.CharField(help_text="Why it was skipped or blocked; empty otherwise.")
    completed_at = serializers.DateTimeField(allow_null=True, help_text="When it was done or skipped.")
    due_at = serializers.DateTimeField()


class JourneyAchievementSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    milestone_key = serializers.CharField()
    kind = serializers.CharField()
    achieved_at = serializers.DateTimeField()
    source = choice(Source.values, help_text="`import`: recorded as history.")  # type: ignore[assignment]  # a declared field, not Field.source


class JourneySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    account = serializers.SlugField(source="account.slug")
    playbook_key = serializers.CharField()
    version = serializers.IntegerField(source="playbook.version", help_text="The playbook version it runs.")
    status = serializers.SerializerMethodField(help_text="`completed` once every step is done or skipped.")
    started_at = serializers.DateTimeField(help_text="The TTV clock's start.")
    completed_at = serializers.DateTimeField(allow_null=True)
    steps = StepStateSerializer(many=True, source="step_states.all", help_text="In checklist order.")
    achievements = JourneyAchievementSerializer(many=True, source="achievements.all")

    @extend_schema_field(JOURNEY_STATUS)
    def get_status(self, journey: Journey) -> str:
        return "completed" if journey.completed_at else "in_progress"


class StepChangeSerializer(serializers.Serializer):
    from_status = serializers.CharField(help_text="Empty for the first entry.")
    to_status = serializers.CharField(help_text="The step's status after the change (as `status`).")
    reason = serializers.CharField()
    note = serializers.CharField(help_text="The system that reported the change, when one did.")
    source = choice(Source.values)  # type: ignore[assignment]
    occurred_at = serializers.DateTimeField()
    recorded_at = serializers.DateTimeField()


class StepResultSerializer(serializers.Serializer):
    journey = serializers.IntegerField(source="state.journey_id")
    step = StepStateSerializer(source="state", help_text="The step as it stands now.")
    history = StepChangeSerializer(many=True, help_text="Every change of the step, oldest first.")


class ValueChangeSerializer(serializers.Serializer):
    kind = choice(ValueRecordChange.Kind.values)
    old_amount = serializers.IntegerField()
    old_occurred_on = serializers.DateField()
    old_note = serializers.CharField()
    new_amount = serializers.IntegerField(allow_null=True, help_text="Null for a deletion.")
    new_occurred_on = serializers.DateField(allow_null=True)
    new_note = serializers.CharField()
    reason = serializers.CharField()
    by = serializers.SerializerMethodField(help_text="Who made the change (their name).")
    occurred_at = serializers.DateTimeField()

    def get_by(self, change: ValueRecordChange) -> str:
        return (change.actor.name or change.actor.email) if change.actor else ""


class ValueRecordSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    account = serializers.SlugField(source="account.slug")
    amount = serializers.IntegerField(help_text="Whole yen.")
    occurred_on = serializers.DateField()
    note = serializers.CharField()
    recorded_at = serializers.DateTimeField(source="created_at")
    deleted_at = serializers.DateTimeField(allow_null=True, help_text="Set once deleted: it counts no more.")
    history = ValueChangeSerializer(
        many=True, source="history.all", help_text="Corrections and deletion, oldest first."
    )


class AchievementSerializer(JourneyAchievementSerializer):
    journey = serializers.IntegerField(source="journey_id")
    account = serializers.SlugField(source="account.slug")
    playbook_key = serializers.CharField(source="journey.playbook_key")
    recorded_at = serializers.DateTimeField()


# --- What is posted ---------------------------------------------------------------------------------


class JourneyStartSerializer(serializers.Serializer):
    playbook = serializers.SlugField(max_length=80, help_text="The playbook's key: its published version starts.")
    started_at = MomentField(
        required=False, help_text="The TTV clock's start; the account's contract start if left out."
    )


class JourneyMoveSerializer(serializers.Serializer):
    version = serializers.IntegerField(min_value=1, max_value=2**31 - 1, help_text="A published version.")


class StepChangeInputSerializer(serializers.Serializer):
    status = choice([str(s) for s in steps.REPORTED_STATUSES])
    reason = serializers.CharField(
        required=False, allow_blank=True, max_length=500, help_text="Why; required to skip or block a step."
    )
    occurred_at = MomentField(
        required=False, help_text="When it happened (between the journey's start and now); now if left out."
    )
    integration = serializers.RegexField(
        INTEGRATION_PATTERN,
        required=False,
        max_length=40,
        help_text="The system reporting it, e.g. `salesforce`: kept in the step's history.",
    )


class ValueCreateSerializer(serializers.Serializer):
    amount = serializers.IntegerField(min_value=1, max_value=MAX_AMOUNT, help_text="Whole yen.")
    occurred_on = DayField(help_text="The day the value was observed.")
    note = serializers.CharField(required=False, allow_blank=True, max_length=500)


class ValueCorrectSerializer(serializers.Serializer):
    amount = serializers.IntegerField(min_value=1, max_value=MAX_AMOUNT, required=False, help_text="Whole yen.")
    occurred_on = DayField(required=False)
    note = serializers.CharField(required=False, allow_blank=True, max_length=500)
    reason = serializers.RegexField(REASON_PATTERN, max_length=500, help_text="Why it is corrected; required.")


class ValueDeleteSerializer(serializers.Serializer):
    reason = serializers.RegexField(REASON_PATTERN, max_length=500, help_text="Why it is deleted; required.")


class AchievementImportSerializer(serializers.Serializer):
    milestone = serializers.SlugField(max_length=80, help_text="The milestone's key.")
    achieved_at = MomentField(help_text="When it was reached: between the journey's start and now.")
    playbook = serializers.SlugField(
        max_length=80,
        required=False,
        help_text="The playbook's key; if left out, the account's journey that has this milestone (or the "
        "playbook of its segment).",
    )


# --- Journeys --------------------------------------------------------------------------------------


class AccountJourneysView(GenericAPIView):
    """An account's journeys; starting one."""

    scopes = {"GET": ApiScope.JOURNEYS_READ, "POST": ApiScope.JOURNEYS_WRITE}
    parser_classes = [JSONParser]
    pagination_class = CursorPage
    serializer_class = JourneySerializer

    def get_queryset(self) -> QuerySet[Journey]:
        account = get_visible_account(user=self.request.user, slug=self.kwargs["slug"])
        return selectors.journeys_of_account(account=account)

    @extend_schema(
        operation_id="account_journeys_list",
        summary="An account's journeys",
        responses=JourneySerializer(many=True),
    )
    def get(self, request: Request, slug: str) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(JourneySerializer(page, many=True).data)

    @extend_schema(
        operation_id="account_journeys_start",
        summary="Start a journey",
        description="Starts the published version of a playbook for the account (its CS manager or an admin).",
        request=JourneyStartSerializer,
        responses={201: JourneySerializer},
    )
    def post(self, request: Request, slug: str) -> Response:
        account = get_visible_account(user=request.user, slug=slug)
        _staff_only(request, account)
        data = _valid(JourneyStartSerializer, request.data)
        playbook = Playbook.objects.filter(key=data["playbook"], status=Playbook.Status.PUBLISHED).first()
        if playbook is None:
            raise serializers.ValidationError({"playbook": [_("No published playbook has this key.")]})
        started_at = data.get("started_at")
        if started_at is not None and started_at > timezone.now() + MAX_START_AHEAD:
            raise serializers.ValidationError({"started_at": [_("Choose a start at most a year from now.")]})
        journey = journeys.journey_start(account=account, playbook=playbook, started_at=started_at, by=_user(request))
        return Response(_journey_data(journey), status=status.HTTP_201_CREATED)


def _journey_data(journey: Journey) -> Any:
    return JourneySerializer(selectors.journeys_of_account(account=journey.account).get(pk=journey.pk)).data


class JourneyMoveView(APIView):
    scopes = {"POST": ApiScope.JOURNEYS_WRITE}
    parser_classes = [JSONParser]

    @extend_schema(
        operation_id="journey_move",
        summary="Move a journey to another version",
        description="Moves the journey to another published version of its playbook, keeping completed work "
        "(its CS manager or an admin). Moving it to the version it runs changes nothing.",
        request=JourneyMoveSerializer,
        responses={200: JourneySerializer},
    )
    def post(self, request: Request, pk: int) -> Response:
        journey = _visible_journey(request, pk)
        _staff_only(request, journey.account)
        data = _valid(JourneyMoveSerializer, request.data)
        to = Playbook.objects.filter(key=journey.playbook_key, version=data["version"]).first()
        if to is None:
            raise serializers.ValidationError({"version": [_("This playbook has no such version.")]})
        if to.status != Playbook.Status.PUBLISHED:
            raise serializers.ValidationError({"version": [_("Journeys can only move to a published version.")]})
        playbooks.journey_migrate(journey=journey, to=to, by=_user(request))
        return Response(_journey_data(journey))


# --- Steps -----------------------------------------------------------------------------------------


class JourneyStepView(APIView):
    scopes = {"POST": ApiScope.JOURNEYS_WRITE}
    parser_classes = [JSONParser]

    @extend_schema(
        operation_id="journey_step_set",
        summary="Set a step done, skipped or blocked",
        description="As another system reports it, at the time it happened there. Customers change their "
        "side's steps; the account's staff any step. A change to the status the step has already (with the "
        "same reason) changes nothing. 404 for a step the journey's version does not have.",
        request=StepChangeInputSerializer,
        responses={200: StepResultSerializer},
    )
    def post(self, request: Request, pk: int, key: str) -> Response:
        journey = _visible_journey(request, pk)
        state = (
            StepState.objects.select_related("journey__account", "step")
            .filter(journey=journey, step_key=key, step__playbook_id=journey.playbook_id)
            .first()
        )
        if state is None:
            raise Http404("No such step.")
        data = _valid(StepChangeInputSerializer, request.data)
        state = steps.step_report(
            state=state,
            status=data["status"],
            by=_user(request),
            reason=data.get("reason", ""),
            occurred_at=data.get("occurred_at"),
            integration=data.get("integration", ""),
        )
        history = list(StepEvent.objects.filter(step_state=state).order_by("occurred_at", "id"))
        return Response(StepResultSerializer(_StepResult(state=state, history=history)).data)


@dataclass(frozen=True)
class _StepResult:
    """A step state with its history, for ``StepResultSerializer``."""

    state: StepState
    history: list[StepEvent]


# --- Value -----------------------------------------------------------------------------------------


class AccountValueView(GenericAPIView):
    """An account's value records; recording one."""

    scopes = {"GET": ApiScope.JOURNEYS_READ, "POST": ApiScope.VALUE_WRITE}
    parser_classes = [JSONParser]
    pagination_class = CursorPage
    serializer_class = ValueRecordSerializer

    def get_queryset(self) -> QuerySet[ValueRecord]:
        account = get_visible_account(user=self.request.user, slug=self.kwargs["slug"])
        return selectors.value_records_of_account(account=account)

    @extend_schema(
        operation_id="account_value_list",
        summary="An account's value records",
        description="The records as they stand (deleted ones left out), newest first, each with its history.",
        responses=ValueRecordSerializer(many=True),
    )
    def get(self, request: Request, slug: str) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(ValueRecordSerializer(page, many=True).data)

    @extend_schema(
        operation_id="account_value_create",
        summary="Record business value",
        description="For ROI time to value (the account's customer admins, its CS manager, admins).",
        request=ValueCreateSerializer,
        responses={201: ValueRecordSerializer},
    )
    def post(self, request: Request, slug: str) -> Response:
        account = get_visible_account(user=request.user, slug=slug)
        data = _valid(ValueCreateSerializer, request.data)
        record = journeys.value_record_create(
            account=account,
            amount=Decimal(data["amount"]),
            occurred_on=data["occurred_on"],
            note=data.get("note", ""),
            by=_user(request),
        )
        return Response(_value_data(record), status=status.HTTP_201_CREATED)


def _value_data(record: ValueRecord) -> Any:
    records = selectors.value_records_with_history(ValueRecord.with_deleted.filter(pk=record.pk))
    return ValueRecordSerializer(records.get()).data


class ValueRecordView(APIView):
    """Correcting or deleting a value record, its history kept."""

    scopes = {"PATCH": ApiScope.VALUE_WRITE, "DELETE": ApiScope.VALUE_WRITE}
    parser_classes = [JSONParser]

    @extend_schema(
        operation_id="value_record_correct",
        summary="Correct a value record",
        description="Its amount, date or note, with why; what it said before stays in its history.",
        request=ValueCorrectSerializer,
        responses={200: ValueRecordSerializer},
    )
    def patch(self, request: Request, pk: int) -> Response:
        record = _visible_value_record(request, pk)
        data = _valid(ValueCorrectSerializer, request.data)
        amount = data.get("amount")
        record = journeys.value_record_correct(
            record=record,
            amount=Decimal(amount) if amount is not None else record.amount,
            occurred_on=data.get("occurred_on", record.occurred_on),
            note=data.get("note", record.note),
            reason=data["reason"],
            by=_user(request),
        )
        return Response(_value_data(record))

    @extend_schema(
        operation_id="value_record_delete",
        summary="Delete a value record",
        description="It leaves every sum but stays, with who deleted it, when and why, in its history. The "
        "reason goes in the JSON body or in `?reason=`.",
        parameters=[OpenApiParameter("reason", str, description="Why it is deleted (or in the body).")],
        request=ValueDeleteSerializer,
        responses={200: ValueRecordSerializer},
    )
    def delete(self, request: Request, pk: int) -> Response:
        record = _visible_value_record(request, pk)
        body = request.data if isinstance(request.data, dict) else {}
        reason = body.get("reason") or request.query_params.get("reason", "")
        data = _valid(ValueDeleteSerializer, {"reason": reason})
        record = journeys.value_record_delete(record=record, reason=data["reason"], by=_user(request))
        return Response(_value_data(record))


# --- History ---------------------------------------------------------------------------------------


class AccountAchievementsView(APIView):
    scopes = {"POST": ApiScope.JOURNEYS_WRITE}
    parser_classes = [JSONParser]

    @extend_schema(
        operation_id="account_achievement_import",
        summary="Import a milestone reached in the past",
        description="So that time to value counts from day one (the account's CS manager or an admin). With no "
        "journey on the playbook yet, one starts at the account's contract start. Nobody is notified. Posting "
        "the same milestone again answers 200 with the achievement as it stands (201 the first time).",
        request=AchievementImportSerializer,
        responses={
            201: AchievementSerializer,
            200: OpenApiResponse(AchievementSerializer, description="Already recorded: the achievement as it stands."),
        },
    )
    def post(self, request: Request, slug: str) -> Response:
        account = get_visible_account(user=request.user, slug=slug)
        _staff_only(request, account)
        data = _valid(AchievementImportSerializer, request.data)
        imported = backfill.achievement_import(
            account=account,
            milestone_key=data["milestone"],
            achieved_at=data["achieved_at"],
            playbook_key=data.get("playbook", ""),
            by=_user(request),
        )
        achievement = Achievement.objects.select_related("account", "journey").get(pk=imported.achievement.pk)
        code = status.HTTP_201_CREATED if imported.created else status.HTTP_200_OK
        return Response(AchievementSerializer(achievement).data, status=code)
