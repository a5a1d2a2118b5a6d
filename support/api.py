"""The support desk as JSON, with the session the pages use.

Customers (a member or admin of an account) ask, list their inquiries — a customer admin, every one
of the account —, read a thread without the internal notes, with the time the desk promises a reply
by, and reply. The desk (support agents, admins, and CS managers for their accounts' inquiries)
reads the queue by deadline with each inquiry's urgency, a thread with its notes, replies or notes,
and moves an inquiry's status and assignee. Every write goes through ``support.services`` as the
pages' do; an inquiry the caller may not see answers 404 like a missing one.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import permissions, serializers, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from portal.api.parsers import JSONParser
from portal.api.permissions import TokenScopes
from portal.models import Account, ApiScope, User
from portal.tenancy import customer_account
from support import selectors, services
from support.forms import KEY
from support.models import Attachment, Category, Inquiry, InquiryChange, Message, Priority

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

NOT_FOUND = OpenApiResponse(description="No such inquiry, or one the caller may not see.")
Status = Inquiry.Status
# Someone on the desk: ``me``, ``none`` (nobody) or a person's id (a whole number the database holds).
ASSIGNEE_PATTERN = r"^(me|none|[1-9][0-9]{0,17})$"
# The service's own words for someone who is not on the desk.
ASSIGNEE_REFUSED = "Choose a support agent, an admin or the account's CS manager."
STAFF_STATUS_CHOICES = [(s.value, s.label) for s in Status if s in services.STAFF_STATUSES]
REPLY_STATUS_CHOICES = [(s.value, s.label) for s in Status if s in (Status.WAITING, Status.OPEN, Status.SOLVED)]


def _kinds(*kinds: Message.Kind) -> list[tuple[str, StrOrPromise]]:
    return [(kind.value, kind.label) for kind in kinds]


# --- Who may call --------------------------------------------------------------------------------


def requesting_account(request: Request) -> Account | None:
    """The signed-in customer's account (None for staff), read once per request."""
    if not hasattr(request, "support_account"):
        setattr(request, "support_account", customer_account(user=request.user))  # noqa: B010
    account: Account | None = getattr(request, "support_account")  # noqa: B009
    return account


def customer_of(request: Request) -> tuple[User, Account]:
    """The signed-in customer and their account, once ``IsCustomer`` let the request in."""
    account = requesting_account(request)
    assert account is not None and isinstance(request.user, User)
    return request.user, account


def desk_user(request: Request) -> User:
    """The signed-in person on the desk, once ``IsDesk`` let the request in."""
    assert isinstance(request.user, User)
    return request.user


class IsCustomer(permissions.BasePermission):
    """A customer of an account, its member or admin; staff are refused (403)."""

    def has_permission(self, request: Request, view: object) -> bool:
        return requesting_account(request) is not None


class IsDesk(permissions.BasePermission):
    """Support agents, CS managers and admins; customers are refused (403)."""

    def has_permission(self, request: Request, view: object) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and (user.is_agent or user.is_csm or user.is_admin))


class InquiryPagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


def _valid(serializer_class: type[serializers.Serializer], data: Any) -> dict[str, Any]:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


# --- What is answered ------------------------------------------------------------------------------


class InquiryCategoryRefSerializer(serializers.Serializer):
    slug = serializers.SlugField()
    name = serializers.CharField(source="display_name", help_text="In the request's language.")


class AttachmentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    content_type = serializers.CharField()
    size = serializers.IntegerField(help_text="Bytes.")
    url = serializers.SerializerMethodField(help_text="Downloads the file (with the same session).")

    def get_url(self, attachment: Attachment) -> str:
        return self.context["request"].build_absolute_uri(reverse("support:attachment", args=[attachment.pk]))


class PublicMessageSerializer(serializers.Serializer):
    """A message of the thread as the customer reads it."""

    id = serializers.IntegerField()
    kind = serializers.ChoiceField(
        choices=_kinds(Message.Kind.CUSTOMER, Message.Kind.REPLY), help_text="`customer`: from the customer's side."
    )
    author_name = serializers.SerializerMethodField(
        help_text="The customer's full name; for the desk's replies, the short name of who wrote it."
    )
    body = serializers.CharField(help_text="Markdown.")
    created_at = serializers.DateTimeField()
    attachments = AttachmentSerializer(many=True)

    def get_author_name(self, message: Message) -> str:
        if message.author is None:
            return ""
        if message.kind == Message.Kind.CUSTOMER:
            return message.author.get_full_name()
        return message.author.get_short_name()


