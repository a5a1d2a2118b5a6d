"""The CS manager's pages: the portfolio (with its CSV export), the account page, and its actions on
notes and the success plan."""

from __future__ import annotations

from collections.abc import Callable

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from journeys.onboarding import selectors as onboarding_selectors
from journeys.onboarding.forms import JourneyStartForm, ValueRecordForm
from journeys.onboarding.views import checklist_context
from journeys.reports import rollup
from journeys.reports import selectors as reports_selectors
from journeys.reports.risk import RISK_ORDER, Risk
from journeys.workspace import portfolio as portfolio_selectors
from journeys.workspace import services as workspace
from journeys.workspace.forms import GoalForm, NoteForm
from journeys.workspace.models import AccountNote, SuccessGoal
from journeys.workspace.timeline import DEFAULT_DAYS as TIMELINE_DAYS
from journeys.workspace.timeline import account_timeline
from portal import selectors
from portal.access import AuthenticatedHttpRequest, staff_required
from portal.exports import csv_response
from portal.forms import InvitationForm
from portal.models import Account, MilestoneKind, Segment, User
from portal.tenancy import get_visible_account, scope_to_user
from portal.views import PAGE_SIZE, invite_from_form
from portal.web import query_text
from support import selectors as support_selectors

# The risk filter: worst first, as the rule orders them.
PORTFOLIO_RISKS = [
    (risk.value, risk.label)
    for risk in sorted(Risk, key=lambda risk: RISK_ORDER[risk.value])
    if risk != Risk.NO_JOURNEY
]
PORTFOLIO_SORTS = [
    ("risk", gettext_lazy("Most at risk")),
    ("name", gettext_lazy("Name")),
    ("progress", gettext_lazy("Progress")),
    ("started", gettext_lazy("Longest on the way")),
    ("first_value", gettext_lazy("Expected first value")),
    ("activity", gettext_lazy("Least recent activity")),
]


@staff_required
def portfolio(request: AuthenticatedHttpRequest) -> HttpResponseBase:
    """A CS manager's accounts with where each stands. An admin can look at any CS manager's portfolio."""
    csm: User | None = request.user
    csms: list[User] = []
    if request.user.is_admin:
        csms = list(selectors.csm_list())
        chosen = request.GET.get("csm", "")
        csm = next((c for c in csms if str(c.pk) == chosen), None)
    filters = {name: query_text(request, name) for name in ("segment", "status", "risk", "milestone", "q")}
    sort = request.GET.get("sort", "risk")
    figures = None
    if csm is not None:
        figures = portfolio_selectors.portfolio(
            accounts=selectors.account_list(user=request.user, csm_id=csm.pk),
            segment=filters["segment"],
            status=filters["status"],
            risk=filters["risk"],
            milestone=filters["milestone"],
            search=filters["q"],
            sort=sort,
            curves=rollup.first_value_curves(),
        )
        if request.GET.get("format") == "csv":
            return _portfolio_csv(figures)
    params = request.GET.copy()
    params.pop("page", None)
    return render(
        request,
        "portal/portfolio.html",
        {
            "csm": csm,
            "csms": csms,
            "figures": figures,
            "page": Paginator(figures.rows if figures else [], PAGE_SIZE).get_page(request.GET.get("page")),
            "filters": filters,
            "sort": sort,
            "segments": Segment.objects.order_by("position", "name"),
            "statuses": Account.Status.choices,
            "risks": PORTFOLIO_RISKS,
            "sorts": PORTFOLIO_SORTS,
            "kinds": MilestoneKind.choices,
            "query": params.urlencode(),
        },
    )


def _portfolio_csv(figures: portfolio_selectors.Portfolio) -> HttpResponseBase:
    header = [
        "account", "segment", "status", "risk", "progress_percent", "current_step", "days_since_start",
        "first_value_days", "first_value_reached", "first_value_target_days", "open_overdue", "last_activity",
        *[f"milestone:{kind}" for kind in MilestoneKind.values],
    ]  # fmt: skip
    lines = []
    for row in figures.rows:
        by_kind: dict[str, str] = {}
        for chip in row.chips:
            by_kind.setdefault(chip.kind, chip.status)
        lines.append(
            [row.account.slug, row.account.segment.name, row.account.status, row.risk, row.percent, row.current_step,
             "" if row.days_since_start is None else row.days_since_start,
             "" if row.first_value_days is None else f"{row.first_value_days:.1f}",
             "1" if row.first_value_reached else "0",
             "" if row.first_value_target is None else row.first_value_target, row.open_overdue,
             row.last_activity.isoformat() if row.last_activity else "",
             *[by_kind.get(kind, "") for kind in MilestoneKind.values]]
        )  # fmt: skip
    return csv_response(filename=f"kachi-portfolio-{timezone.localdate():%Y%m%d}.csv", header=header, rows=lines)


