"""Journey pages and actions. Every lookup is scoped to the signed-in person's accounts."""

from __future__ import annotations

from typing import cast

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from faq.selectors import step_tutorials
from journeys.onboarding import selectors
from journeys.onboarding.forms import (
    FeedbackForm,
    JourneyStartForm,
    StepAssignForm,
    StepRescheduleForm,
    StepStatusForm,
    ValueRecordCorrectForm,
    ValueRecordDeleteForm,
    ValueRecordForm,
)
from journeys.onboarding.models import Achievement, Journey, StepState, ValueRecord
from journeys.onboarding.services import journeys as services
from journeys.onboarding.services import steps as step_services
from portal.access import AuthenticatedHttpRequest, CustomerHttpRequest, customer_required, staff_required
from portal.models import Account, User
from portal.tenancy import get_visible_account, is_account_admin, scope_to_user
from portal.web import safe_next_url


def _back(request: HttpRequest, fallback: str) -> HttpResponse:
    return redirect(safe_next_url(request, request.POST.get("next"), fallback))


def _add_errors(form: forms.BaseForm, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for name, messages_ in error.message_dict.items():
            for message in messages_:
                form.add_error(name if name in form.fields else None, message)
    else:
        for message in error.messages:
            form.add_error(None, message)


def _visible_state(request: AuthenticatedHttpRequest, pk: int) -> StepState:
    states = StepState.objects.select_related("journey__account__segment", "journey__playbook", "step", "assignee")
    return get_object_or_404(scope_to_user(states, user=request.user, account_field="journey__account"), pk=pk)


def checklist_context(request: AuthenticatedHttpRequest, journey: Journey, **extra: object) -> dict[str, object]:
    checklist = selectors.journey_checklist(journey=journey, viewer=request.user)
    # Each step carries the published tutorials the viewer may read for it, found in one query.
    tutorials = step_tutorials(
        user=request.user,
        playbook_key=journey.playbook_key,
        step_keys=[state.step.key for state in checklist.states],
        language=(get_language() or "ja").split("-")[0],
    )
    for state in checklist.states:
        state.help_articles = tutorials.get(state.step.key, [])
    account = journey.account
    can_assign = is_account_admin(user=request.user, account=account)
    is_staff_view = request.user.is_admin or request.user.is_csm
    return {
        "journey": journey,
        "account": account,
        # Where the checklist's forms come back to: the page, not the URL an htmx action was posted to.
        "checklist_url": reverse("account_detail", args=[account.slug]) if is_staff_view else reverse("customer_home"),
        "checklist": checklist,
        "members": selectors.account_members_for_assignment(account=account) if can_assign else [],
        "can_assign": can_assign,
        "is_staff_view": is_staff_view,
        "step_statuses": StepState.Status.choices,
        **extra,
    }


@customer_required
def checklist(request: CustomerHttpRequest) -> HttpResponse:
    """The customer's home: their onboarding checklist."""
    account = request.account
    journey = selectors.account_journey(account=account)
    context: dict[str, object] = {"account": account, "membership": request.user.membership, "journey": journey}
    if journey is not None:
        journey.account = account  # with its segment and CS manager, loaded already
        context.update(checklist_context(request, journey))
        context["goals"] = list(account.success_goals.all())  # the expectations agreed at the start
    return render(request, "journeys/checklist.html", context)


@require_POST
@login_required
def step_status(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Tick, untick, start, skip or block a step. With htmx, answers the changed parts of the page."""
    state = _visible_state(request, pk)
    form = StepStatusForm(request.POST)
    if not form.is_valid():
        return HttpResponse(_("Choose a valid status."), status=400)
    journey = state.journey
    before = set(journey.achievements.values_list("pk", flat=True))
    error = ""
    try:
        step_services.step_set_status(
            state=state, status=form.cleaned_data["status"], reason=form.cleaned_data["reason"], by=request.user
        )
    except PermissionDenied:
        error = _("Your CS manager takes care of this step.")
    except ValidationError as exc:
        error = " ".join(exc.messages)
    reached = list(journey.achievements.exclude(pk__in=before).select_related("milestone"))
    if not request.htmx:
        if error:
            messages.error(request, error)
        for achievement in reached:
            messages.success(request, _("Milestone reached: %(name)s!") % {"name": achievement.milestone.display_name})
        return _back(request, f"/app/#step-{state.pk}")
    context = checklist_context(request, journey, reached=reached, step_error=error, changed_pk=state.pk)
    return render(request, "journeys/_checklist_update.html", context)


@require_POST
@staff_required
def step_reschedule(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """A CS manager moves an open step's due date (with htmx, the checklist is answered in place)."""
    state = _visible_state(request, pk)
    form = StepRescheduleForm(request.POST)
    error = ""
    if form.is_valid():
        try:
            step_services.step_reschedule(
                state=state, due_on=form.cleaned_data["due_on"], reason=form.cleaned_data["reason"], by=request.user
            )
        except PermissionDenied:
            raise Http404 from None
        except ValidationError as exc:
            error = " ".join(exc.messages)
    else:
        # An ErrorList gives its messages as strings.
        error = " ".join(cast(str, message) for messages_ in form.errors.values() for message in messages_)
    if not request.htmx:
        if error:
            messages.error(request, error)
        return _back(request, f"/accounts/{state.journey.account.slug}/#step-{state.pk}")
    context = checklist_context(request, state.journey, step_error=error, changed_pk=state.pk)
    return render(request, "journeys/_checklist_update.html", context)


@require_POST
@login_required
def step_assign(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    state = _visible_state(request, pk)
    form = StepAssignForm(request.POST, account=state.journey.account)
    if not form.is_valid():
        return HttpResponse(_("Choose a person of this account."), status=400)
    try:
        step_services.step_assign(state=state, assignee=form.cleaned_data["assignee"], by=request.user)
    except PermissionDenied:
        raise Http404 from None
    if request.htmx:
        context = checklist_context(request, state.journey, changed_pk=state.pk)
        return render(request, "journeys/_checklist_update.html", context)
    messages.success(request, _("Step assigned."))
    return _back(request, f"/app/#step-{state.pk}")


@require_POST
@login_required
def feedback(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    achievement = get_object_or_404(
        scope_to_user(Achievement.objects.select_related("milestone"), user=request.user), pk=pk
    )
    form = FeedbackForm(request.POST)
    if form.is_valid():
        try:
            services.feedback_give(
                achievement=achievement,
                user=request.user,
                score=form.cleaned_data["score"],
                comment=form.cleaned_data["comment"],
            )
        except PermissionDenied:
            raise Http404 from None
        messages.success(request, _("Thank you for your feedback."))
    else:
        messages.error(request, _("Choose a score from 1 to 5."))
    return _back(request, "/app/")


def _value_form(request: HttpRequest, account: Account, by: User) -> tuple[ValueRecordForm, bool]:
    """Handle the value form; True when a record was saved."""
    form = ValueRecordForm(request.POST or None)
    if request.method != "POST" or not form.is_valid():
        return form, False
    try:
        services.value_record_create(
            account=account,
            amount=form.cleaned_data["amount"],
            occurred_on=form.cleaned_data["occurred_on"],
            note=form.cleaned_data["note"],
            by=by,
        )
    except ValidationError as error:
        _add_errors(form, error)
        return form, False
    messages.success(request, _("Value recorded."))
    return form, True


@customer_required
def value(request: CustomerHttpRequest) -> HttpResponse:
    """Business value the customer got, against what they invested (ROI)."""
    account = request.account
    can_record = is_account_admin(user=request.user, account=account)
    if request.method == "POST" and not can_record:
        raise PermissionDenied
    form, saved = _value_form(request, account, request.user)
    if saved:
        return redirect("value")
    return render(
        request,
        "journeys/value.html",
        {
            "account": account,
            "summary": selectors.account_value(account=account),
            "form": form,
            "can_record": can_record,
        },
    )


@require_POST
@staff_required
def account_value_create(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    account = get_visible_account(user=request.user, slug=slug)
    form, saved = _value_form(request, account, request.user)
    if not saved:
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, cast(str, error))  # an ErrorList gives its messages as strings
    return redirect("account_detail", slug=account.slug)


# --- Correcting and deleting value records ------------------------------------------
# The customer's admins do it from their Value page, the account's staff from the account page:
# the same pages under each one's address, each record looked up within the account (another
# tenant's record answers 404, like a missing or deleted one).


def _value_record(account: Account, pk: int) -> ValueRecord:
    return get_object_or_404(ValueRecord.objects.select_related("account", "recorded_by"), account=account, pk=pk)


def _value_record_page(
    request: AuthenticatedHttpRequest,
    record: ValueRecord,
    *,
    back: str,
    delete_url: str,
    form: ValueRecordCorrectForm | None = None,
    delete_form: ValueRecordDeleteForm | None = None,
) -> HttpResponse:
    initial = {"amount": record.amount, "occurred_on": record.occurred_on, "note": record.note}
    context = {
        "account": record.account,
        "record": record,
        "history": selectors.value_record_history(record=record),
        "form": form or ValueRecordCorrectForm(initial=initial),
        "delete_form": delete_form or ValueRecordDeleteForm(),
        "back": back,
        "delete_url": delete_url,
    }
    return render(request, "journeys/value_record.html", context)


def _value_record_correct(
    request: AuthenticatedHttpRequest, record: ValueRecord, *, back: str, delete_url: str
) -> HttpResponse:
    if not is_account_admin(user=request.user, account=record.account):
        raise PermissionDenied
    if request.method != "POST":
        return _value_record_page(request, record, back=back, delete_url=delete_url)
    form = ValueRecordCorrectForm(request.POST)
    if form.is_valid():
        try:
            services.value_record_correct(record=record, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("Value record corrected."))
            return redirect(back)
    return _value_record_page(request, record, back=back, delete_url=delete_url, form=form)


def _value_record_delete(
    request: AuthenticatedHttpRequest, record: ValueRecord, *, back: str, delete_url: str
) -> HttpResponse:
    if not is_account_admin(user=request.user, account=record.account):
        raise PermissionDenied
    form = ValueRecordDeleteForm(request.POST)
    if form.is_valid():
        try:
            services.value_record_delete(record=record, reason=form.cleaned_data["reason"], by=request.user)
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("Value record deleted."))
            return redirect(back)
    return _value_record_page(request, record, back=back, delete_url=delete_url, delete_form=form)


@customer_required
def value_record(request: CustomerHttpRequest, pk: int) -> HttpResponse:
    """A customer admin corrects one of their account's value records."""
    record = _value_record(request.account, pk)
    return _value_record_correct(
        request, record, back=reverse("value"), delete_url=reverse("value_record_delete", args=[pk])
    )


@require_POST
@customer_required
def value_record_delete(request: CustomerHttpRequest, pk: int) -> HttpResponse:
    record = _value_record(request.account, pk)
    return _value_record_delete(request, record, back=reverse("value"), delete_url=request.path)


@staff_required
def account_value_record(request: AuthenticatedHttpRequest, slug: str, pk: int) -> HttpResponse:
    """The account's staff correct one of its value records."""
    record = _value_record(get_visible_account(user=request.user, slug=slug), pk)
    back = reverse("account_detail", kwargs={"slug": slug})
    delete_url = reverse("account_value_record_delete", kwargs={"slug": slug, "pk": pk})
    return _value_record_correct(request, record, back=back, delete_url=delete_url)


@require_POST
@staff_required
def account_value_record_delete(request: AuthenticatedHttpRequest, slug: str, pk: int) -> HttpResponse:
    record = _value_record(get_visible_account(user=request.user, slug=slug), pk)
    back = reverse("account_detail", kwargs={"slug": slug})
    return _value_record_delete(request, record, back=back, delete_url=request.path)


@require_POST
@staff_required
def journey_start(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    account = get_visible_account(user=request.user, slug=slug)
    form = JourneyStartForm(request.POST, playbooks=selectors.startable_playbooks(account=account))
    if form.is_valid():
        try:
            services.journey_start(
                account=account,
                playbook=form.cleaned_data["playbook"],
                started_at=form.cleaned_data["started_at"],
                by=request.user,
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("Onboarding journey started."))
    elif "playbook" in form.errors:
        messages.error(request, _("Choose a playbook to start."))
    else:
        messages.error(request, " ".join(str(error) for errors in form.errors.values() for error in errors))
    return redirect("account_detail", slug=account.slug)
