"""The forms customers and staff fill in on the desk's pages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _

from support.attachments import checked_attachments
from support.models import Category, Priority

KEY = r"^[-a-zA-Z0-9_]+$"


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class AttachmentsField(forms.FileField):
    """Several files in one input; each checked by its bytes."""

    widget = MultipleFileInput

    def clean(self, data: Any, initial: Any = None) -> list[tuple[UploadedFile, str]]:
        files = [f for f in (data if isinstance(data, (list, tuple)) else [data]) if f]
        cleaned = [super(AttachmentsField, self).clean(f, initial) for f in files]
        return checked_attachments(cleaned)


class AskForm(forms.Form):
    subject = forms.CharField(label=_("Subject"), max_length=200)
    body = forms.CharField(
        label=_("Your question"),
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("What you are trying to do, what you did, and what happened. Markdown works."),
    )
    category = forms.ModelChoiceField(
        label=_("Category"), queryset=Category.objects.all(), required=False, empty_label=_("Not sure")
    )
    priority = forms.ChoiceField(label=_("Priority"), choices=Priority.choices, initial=Priority.NORMAL)
    attachments = AttachmentsField(
        label=_("Attachments"), required=False, help_text=_("Screenshots, PDF or text files; up to 5, 10 MB each.")
    )
    attempt = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1, max_value=2**62)
    playbook_key = forms.RegexField(regex=KEY, max_length=80, required=False, widget=forms.HiddenInput)
    step_key = forms.RegexField(regex=KEY, max_length=80, required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"].label_from_instance = lambda category: category.display_name  # type: ignore[attr-defined]
        self.fields["subject"].widget.attrs.update({"autocomplete": "off"})


class ReplyForm(forms.Form):
    body = forms.CharField(label=_("Your reply"), max_length=20000, widget=forms.Textarea(attrs={"rows": 5}))
    attachments = AttachmentsField(label=_("Attachments"), required=False)


class SolvedForm(forms.Form):
    article = forms.IntegerField(min_value=1, max_value=2**62)
