"""Forms of the CS manager's account page: a note, a goal of the success plan."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy


class NoteForm(forms.Form):
    body = forms.CharField(label=gettext_lazy("Note"), max_length=4000, widget=forms.Textarea(attrs={"rows": 3}))


class GoalForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("Goal"), max_length=200)
    measure = forms.CharField(label=gettext_lazy("How we will know"), max_length=300, required=False)
    target_on = forms.DateField(label=gettext_lazy("By"), widget=forms.DateInput(attrs={"type": "date"}))
