"""The filters of the report pages, and the one check of a period that the pages and the reports API
share."""

from __future__ import annotations

from datetime import date, timedelta

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from portal.models import MilestoneKind

DEFAULT_MONTHS = 12
PERIOD_REVERSED = gettext_noop("The end of the range is before its start.")
# Journey starts are looked for between these days: the previous period of a report, and the clock
# in business days, stay within what dates and the database can hold.
EARLIEST = date(1900, 1, 1)
LATEST = date(2999, 12, 31)
PERIOD_VALIDATORS = [MinValueValidator(EARLIEST), MaxValueValidator(LATEST)]


def period_reversed(start_from: date | None, start_to: date | None) -> bool:
    """Whether a period of journey starts ends before it begins (an open end is never reversed)."""
    return start_from is not None and start_to is not None and start_from > start_to


class ReportFilterForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("Milestone"), choices=MilestoneKind.choices, required=False)
    start_from = forms.DateField(
        label=gettext_lazy("Started from"),
        required=False,
        validators=PERIOD_VALIDATORS,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    start_to = forms.DateField(
        label=gettext_lazy("Started until"),
        required=False,
        validators=PERIOD_VALIDATORS,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    business_days = forms.BooleanField(label=gettext_lazy("Business days"), required=False)
    cohort = forms.ChoiceField(
        label=gettext_lazy("Cohort"),
        choices=[("cohort_month", gettext_lazy("Month")), ("cohort_quarter", gettext_lazy("Quarter"))],
        required=False,
    )

    def clean(self) -> dict:
        data = super().clean() or {}
        today = timezone.localdate()
        data["kind"] = data.get("kind") or MilestoneKind.FIRST_VALUE
        data["start_to"] = data.get("start_to") or today
        data["start_from"] = data.get("start_from") or data["start_to"] - timedelta(days=365 * DEFAULT_MONTHS // 12)
        if period_reversed(data["start_from"], data["start_to"]):
            self.add_error("start_to", _(PERIOD_REVERSED))
        data["cohort"] = data.get("cohort") or "cohort_month"
        return data