class ReplyPromiseSerializer(serializers.Serializer):
    by = serializers.DateTimeField(
        allow_null=True, help_text="The desk replies by then; null when no reply is owed (or the inquiry waits on you)."
    )
    away_now = serializers.BooleanField(help_text="The desk is outside its business hours now.")
    back_at = serializers.DateTimeField(allow_null=True, help_text="When it opens again, while away.")


class CustomerInquirySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    subject = serializers.CharField()
    status = serializers.ChoiceField(choices=Status.choices)
    priority = serializers.ChoiceField(choices=Priority.choices)
    category = InquiryCategoryRefSerializer(allow_null=True)
    author_name = serializers.SerializerMethodField(help_text="Who asked (a customer admin sees colleagues' too).")
    playbook_key = serializers.CharField(help_text="The onboarding step it is about, by key; or empty.")
    step_key = serializers.CharField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    solved_at = serializers.DateTimeField(allow_null=True)
    url = serializers.SerializerMethodField(help_text="The inquiry's page.")

    def get_author_name(self, inquiry: Inquiry) -> str:
        return inquiry.author.get_full_name() if inquiry.author else ""

    def get_url(self, inquiry: Inquiry) -> str:
        return self.context["request"].build_absolute_uri(reverse("support:inquiry", args=[inquiry.pk]))


@dataclass(frozen=True)
class CustomerThread:
    inquiry: Inquiry
    messages: list[Message]  # without the internal notes
    promise: selectors.ReplyPromise


class CustomerInquiryDetailSerializer(CustomerInquirySerializer):
    # Built from a ``CustomerThread``, never from the inquiry's own messages: they hold the notes.
    messages = PublicMessageSerializer(many=True, help_text="The thread, oldest first.")
    reply_promise = ReplyPromiseSerializer()

    def to_representation(self, instance: CustomerThread) -> dict[str, Any]:
        data = dict(CustomerInquirySerializer(instance.inquiry, context=self.context).data)
        data["messages"] = PublicMessageSerializer(instance.messages, many=True, context=self.context).data
        data["reply_promise"] = ReplyPromiseSerializer(instance.promise).data
        return data


class AccountRefSerializer(serializers.Serializer):
    slug = serializers.SlugField()
    name = serializers.CharField()


class PersonSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField(source="get_full_name")
    email = serializers.EmailField()


class UrgencySerializer(serializers.Serializer):
    state = serializers.ChoiceField(
        choices=selectors.URGENCY_STATES,
        help_text="`late`: past its target; `fast_missed`: past the fast reply; `warning`: three quarters of a "
        "target used up; `ok`; `none`: nothing owed, or paused while waiting on the customer.",
    )
    due = serializers.DateTimeField(allow_null=True, help_text="The deadline it is measured against.")


class DeskMessageSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.ChoiceField(
        choices=Message.Kind.choices, help_text="`note`: internal, never shown to customers."
    )
    author = PersonSerializer(allow_null=True)
    automatic = serializers.BooleanField()
    body = serializers.CharField(help_text="Markdown.")
    created_at = serializers.DateTimeField()
    attachments = AttachmentSerializer(many=True)


class ChangeSerializer(serializers.Serializer):
    field = serializers.ChoiceField(choices=InquiryChange.Field.choices)
    old = serializers.CharField()
    new = serializers.CharField()
    actor_name = serializers.SerializerMethodField()
    occurred_at = serializers.DateTimeField()

    def get_actor_name(self, change: InquiryChange) -> str:
        return change.actor.get_full_name() if change.actor else ""


class DeskInquirySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    subject = serializers.CharField()
    status = serializers.ChoiceField(choices=Status.choices)
    priority = serializers.ChoiceField(choices=Priority.choices)
    category = InquiryCategoryRefSerializer(allow_null=True)
    account = AccountRefSerializer()
    author = PersonSerializer(allow_null=True)
    assignee = PersonSerializer(allow_null=True)
    playbook_key = serializers.CharField()
    step_key = serializers.CharField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    first_replied_at = serializers.DateTimeField(allow_null=True)
    fast_due_at = serializers.DateTimeField(allow_null=True, help_text="The fast reply's deadline (business hours).")
    due_at = serializers.DateTimeField(allow_null=True, help_text="The reply target's deadline.")
    urgency = serializers.SerializerMethodField()
    url = serializers.SerializerMethodField(help_text="The inquiry's page on the desk.")

    @extend_schema_field(UrgencySerializer)
    def get_urgency(self, inquiry: Inquiry) -> dict[str, Any]:
        return dict(UrgencySerializer(selectors.urgency(inquiry, now=self.context["now"])).data)

    def get_url(self, inquiry: Inquiry) -> str:
        return self.context["request"].build_absolute_uri(reverse("support:desk_inquiry", args=[inquiry.pk]))


