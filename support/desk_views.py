"""The desk's side: the queue sorted by deadline (agents and admins see every account's inquiries, a
CS manager their accounts'), a thread with replies and internal notes, statuses and assignment,
one at a time or many from the queue."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.http import HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from portal.access import AuthenticatedHttpRequest
from portal.models import Account, User
from portal.web import safe_next_url
from support import selectors, services
from support.forms import AssignForm, DeskReplyForm, DeskStatusForm, QueueFilterForm
from support.models import Inquiry

QUEUE_PAGE = 50
ACCOUNTS_FOUND = 500  # accounts a text filter matches by name, at most
Status = Inquiry.Status


def desk_required(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """Support agents, CS managers and admins; customers get 403."""

    @login_required
    @wraps(view)
    def wrapped(request: AuthenticatedHttpRequest, *args: object, **kwargs: object) -> HttpResponseBase:
        user = request.user
        if not (user.is_agent or user.is_csm or user.is_admin):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped


def _people(people: list[User] | None = None) -> list[tuple[int, str]]:
    return [(person.pk, person.get_full_name()) for person in people or selectors.desk_people()]


def _filtered(request: AuthenticatedHttpRequest, form: QueueFilterForm) -> QuerySet[Inquiry]:
    inquiries = selectors.desk_inquiries(user=request.user)
    f = form.cleaned_data if form.is_valid() else {}
    show = f.get("show") or "owed"
    if show == "owed":
        inquiries = inquiries.filter(status__in=[Status.NEW, Status.OPEN])
    elif show == "waiting":
        inquiries = inquiries.filter(status=Status.WAITING)
    elif show == "done":
        inquiries = inquiries.filter(status__in=[Status.SOLVED, Status.CLOSED])
    if f.get("assignee") == "me":
        inquiries = inquiries.filter(assignee=request.user)
    elif f.get("assignee") == "none":
        inquiries = inquiries.filter(assignee=None)
    if f.get("priority"):
        inquiries = inquiries.filter(priority=f["priority"])
    if f.get("category"):
        inquiries = inquiries.filter(category=f["category"])
    if f.get("q"):
        words = f["q"].strip()
        # The accounts first, by id: the subject's trigram index and the account index then serve
        # the filter and its count (one pass of each), instead of a join compared row by row.
        accounts = list(Account.objects.filter(name__icontains=words).values_list("pk", flat=True)[:ACCOUNTS_FOUND])
        inquiries = inquiries.filter(Q(subject__icontains=words) | Q(account_id__in=accounts))
    return selectors.by_deadline(inquiries)


@desk_required
def queue(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The inquiries owed a reply, the nearest deadline first, with filters and assignment of many."""
    form = QueueFilterForm(request.GET)
    page = Paginator(_filtered(request, form), QUEUE_PAGE).get_page(request.GET.get("page"))
    rows = [(inquiry, selectors.urgency(inquiry)) for inquiry in page.object_list]
    kept = request.GET.copy()
    kept.pop("page", None)
    context = {
        "form": form,
        "page": page,
        "rows": rows,
        "people": _people(),
        "query": kept.urlencode(),
    }
    return render(request, "support/queue.html", context)


@require_POST
@desk_required
def assign(request: AuthenticatedHttpRequest) -> HttpResponseBase:
    """Give the ticked inquiries to someone (or nobody), from the queue or a thread."""
    people = list(selectors.desk_people())
    form = AssignForm(request.POST, people=_people(people))
    back = safe_next_url(request, request.POST.get("next"), "/support/desk/")
    if not form.is_valid():
        return render(request, "support/assign_refused.html", {"form": form, "back": back}, status=400)
    inquiries = list(selectors.desk_inquiries(user=request.user).filter(pk__in=form.cleaned_data["inquiries"]))
    if len(inquiries) != len(form.cleaned_data["inquiries"]):
        form.add_error("inquiries", _("Choose inquiries from the queue."))
        return render(request, "support/assign_refused.html", {"form": form, "back": back}, status=400)
    assignee = next((p for p in people if p.pk == form.cleaned_data["assignee"]), None)
    try:
        services.inquiry_assign(inquiries=inquiries, assignee=assignee, by=request.user)
    except ValidationError as error:
        form.add_error("assignee", error.messages[0])
        return render(request, "support/assign_refused.html", {"form": form, "back": back}, status=400)
    return redirect(back)


@desk_required
def inquiry(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """A thread as the desk sees it: notes included; reply, note, status and assignee."""
    found = selectors.desk_inquiry(user=request.user, pk=pk)
    form = DeskReplyForm()
    if request.method == "POST":
        form = DeskReplyForm(request.POST, request.FILES)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.inquiry_reply(
                    inquiry=found, by=request.user, body=data["body"], internal=data["internal"],
                    status=None if data["internal"] else data["status"] or None, attachments=data["attachments"],
                )  # fmt: skip
            except ValidationError as error:
                form.add_error(None, error)
            else:
                return redirect("support:desk_inquiry", pk=found.pk)
    context = {
        "inquiry": found,
        "messages_": selectors.thread(inquiry=found, staff=True),
        "urgency": selectors.urgency(found),
        "form": form,
        "status_form": DeskStatusForm(initial={"status": found.status}),
        "assign_form": AssignForm(people=_people(), initial={"assignee": found.assignee_id}),
        "changes": list(found.changes.select_related("actor").order_by("occurred_at", "id")),
    }
    return render(request, "support/desk_inquiry.html", context)


@require_POST
@desk_required
def status(request: AuthenticatedHttpRequest, pk: int) -> HttpResponseBase:
    found = selectors.desk_inquiry(user=request.user, pk=pk)
    form = DeskStatusForm(request.POST)
    if form.is_valid():
        try:
            services.inquiry_set_status(inquiry=found, status=form.cleaned_data["status"], by=request.user)
        except ValidationError as error:
            form.add_error("status", error.messages[0])
    if not form.is_valid() or form.errors:
        context = {"form": form, "back": f"/support/desk/{found.pk}/"}
        return render(request, "support/assign_refused.html", context, status=400)
    return redirect("support:desk_inquiry", pk=found.pk)
