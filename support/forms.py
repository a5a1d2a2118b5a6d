"""The forms customers and staff fill in on the desk's pages."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from support.attachments import checked_attachments
from support.models import Category, Inquiry, Priority

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
        # The subject is typed outside the form's element (see support/ask.html), and sent with it.
        self.fields["subject"].widget.attrs.update({"autocomplete": "off", "form": "ask-form"})


class ReplyForm(forms.Form):
    body = forms.CharField(label=_("Your reply"), max_length=20000, widget=forms.Textarea(attrs={"rows": 5}))
    attachments = AttachmentsField(label=_("Attachments"), required=False)


class SolvedForm(forms.Form):
    article = forms.IntegerField(min_value=1, max_value=2**62)


class QueueFilterForm(forms.Form):
    """The queue's filters, from the query string; anything unknown is ignored, never an error."""

    SHOW = [
        ("owed", _("Waiting for our reply")),
        ("waiting", _("Waiting on the customer")),
        ("done", _("Solved or closed")),
        ("all", _("All")),
    ]
    show = forms.ChoiceField(label=_("Show"), choices=SHOW, required=False)
    assignee = forms.ChoiceField(
        label=_("Assignee"),
        choices=[("", _("Anyone")), ("me", _("Me")), ("none", _("Nobody"))],
        required=False,
    )
    priority = forms.ChoiceField(label=_("Priority"), choices=[("", _("Any")), *Priority.choices], required=False)
    category = forms.ModelChoiceField(
        label=_("Category"), queryset=Category.objects.all(), required=False, empty_label=_("Any")
    )
    q = forms.CharField(label=_("Subject or account"), max_length=200, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"].label_from_instance = lambda category: category.display_name  # type: ignore[attr-defined]


class DeskReplyForm(forms.Form):
    body = forms.CharField(label=_("Message"), max_length=20000, widget=forms.Textarea(attrs={"rows": 6}))
    internal = forms.BooleanField(label=_("Internal note (never shown to the customer)"), required=False)
    status = forms.ChoiceField(
        label=_("Then"),
        choices=[("waiting", _("Wait on the customer")), ("open", _("Keep open")), ("solved", _("Mark solved"))],
        initial="waiting",
        required=False,
    )
    attachments = AttachmentsField(label=_("Attachments"), required=False)


class DeskStatusForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"), choices=[(s.value, s.label) for s in Inquiry.Status if s != Inquiry.Status.NEW]
    )


class IdsField(forms.Field):
    """Ids repeated under one name (the queue's checkboxes): at most ``MAX_IDS`` whole numbers."""

    MAX_IDS = 500
    widget = forms.MultipleHiddenInput

    def to_python(self, value: Any) -> list[int]:
        values = value if isinstance(value, (list, tuple)) else [value] if value else []
        if len(values) > self.MAX_IDS:
            raise forms.ValidationError(_("Choose at most %(count)s at once.") % {"count": self.MAX_IDS})
        try:
            ids = sorted({int(str(v)) for v in values})
        except ValueError:
            raise forms.ValidationError(_("Choose inquiries from the list.")) from None
        if any(not 0 < pk < 2**62 for pk in ids):
            raise forms.ValidationError(_("Choose inquiries from the list."))
        return ids

    def validate(self, value: Any) -> None:
        if self.required and not value:
            raise forms.ValidationError(_("Tick the inquiries to assign."), code="required")


class AssignForm(forms.Form):
    """Assign one or many inquiries (``inquiries`` repeated) to someone on the desk, or to nobody."""

    inquiries = IdsField()
    assignee = forms.TypedChoiceField(label=_("Assign to"), coerce=int, empty_value=None, required=False, choices=[])

    def __init__(self, *args: Any, people: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assignee"].choices = [("", _("Nobody")), *people]  # type: ignore[attr-defined]


REPORT_DAYS = 90


class SupportReportForm(forms.Form):
    """The period of the desk's reports (inquiries asked on those days) and the grouping."""

    GROUPS = [
        ("week", _("Week")),
        ("agent", _("Agent")),
        ("account", _("Account")),
        ("segment", _("Segment")),
        ("category", _("Category")),
    ]

    start_from = forms.DateField(
        label=_("Asked from"),
        required=False,
        validators=[MinValueValidator(dt.date(1900, 1, 1)), MaxValueValidator(dt.date(2999, 12, 31))],
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    start_to = forms.DateField(
        label=_("Asked until"),
        required=False,
        # From 1900: the default start is a period before it, which must still be a date.
        validators=[MinValueValidator(dt.date(1900, 1, 1)), MaxValueValidator(dt.date(2999, 12, 31))],
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    group_by = forms.ChoiceField(label=_("Per"), choices=GROUPS, required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        data["start_to"] = data.get("start_to") or timezone.localdate()
        data["start_from"] = data.get("start_from") or data["start_to"] - dt.timedelta(days=REPORT_DAYS)
        if data["start_from"] > data["start_to"]:
            self.add_error("start_to", _("The end of the range is before its start."))
        data["group_by"] = data.get("group_by") or "week"
        return data