@dataclass(frozen=True)
class DeskThread:
    inquiry: Inquiry
    messages: list[Message]  # the internal notes included
    changes: list[InquiryChange]


class DeskInquiryDetailSerializer(DeskInquirySerializer):
    # Built from a ``DeskThread``.
    messages = DeskMessageSerializer(many=True, help_text="The thread with its internal notes, oldest first.")
    changes = ChangeSerializer(many=True, help_text="Status, assignee and priority changes, oldest first.")

    def to_representation(self, instance: DeskThread) -> dict[str, Any]:
        data = dict(DeskInquirySerializer(instance.inquiry, context=self.context).data)
        data["messages"] = DeskMessageSerializer(instance.messages, many=True, context=self.context).data
        data["changes"] = ChangeSerializer(instance.changes, many=True).data
        return data


# --- What is asked -----------------------------------------------------------------------------------


class CustomerInquiryQuery(serializers.Serializer):
    status = serializers.ChoiceField(choices=Status.choices, required=False)


class InquiryCreateSerializer(serializers.Serializer):
    subject = serializers.CharField(max_length=200, help_text="In a few words, what it is about.")
    body = serializers.CharField(max_length=20000, help_text="The question, in markdown.")
    category = serializers.SlugRelatedField(
        slug_field="slug",
        queryset=Category.objects.all(),
        required=False,
        allow_null=True,
        help_text="An inquiry category's slug; leave it out when unsure.",
    )
    priority = serializers.ChoiceField(choices=Priority.choices, default=Priority.NORMAL)
    playbook_key = serializers.RegexField(
        KEY, max_length=80, default="", help_text="The onboarding step it is about: its playbook's key…"
    )
    step_key = serializers.RegexField(KEY, max_length=80, default="", help_text="…and the step's key.")


class CustomerReplySerializer(serializers.Serializer):
    body = serializers.CharField(max_length=20000, help_text="Markdown.")


class DeskInquiryQuery(serializers.Serializer):
    status = serializers.ChoiceField(choices=Status.choices, required=False)
    assignee = serializers.RegexField(
        ASSIGNEE_PATTERN, required=False, help_text="`me`, `none` (nobody's) or a person's id."
    )
    category = serializers.SlugField(required=False, help_text="An inquiry category's slug.")
    account = serializers.SlugField(required=False, help_text="An account's slug.")
    priority = serializers.ChoiceField(choices=Priority.choices, required=False)
    urgency = serializers.ChoiceField(
        choices=selectors.URGENCY_STATES, required=False, help_text="Where the reply clock stands now (see `urgency`)."
    )


class DeskReplySerializer(serializers.Serializer):
    body = serializers.CharField(max_length=20000, help_text="Markdown.")
    kind = serializers.ChoiceField(
        choices=_kinds(Message.Kind.REPLY, Message.Kind.NOTE),
        default=Message.Kind.REPLY,
        help_text="`reply`: to the customer (e-mailed to them); `note`: internal, never shown to customers.",
    )
    status = serializers.ChoiceField(
        choices=REPLY_STATUS_CHOICES,
        required=False,
        help_text="Then: after a reply, waiting on the customer unless told otherwise; a note changes the status "
        "only when told.",
    )


class DeskChangeSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=STAFF_STATUS_CHOICES, required=False)
    assignee = serializers.RegexField(
        ASSIGNEE_PATTERN,
        required=False,
        help_text="`me`, `none` (nobody) or the id of someone on the desk: a support agent, an admin or the "
        "account's CS manager.",
    )


# --- The customer's side -----------------------------------------------------------------------------


def _paginated(
    view: APIView, request: Request, items: QuerySet[Inquiry], serializer: serializers.Serializer
) -> Response:
    """One page of ``items``, each as ``serializer`` (a ``many=True`` one, without its instance) says."""
    paginator = InquiryPagination()
    page = paginator.paginate_queryset(items, request, view=view)
    assert page is not None  # a page size is set: there is always a page
    serializer.instance = page
    return paginator.get_paginated_response(serializer.data)


