"""Outgoing webhooks through the API, for admins (``webhooks:manage``): the endpoints (create, read,
change, delete, rotate the signing secret, send a test event) and their deliveries (list, send
again). Endpoints are global, so a token restricted to one account is refused. The signing secret
is shown once: in the answer to the create, and the new one in the answer to a rotation."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import permissions, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from portal import webhooks
from portal.api.accounts import PK_MAX
from portal.api.pagination import CursorPage
from portal.api.parsers import JSONParser
from portal.api.schema import ErrorSerializer
from portal.models import ApiScope, User, WebhookDelivery, WebhookEndpoint, WebhookEvent
from portal.tenancy import token_account_id

IDS_MAX = 1000
EARLIEST = datetime.min.replace(tzinfo=UTC)
LATEST = datetime.max.replace(tzinfo=UTC)


class BoundField(serializers.DateTimeField):
    """One end of a time range, ISO 8601 with its offset (without one, in the current time zone). A
    moment beyond what a date and time can hold once in UTC is the earliest or the latest one."""

    def to_internal_value(self, value: Any) -> datetime:
        try:
            parsed = parse_datetime(value) if isinstance(value, str) else None
        except ValueError:
            parsed = None
        if parsed is None:
            self.fail("invalid", format="YYYY-MM-DDThh:mm:ss±hh:mm")
        if timezone.is_naive(parsed):
            try:
                parsed = timezone.make_aware(parsed)
            except (OverflowError, ValueError):
                return EARLIEST if parsed.year == 1 else LATEST
        try:
            return parsed.astimezone(UTC)
        except OverflowError:
            return EARLIEST if parsed.year == 1 else LATEST


ENDPOINT_MISSING = OpenApiResponse(ErrorSerializer, description="No such endpoint.")


class WebhookAdmins(permissions.BasePermission):
    """Admins only, and not with a token restricted to one account: endpoints receive every account's events."""

    def has_permission(self, request: Request, view: object) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.is_admin and token_account_id(user) is None)


# --- Serializers ---------------------------------------------------------------------------------


class FlatListField(serializers.ListField):
    """A list whose items' errors are the field's own messages (``["item 2: …"]``), as every other
    field error is, rather than a mapping by position."""

    def to_internal_value(self, data: Any) -> list[Any]:
        try:
            return super().to_internal_value(data)
        except serializers.ValidationError as error:
            if not isinstance(error.detail, dict):
                raise
            messages = [
                _("Item %(position)s: %(message)s") % {"position": int(position) + 1, "message": message}
                for position, problems in sorted(error.detail.items(), key=lambda item: int(item[0]))
                for message in (problems if isinstance(problems, list) else [problems])
            ]
            raise serializers.ValidationError(messages[:10]) from None


class EndpointSerializer(serializers.ModelSerializer):
    """An endpoint as the API shows it: never its secrets."""

    class Meta:
        model = WebhookEndpoint
        fields = [
            "id",
            "url",
            "description",
            "event_types",
            "enabled",
            "disabled_reason",
            "disabled_at",
            "failing_since",
            "previous_secret_expires_at",
            "created_at",
        ]
        read_only_fields = fields

    event_types = serializers.ListField(child=serializers.ChoiceField(choices=WebhookEvent.choices))


class EndpointCreatedSerializer(EndpointSerializer):
    """The endpoint just made, with its signing secret: the only time the secret is shown."""

    secret = serializers.CharField(help_text="The signing secret (`whsec_…`): keep it, it is not shown again.")

    class Meta(EndpointSerializer.Meta):
        fields = [*EndpointSerializer.Meta.fields, "secret"]
        read_only_fields = fields


class EndpointInputSerializer(serializers.Serializer):
    url = serializers.URLField(
        max_length=500, help_text="HTTPS, to a host that resolves to public addresses only (checked on each attempt)."
    )
    event_types = FlatListField(
        child=serializers.ChoiceField(choices=WebhookEvent.choices), allow_empty=False, min_length=1, max_length=50
    )
    description = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class EndpointChangeSerializer(EndpointInputSerializer):
    enabled = serializers.BooleanField(required=False, help_text="Off: nothing is sent; back on: sending resumes.")


class SecretSerializer(serializers.Serializer):
    secret = serializers.CharField(help_text="The new signing secret: keep it, it is not shown again.")
    previous_secret_expires_at = serializers.DateTimeField(
        help_text="Until then the previous secret signs too (a second signature in `webhook-signature`)."
    )


class TestSentSerializer(serializers.Serializer):
    delivery = serializers.IntegerField(help_text="The id of the delivery of the test event (see the deliveries).")
    msg_id = serializers.CharField()


