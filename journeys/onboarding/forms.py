from __future__ import annotations

import datetime
from typing import Any, cast

from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from journeys.onboarding.models import MilestoneFeedback, Playbook, StepState, ValueRecord
from portal.models import Account, User

# A journey's clock starts no earlier than this, and at most this many days ahead: the steps' due
# dates and the reports' durations stay within what dates can hold.
EARLIEST_START = datetime.datetime(1900, 1, 1, tzinfo=datetime.UTC)
START_AHEAD_DAYS = 366


class StepStatusForm(forms.Form):
    status = forms.ChoiceField(choices=StepState.Status.choices)
    reason = forms.CharField(max_length=500, required=False)


class StepAssignForm(forms.Form):
    """Who takes a step: a person of the step's account, or nobody (empty)."""

    assignee = forms.ModelChoiceField(queryset=User.objects.none(), required=False)

    def __init__(self, *args: Any, account: Account, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = cast("forms.ModelChoiceField[User]", self.fields["assignee"])
        field.queryset = User.objects.filter(membership__account=account)


class StepRescheduleForm(forms.Form):
    due_on = forms.DateField(label=_("New due date"), widget=forms.DateInput(attrs={"type": "date"}))
    reason = forms.CharField(label=_("Why"), max_length=500, required=False)


class ValueRecordForm(forms.ModelForm):
    class Meta:
        model = ValueRecord
        fields = ["amount", "occurred_on", "note"]
        widgets = {"occurred_on": forms.DateInput(attrs={"type": "date"})}
        labels = {"amount": _("Amount (yen)"), "occurred_on": _("Date"), "note": _("What happened")}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["occurred_on"].initial = timezone.localdate()
        self.fields["note"].widget.attrs["placeholder"] = _("e.g. Saved 20 hours of manual reporting in March")

    def clean_occurred_on(self) -> datetime.date:
        day: datetime.date = self.cleaned_data["occurred_on"]
        if day > timezone.localdate():
            raise forms.ValidationError(_("The date cannot be in the future."))
        return day


class ValueRecordCorrectForm(ValueRecordForm):
    """A value record as it should have been, and why it changes (kept in its history)."""

    reason = forms.CharField(label=_("Why the correction"), max_length=500)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["note"].widget.attrs.pop("placeholder", None)


class ValueRecordDeleteForm(forms.Form):
    reason = forms.CharField(label=_("Why it goes"), max_length=500)


class FeedbackForm(forms.ModelForm):
    score = forms.TypedChoiceField(
        label=_("How useful has Kachi been so far?"),
        choices=[(i, str(i)) for i in range(1, 6)],
        coerce=int,
        widget=forms.RadioSelect,
    )

    class Meta:
        model = MilestoneFeedback
        fields = ["score", "comment"]
        widgets = {"comment": forms.Textarea(attrs={"rows": 2})}
        labels = {"comment": _("Anything to add? (optional)")}


class JourneyStartForm(forms.Form):
    playbook = forms.ModelChoiceField(label=_("Playbook"), queryset=Playbook.objects.none())
    started_at = forms.DateTimeField(
        label=_("Clock starts"),
        required=False,
        help_text=_("Leave empty to start from the contract start."),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )

    def __init__(self, *args: Any, playbooks: QuerySet[Playbook] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if playbooks is not None:
            cast("forms.ModelChoiceField[Playbook]", self.fields["playbook"]).queryset = playbooks

    def clean_started_at(self) -> datetime.datetime | None:
        started_at: datetime.datetime | None = self.cleaned_data.get("started_at")
        latest = timezone.now() + datetime.timedelta(days=START_AHEAD_DAYS)
        if started_at is not None and not (EARLIEST_START <= started_at <= latest):
            raise forms.ValidationError(_("Choose a start between 1900 and a year from now."))
        return started_at