class InquiryListView(APIView):
    """The caller's inquiries (a customer admin: every one of the account), the latest activity first;
    and asking a new one."""

    permission_classes = [TokenScopes, IsCustomer]
    scopes = {"GET": ApiScope.INQUIRIES_READ, "POST": ApiScope.INQUIRIES_WRITE}
    parser_classes = [JSONParser]
    pagination_class = InquiryPagination

    @extend_schema(parameters=[CustomerInquiryQuery], responses=CustomerInquirySerializer(many=True))
    def get(self, request: Request) -> Response:
        params = _valid(CustomerInquiryQuery, request.query_params)
        user, account = customer_of(request)
        inquiries = selectors.customer_inquiries(user=user, account=account)
        if params.get("status"):
            inquiries = inquiries.filter(status=params["status"])
        return _paginated(self, request, inquiries, CustomerInquirySerializer(many=True, context={"request": request}))

    @extend_schema(request=InquiryCreateSerializer, responses={201: CustomerInquiryDetailSerializer})
    def post(self, request: Request) -> Response:
        """Ask: the first-reply clock starts now, with the reply-time targets that apply."""
        user, account = customer_of(request)
        data = _valid(InquiryCreateSerializer, request.data)
        inquiry = services.inquiry_create(
            account=account, author=user, subject=data["subject"], body=data["body"],
            category=data.get("category"), priority=data["priority"], playbook_key=data["playbook_key"],
            step_key=data["step_key"],
        )  # fmt: skip
        return Response(_customer_thread(request, inquiry), status=status.HTTP_201_CREATED)


def _customer_thread(request: Request, inquiry: Inquiry) -> dict[str, Any]:
    thread = CustomerThread(
        inquiry=inquiry,
        messages=selectors.thread(inquiry=inquiry, staff=False),
        promise=selectors.reply_promise(inquiry=inquiry),
    )
    return CustomerInquiryDetailSerializer(thread, context={"request": request}).data


class InquiryDetailView(APIView):
    permission_classes = [TokenScopes, IsCustomer]
    scopes = {"GET": ApiScope.INQUIRIES_READ, "POST": ApiScope.INQUIRIES_WRITE}

    @extend_schema(responses={200: CustomerInquiryDetailSerializer, 404: NOT_FOUND})
    def get(self, request: Request, pk: int) -> Response:
        """One inquiry with its thread (never the desk's internal notes) and the time the desk replies by."""
        user, account = customer_of(request)
        inquiry = selectors.customer_inquiry(user=user, account=account, pk=pk)
        return Response(_customer_thread(request, inquiry))


class InquiryReplyView(APIView):
    permission_classes = [TokenScopes, IsCustomer]
    scopes = {"GET": ApiScope.INQUIRIES_READ, "POST": ApiScope.INQUIRIES_WRITE}
    parser_classes = [JSONParser]

    @extend_schema(request=CustomerReplySerializer, responses={201: PublicMessageSerializer, 404: NOT_FOUND})
    def post(self, request: Request, pk: int) -> Response:
        """Reply on the thread: the inquiry opens again (a solved one too) and the desk owes the next
        reply. A closed inquiry takes no more replies (400): ask a new question."""
        user, account = customer_of(request)
        inquiry = selectors.customer_inquiry(user=user, account=account, pk=pk)
        data = _valid(CustomerReplySerializer, request.data)
        message = services.inquiry_reply(inquiry=inquiry, by=user, body=data["body"])
        return Response(PublicMessageSerializer(message, context={"request": request}).data, status=201)


# --- The desk ------------------------------------------------------------------------------------------


def _desk_filtered(user: User, params: dict[str, Any], now: dt.datetime) -> QuerySet[Inquiry]:
    inquiries = selectors.desk_inquiries(user=user)
    if params.get("status"):
        inquiries = inquiries.filter(status=params["status"])
    assignee = params.get("assignee")
    if assignee == "me":
        inquiries = inquiries.filter(assignee=user)
    elif assignee == "none":
        inquiries = inquiries.filter(assignee=None)
    elif assignee:
        inquiries = inquiries.filter(assignee_id=int(assignee))
    if params.get("category"):
        inquiries = inquiries.filter(category__slug=params["category"])
    if params.get("account"):
        inquiries = inquiries.filter(account__slug=params["account"])
    if params.get("priority"):
        inquiries = inquiries.filter(priority=params["priority"])
    if params.get("urgency"):
        inquiries = selectors.with_urgency(inquiries, state=params["urgency"], now=now)
    return selectors.by_deadline(inquiries)