class DeliverySerializer(serializers.ModelSerializer):
    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "event_type",
            "msg_id",
            "status",
            "attempts",
            "last_status_code",
            "last_duration_ms",
            "last_error",
            "created_at",
            "last_attempt_at",
            "next_attempt_at",
            "delivered_at",
        ]
        read_only_fields = fields


class DeliveryQuery(serializers.Serializer):
    status = serializers.ChoiceField(choices=WebhookDelivery.Status.choices, required=False)
    since = BoundField(required=False, help_text="Made at or after (ISO 8601 with offset).")
    until = BoundField(required=False, help_text="Made before (ISO 8601 with offset).")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        since, until = attrs.get("since"), attrs.get("until")
        if since is not None and until is not None and until < since:
            raise serializers.ValidationError({"until": [_("The end comes before the start.")]})
        return attrs


class RedeliverSerializer(serializers.Serializer):
    """Either ``ids``, or a time range (``since``, ``until``, or both)."""

    ids = FlatListField(
        child=serializers.IntegerField(min_value=1, max_value=PK_MAX),
        required=False,
        allow_empty=False,
        max_length=IDS_MAX,
        help_text="Deliveries of this endpoint to send again.",
    )
    since = BoundField(required=False, help_text="Send again those made at or after (ISO 8601 with offset).")
    until = BoundField(required=False, help_text="Send again those made before (ISO 8601 with offset).")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        has_range = "since" in attrs or "until" in attrs
        if "ids" in attrs and has_range:
            raise serializers.ValidationError({"ids": [_("Give either ids or a time range, not both.")]})
        if "ids" not in attrs and not has_range:
            raise serializers.ValidationError({"ids": [_("Give the ids of the deliveries or a time range.")]})
        since, until = attrs.get("since"), attrs.get("until")
        if since is not None and until is not None and until < since:
            raise serializers.ValidationError({"until": [_("The end comes before the start.")]})
        return attrs


class RedeliveredSerializer(serializers.Serializer):
    redelivered = serializers.IntegerField(help_text="How many deliveries were queued again.")


REDELIVER_REQUEST = {
    "type": "object",
    "description": "Either `ids`, or a time range: `since`, `until` or both.",
    "anyOf": [
        {
            "type": "object",
            "properties": {
                "ids": {
                    "type": "array",
                    "items": {"type": "integer", "minimum": 1, "maximum": PK_MAX},
                    "minItems": 1,
                    "maxItems": IDS_MAX,
                }
            },
            "required": ["ids"],
            "additionalProperties": False,
        },
        {
            "type": "object",
            "properties": {
                "since": {"type": "string", "format": "date-time"},
                "until": {"type": "string", "format": "date-time"},
            },
            "required": ["since"],
            "additionalProperties": False,
        },
        {
            "type": "object",
            "properties": {
                "since": {"type": "string", "format": "date-time"},
                "until": {"type": "string", "format": "date-time"},
            },
            "required": ["until"],
            "additionalProperties": False,
        },
    ],
}


# --- Views ---------------------------------------------------------------------------------------


def _valid(serializer: serializers.Serializer) -> dict[str, Any]:
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def _endpoint(pk: int) -> WebhookEndpoint:
    endpoint = webhooks.endpoint_get(pk=pk) if pk <= PK_MAX else None
    if endpoint is None:
        raise Http404
    return endpoint


class WebhookView(APIView):
    permission_classes = [*APIView.permission_classes, WebhookAdmins]
    parser_classes = [JSONParser]


class EndpointListView(WebhookView):
    """The webhook endpoints, newest first by cursor; add one."""

    scopes = {"GET": ApiScope.WEBHOOKS_MANAGE, "POST": ApiScope.WEBHOOKS_MANAGE}
    pagination_class = CursorPage

    @extend_schema(responses={200: EndpointSerializer(many=True)})
    def get(self, request: Request) -> Response:
        paginator = CursorPage()
        page = paginator.paginate_queryset(webhooks.endpoint_list(), request, view=self)
        assert page is not None  # a page size is set: there is always a page
        return paginator.get_paginated_response(EndpointSerializer(page, many=True).data)

    @extend_schema(request=EndpointInputSerializer, responses={201: EndpointCreatedSerializer})
    def post(self, request: Request) -> Response:
        """Add an endpoint. The answer has its signing secret, the only time it is shown. A URL that
        is not HTTPS or whose host is not public (loopback, private, link-local…) is a field error on
        ``url``."""
        data = _valid(EndpointInputSerializer(data=request.data))
        endpoint = webhooks.endpoint_create(
            url=data["url"],
            event_types=data["event_types"],
            description=data["description"],
            by=request.user if isinstance(request.user, User) else None,
        )
        return Response(EndpointCreatedSerializer(endpoint).data, status=status.HTTP_201_CREATED)


