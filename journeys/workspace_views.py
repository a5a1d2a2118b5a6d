"""The CS manager's account page actions: notes and the success plan."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from journeys.models import SuccessGoal
from journeys.services import workspace
from portal.access import staff_required
from portal.tenancy import get_visible_account, scope_to_user


class NoteForm(forms.Form):
    body = forms.CharField(label=gettext_lazy("Note"), max_length=4000, widget=forms.Textarea(attrs={"rows": 3}))


class GoalForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("Goal"), max_length=200)
    measure = forms.CharField(label=gettext_lazy("How we will know"), max_length=300, required=False)
    target_on = forms.DateField(label=gettext_lazy("By"), widget=forms.DateInput(attrs={"type": "date"}))


def _errors(form: forms.Form, error: ValidationError | None = None) -> str:
    texts = [m for ms in form.errors.values() for m in ms]
    if error is not None:
        texts += error.messages
    return " ".join(texts)


@require_POST
@staff_required
def note_add(request: HttpRequest, slug: str) -> HttpResponse:
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


@require_POST
@staff_required
def goal_add(request: HttpRequest, slug: str) -> HttpResponse:
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
def goal_status(request: HttpRequest, pk: int) -> HttpResponse:
    goals = scope_to_user(SuccessGoal.objects.select_related("account"), user=request.user, account_field="account")
    goal = get_object_or_404(goals, pk=pk)
    try:
        workspace.goal_set_status(goal=goal, status=request.POST.get("status", ""), by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect(f"/accounts/{goal.account.slug}/#success-plan")