class DeskInquiryListView(APIView):
    """The queue: the inquiries the caller answers (agents and admins, every account's; a CS manager,
    their accounts'), the nearest deadline first and nothing owed last, each with its urgency."""

    permission_classes = [TokenScopes, IsDesk]
    scopes = {"GET": ApiScope.INQUIRIES_READ, "POST": ApiScope.INQUIRIES_WRITE, "PATCH": ApiScope.INQUIRIES_WRITE}
    pagination_class = InquiryPagination

    @extend_schema(parameters=[DeskInquiryQuery], responses=DeskInquirySerializer(many=True))
    def get(self, request: Request) -> Response:
        params = _valid(DeskInquiryQuery, request.query_params)
        now = timezone.now()
        context = {"request": request, "now": now}
        return _paginated(
            self,
            request,
            _desk_filtered(desk_user(request), params, now),
            DeskInquirySerializer(many=True, context=context),
        )


def _desk_thread(request: Request, inquiry: Inquiry) -> dict[str, Any]:
    thread = DeskThread(
        inquiry=inquiry,
        messages=selectors.thread(inquiry=inquiry, staff=True),
        changes=list(inquiry.changes.select_related("actor").order_by("occurred_at", "id")),
    )
    return DeskInquiryDetailSerializer(thread, context={"request": request, "now": timezone.now()}).data


class DeskInquiryDetailView(APIView):
    permission_classes = [TokenScopes, IsDesk]
    scopes = {"GET": ApiScope.INQUIRIES_READ, "POST": ApiScope.INQUIRIES_WRITE, "PATCH": ApiScope.INQUIRIES_WRITE}
    parser_classes = [JSONParser]

    @extend_schema(responses={200: DeskInquiryDetailSerializer, 404: NOT_FOUND})
    def get(self, request: Request, pk: int) -> Response:
        """One inquiry with its whole thread (internal notes included), its urgency and its history."""
        return Response(_desk_thread(request, selectors.desk_inquiry(user=desk_user(request), pk=pk)))

    @extend_schema(request=DeskChangeSerializer, responses={200: DeskInquiryDetailSerializer, 404: NOT_FOUND})
    def patch(self, request: Request, pk: int) -> Response:
        """Move the status (waiting on the customer pauses the reply clock, open again resumes it, solved
        and closed stop it) and/or give the inquiry to someone on the desk, both or neither."""
        user = desk_user(request)
        inquiry = selectors.desk_inquiry(user=user, pk=pk)
        data = _valid(DeskChangeSerializer, request.data)
        with transaction.atomic():  # a refused assignee leaves the status as it was
            if "status" in data:
                services.inquiry_set_status(inquiry=inquiry, status=data["status"], by=user)
            if "assignee" in data:
                services.inquiry_assign(inquiries=[inquiry], assignee=_assignee(user, data["assignee"]), by=user)
        return Response(_desk_thread(request, selectors.desk_inquiry(user=user, pk=pk)))


def _assignee(user: User, chosen: str) -> User | None:
    """The person ``chosen`` names: ``me``, ``none`` (nobody), or someone on the desk by id."""
    if chosen == "none":
        return None
    if chosen == "me":
        return user
    person = selectors.desk_people().filter(pk=int(chosen)).first()
    if person is None:
        raise serializers.ValidationError({"assignee": [_(ASSIGNEE_REFUSED)]})
    return person


class DeskReplyView(APIView):
    permission_classes = [TokenScopes, IsDesk]
    scopes = {"GET": ApiScope.INQUIRIES_READ, "POST": ApiScope.INQUIRIES_WRITE, "PATCH": ApiScope.INQUIRIES_WRITE}
    parser_classes = [JSONParser]

    @extend_schema(request=DeskReplySerializer, responses={201: DeskMessageSerializer, 404: NOT_FOUND})
    def post(self, request: Request, pk: int) -> Response:
        """A reply to the customer (it stops the reply clock; the first one keeps its outcome) or an
        internal note."""
        user = desk_user(request)
        inquiry = selectors.desk_inquiry(user=user, pk=pk)
        data = _valid(DeskReplySerializer, request.data)
        message = services.inquiry_reply(
            inquiry=inquiry, by=user, body=data["body"], internal=data["kind"] == Message.Kind.NOTE,
            status=data.get("status"),
        )  # fmt: skip
        return Response(DeskMessageSerializer(message, context={"request": request}).data, status=201)