class EndpointDetailView(WebhookView):
    scopes = {"GET": ApiScope.WEBHOOKS_MANAGE, "PATCH": ApiScope.WEBHOOKS_MANAGE, "DELETE": ApiScope.WEBHOOKS_MANAGE}

    @extend_schema(responses={200: EndpointSerializer, 404: ENDPOINT_MISSING})
    def get(self, request: Request, pk: int) -> Response:
        return Response(EndpointSerializer(_endpoint(pk)).data)

    @extend_schema(
        request=EndpointChangeSerializer(partial=True), responses={200: EndpointSerializer, 404: ENDPOINT_MISSING}
    )
    def patch(self, request: Request, pk: int) -> Response:
        """Change some fields of an endpoint; ``enabled`` true turns back on one that was turned off
        (and forgets why)."""
        endpoint = _endpoint(pk)
        data = _valid(EndpointChangeSerializer(data=request.data, partial=True))
        endpoint = webhooks.endpoint_update(
            endpoint=endpoint,
            url=data.get("url", endpoint.url),
            event_types=data.get("event_types", endpoint.event_types),
            description=data.get("description", endpoint.description),
            enabled=data.get("enabled", endpoint.enabled),
        )
        return Response(EndpointSerializer(endpoint).data)

    @extend_schema(responses={204: None, 404: ENDPOINT_MISSING})
    def delete(self, request: Request, pk: int) -> Response:
        """Delete the endpoint and its deliveries: nothing more is sent to it."""
        webhooks.endpoint_delete(endpoint=_endpoint(pk))
        return Response(status=status.HTTP_204_NO_CONTENT)


class EndpointRotateSecretView(WebhookView):
    scopes = {"POST": ApiScope.WEBHOOKS_MANAGE}

    @extend_schema(request=None, responses={200: SecretSerializer, 404: ENDPOINT_MISSING})
    def post(self, request: Request, pk: int) -> Response:
        """A new signing secret, shown once in the answer. The previous one keeps signing until
        ``previous_secret_expires_at`` (a day), so the receiver can switch without losing a message."""
        endpoint = _endpoint(pk)
        secret = webhooks.endpoint_rotate_secret(endpoint=endpoint)
        endpoint.refresh_from_db(fields=["previous_secret_expires_at"])
        return Response({"secret": secret, "previous_secret_expires_at": endpoint.previous_secret_expires_at})


class EndpointTestView(WebhookView):
    scopes = {"POST": ApiScope.WEBHOOKS_MANAGE}

    @extend_schema(request=None, responses={202: TestSentSerializer, 404: ENDPOINT_MISSING})
    def post(self, request: Request, pk: int) -> Response:
        """Queue a ``webhook.test`` event to the endpoint, whatever it subscribed to."""
        delivery = webhooks.test_event_send(endpoint=_endpoint(pk))
        return Response({"delivery": delivery.pk, "msg_id": delivery.msg_id}, status=status.HTTP_202_ACCEPTED)


class DeliveryListView(WebhookView):
    """The deliveries to an endpoint, newest first by cursor (kept for 30 days)."""

    scopes = {"GET": ApiScope.WEBHOOKS_MANAGE}
    pagination_class = CursorPage

    @extend_schema(parameters=[DeliveryQuery], responses={200: DeliverySerializer(many=True), 404: ENDPOINT_MISSING})
    def get(self, request: Request, pk: int) -> Response:
        endpoint = _endpoint(pk)
        query = _valid(DeliveryQuery(data=request.query_params))
        deliveries: QuerySet[WebhookDelivery] = webhooks.endpoint_deliveries(
            endpoint=endpoint, status=query.get("status", ""), since=query.get("since"), until=query.get("until")
        )
        paginator = CursorPage()
        page = paginator.paginate_queryset(deliveries, request, view=self)
        assert page is not None
        return paginator.get_paginated_response(DeliverySerializer(page, many=True).data)


class DeliveryRedeliverView(WebhookView):
    scopes = {"POST": ApiScope.WEBHOOKS_MANAGE}

    @extend_schema(
        request={"application/json": REDELIVER_REQUEST}, responses={200: RedeliveredSerializer, 404: ENDPOINT_MISSING}
    )
    def post(self, request: Request, pk: int) -> Response:
        """Send deliveries of this endpoint again, with their message ids, on a fresh retry schedule:
        those of ``ids`` (others are left out), or those made in a time range. Answers how many."""
        endpoint = _endpoint(pk)
        data = _valid(RedeliverSerializer(data=request.data))
        deliveries = webhooks.endpoint_deliveries(
            endpoint=endpoint, ids=data.get("ids"), since=data.get("since"), until=data.get("until")
        )
        count = webhooks.delivery_redeliver(deliveries=deliveries.only("pk"))
        return Response({"redelivered": count})
