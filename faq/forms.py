from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _


class VoteForm(forms.Form):
    helpful = forms.TypedChoiceField(
        label=_("Was this helpful?"),
        choices=[("yes", _("Yes")), ("no", _("No"))],
        coerce=lambda value: value == "yes",
    )
    comment = forms.CharField(
        label=_("Anything we should add or fix? (optional)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")  # the label is a question; no colon after it
        super().__init__(*args, **kwargs)


class SearchForm(forms.Form):
    q = forms.CharField(label=_("Search the help centre"), required=False, max_length=200)