@staff_required
def account_detail(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    """The account at a glance with its checklist; the other panels load on their own (``account_panel``),
    except the contacts after a refused invitation, shown here with the form's errors."""
    account = get_visible_account(user=request.user, slug=slug)
    form = InvitationForm(request.POST or None)
    if request.method == "POST" and invite_from_form(request, form, account):
        return redirect("account_detail", slug=account.slug)
    journey = onboarding_selectors.account_journey(account=account)
    context: dict[str, object] = {
        "account": account,
        "days_since_start": max((timezone.now() - account.contract_start).days, 0),
        "note_form": NoteForm(),
        "panels": {name: reverse(f"account_panel_{name}", args=[account.slug]) for name in ACCOUNT_PANELS},
    }
    if form.is_bound:
        context.update(_contacts_panel(account, form))
    if journey is None:
        context["start_form"] = JourneyStartForm(playbooks=onboarding_selectors.startable_playbooks(account=account))
    else:
        journey.account = account  # with its segment and CS manager, loaded already
        context.update(checklist_context(request, journey))
    return render(request, "portal/account_detail.html", context)


def _timeline_panel(account: Account) -> dict[str, object]:
    return {"timeline": account_timeline(account=account), "timeline_days": TIMELINE_DAYS}


def _contacts_panel(account: Account, form: InvitationForm | None = None) -> dict[str, object]:
    return {
        "contacts": selectors.account_members(account=account),
        "invitations": selectors.account_open_invitations(account=account),
        "form": form or InvitationForm(),
    }


def _support_panel(account: Account) -> dict[str, object]:
    return {"inquiries": support_selectors.account_inquiries(account=account)}


def _value_panel(account: Account) -> dict[str, object]:
    return {"value_summary": onboarding_selectors.account_value(account=account), "value_form": ValueRecordForm()}


def _plan_panel(account: Account) -> dict[str, object]:
    return {"goals": list(account.success_goals.all()), "goal_form": GoalForm(), "editable": True}


def _forecast_panel(account: Account) -> dict[str, object]:
    return {"forecast": reports_selectors.account_forecast(account=account)}


# The account page's panels that load after it, by name: what each shows and the template of it.
ACCOUNT_PANELS: dict[str, tuple[Callable[[Account], dict[str, object]], str]] = {
    "timeline": (_timeline_panel, "journeys/_timeline.html"),
    "plan": (_plan_panel, "journeys/_success_plan.html"),
    "support": (_support_panel, "portal/_account_support.html"),
    "contacts": (_contacts_panel, "portal/_account_contacts.html"),
    "value": (_value_panel, "portal/_account_value.html"),
    "forecast": (_forecast_panel, "journeys/reports/_account_forecast.html"),
}


@require_GET
@staff_required
@vary_on_headers("HX-Request")
def account_panel(request: AuthenticatedHttpRequest, slug: str, panel: str) -> HttpResponse:
    """One panel of the account page, as the page loads it (htmx), or on a page of its own to follow
    its link without JavaScript. The same access as the page: another's account is a missing one."""
    account = get_visible_account(user=request.user, slug=slug)
    build, template = ACCOUNT_PANELS[panel]
    context = {"account": account, **build(account)}
    if request.htmx:
        return render(request, template, context)
    return render(request, "portal/account_panel.html", {**context, "panel_template": template})


def _errors(form: forms.Form, error: ValidationError | None = None) -> str:
    texts = [str(m) for ms in form.errors.values() for m in ms]
    if error is not None:
        texts += error.messages
    return " ".join(texts)


@require_POST
@staff_required
def note_add(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    account = get_visible_account(user=request.user, slug=slug)
    form = NoteForm(request.POST)
    if form.is_valid():
        try:
            workspace.note_add(account=account, body=form.cleaned_data["body"], by=request.user)
        except ValidationError as error:
            messages.error(request, _errors(form, error))
        else:
            messages.success(request, _("Note saved."))
    else:
        messages.error(request, _errors(form))
    return redirect(f"/accounts/{account.slug}/#notes")


@staff_required
def note_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Its author corrects a note; the earlier wordings stay listed under it. A note on an account the
    person does not look after is as missing as one that does not exist; another person's note is 403."""
    notes = scope_to_user(AccountNote.objects.select_related("account", "author"), user=request.user)
    note = get_object_or_404(notes, pk=pk)
    if note.author_id != request.user.pk:
        raise PermissionDenied
    form = NoteForm(request.POST or None, initial={"body": note.body})
    if request.method == "POST" and form.is_valid():
        try:
            workspace.note_edit(note=note, body=form.cleaned_data["body"], by=request.user)
        except ValidationError as error:
            for field, errors in error.message_dict.items():
                for message in errors:
                    form.add_error(field if field in form.fields else None, message)
        else:
            messages.success(request, _("Note corrected."))
            return redirect(f"/accounts/{note.account.slug}/#note-{note.pk}")
    return render(
        request,
        "journeys/note_edit.html",
        {"note": note, "account": note.account, "form": form, "revisions": list(note.revisions.all())},
    )


@require_POST
@staff_required
def goal_add(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    account = get_visible_account(user=request.user, slug=slug)
    form = GoalForm(request.POST)
    if form.is_valid():
        try:
            workspace.goal_add(account=account, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            messages.error(request, _errors(form, error))
        else:
            messages.success(request, _("Goal added to the success plan."))
    else:
        messages.error(request, _errors(form))
    return redirect(f"/accounts/{account.slug}/#success-plan")


@require_POST
@staff_required
def goal_status(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    goals = scope_to_user(SuccessGoal.objects.select_related("account"), user=request.user, account_field="account")
    goal = get_object_or_404(goals, pk=pk)
    try:
        workspace.goal_set_status(goal=goal, status=request.POST.get("status", ""), by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect(f"/accounts/{goal.account.slug}/#success-plan")
