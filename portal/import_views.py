"""Importing accounts, contacts, value records or past milestones from a CSV file, for admins:
upload, check the mapping, dry run, run, roll back."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from portal import contact_imports, imports
from portal.access import AuthenticatedHttpRequest, admin_required
from portal.models import AccountImport


class UploadForm(forms.Form):
    kind = forms.ChoiceField(
        label=gettext_lazy("What the file holds"),
        choices=AccountImport.Kind.choices,
        initial=AccountImport.Kind.ACCOUNTS,
        widget=forms.RadioSelect,
        required=False,  # accounts, when left out
    )
    file = forms.FileField(
        label=gettext_lazy("CSV file"),
        help_text=gettext_lazy("An export from your CRM or billing system, or a sheet saved as CSV; up to 50 MB."),
    )
    send_invitations = forms.BooleanField(
        label=gettext_lazy("E-mail the invitations (contacts)"),
        required=False,
        help_text=gettext_lazy(
            "Left unticked, contacts are invited without an e-mail; send it later from the account's people."
        ),
    )

    def clean_kind(self) -> str:
        return str(self.cleaned_data.get("kind") or AccountImport.Kind.ACCOUNTS)

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > imports.MAX_BYTES:
            raise ValidationError(_("The file is larger than 50 MB; split it into smaller files."), code="too_large")
        return upload


class MappingForm(forms.Form):
    """One choice of field per column of the file, then one rule per field."""

    def __init__(
        self,
        *args: Any,
        kind: imports.ImportKind,
        headers: list[str],
        mapping: list[str],
        rules: dict[str, str],
        **kwargs: Any,
    ):
        super().__init__(*args, **kwargs)
        self.kind = kind
        self.headers = headers
        choices = [("", _("(not imported)")), *((name, str(label)) for name, label in kind.fields.items())]
        for index, header in enumerate(headers):
            self.fields[f"column_{index}"] = forms.ChoiceField(
                label=header or _("Column %(number)s") % {"number": index + 1},
                choices=choices,
                required=False,
                initial=mapping[index] if index < len(mapping) else "",
            )
        rule_choices = [(name, str(label)) for name, label in imports.RULES.items()]
        for name in kind.rule_fields:
            self.fields[f"rule_{name}"] = forms.ChoiceField(
                label=kind.fields[name], choices=rule_choices, initial=rules.get(name, imports.ALWAYS), required=False
            )

    @property
    def column_fields(self) -> list[forms.BoundField]:
        return [self[f"column_{index}"] for index in range(len(self.headers))]

    @property
    def rule_fields(self) -> list[forms.BoundField]:
        return [self[f"rule_{name}"] for name in self.kind.rule_fields]

    def mapping(self) -> list[str]:
        return [self.cleaned_data.get(f"column_{index}", "") for index in range(len(self.headers))]

    def rules(self) -> dict[str, str]:
        return {name: self.cleaned_data.get(f"rule_{name}") or imports.ALWAYS for name in self.kind.rule_fields}

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if not self.errors:
            try:
                imports.check_mapping(self.mapping(), self.kind.name)
            except ValidationError as error:
                self.add_error(None, error)
        return cleaned


def mapping_form(account_import: AccountImport, data: Any = None) -> MappingForm:
    return MappingForm(
        data,
        kind=imports.kind_of(account_import.kind),
        headers=list(account_import.headers),
        mapping=list(account_import.mapping),
        rules=account_import.rules,
    )


def _import_or_404(pk: int, *, with_file: bool = False) -> AccountImport:
    found = AccountImport.objects.select_related("created_by")
    if not with_file:
        found = found.defer("data", "errors_csv")
    account_import = found.filter(pk=pk).first()
    if account_import is None:
        raise Http404
    return account_import


@admin_required
def import_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Recent imports, and the form to upload a file."""
    form = UploadForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            upload = form.cleaned_data["file"]
            kind = form.cleaned_data["kind"]
            options = {}
            if kind == contact_imports.KIND:
                options[contact_imports.SEND_INVITATIONS] = form.cleaned_data["send_invitations"]
            try:
                account_import = imports.import_create(
                    file_name=upload.name, data=upload.read(), by=request.user, kind=kind, options=options
                )
            except ValidationError as error:
                form.add_error("file", error)
            else:
                return redirect("import_detail", pk=account_import.pk)
        status = 400
    kinds = [(value, label, imports.kind_of(value).intro) for value, label in AccountImport.Kind.choices]
    context = {"form": form, "imports": imports.imports_list(), "kinds": kinds}
    return render(request, "portal/imports.html", context, status=status)


@admin_required
def import_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """One import as far as it went: the mapping with the first rows (and the dry run once asked),
    the progress of its run, or its result."""
    account_import = _import_or_404(pk, with_file=True)
    editable = account_import.status in (AccountImport.Status.UPLOADED, AccountImport.Status.CHECKED)
    form = mapping_form(account_import, request.POST if request.method == "POST" and editable else None)
    status = 200
    if request.method == "POST":
        if not editable:
            messages.error(request, _("This import has started: its mapping can no longer change."))
            return redirect("import_detail", pk=pk)
        if form.is_valid():
            imports.import_request_check(account_import=account_import, mapping=form.mapping(), rules=form.rules())
            return redirect("import_detail", pk=pk)
        status = 400
    running = account_import.status in (
        AccountImport.Status.CHECKING,
        AccountImport.Status.QUEUED,
        AccountImport.Status.RUNNING,
    )
    if request.htmx and request.method == "GET":
        if running:
            return render(request, "portal/_import_progress.html", {"import": account_import})
        return HttpResponse(headers={"HX-Refresh": "true"})  # finished: the whole page shows the result
    preview: list[list[str]] = []
    if editable:
        rows = imports.import_file(account_import).rows[: imports.PREVIEW_ROWS]
        width = len(account_import.headers)
        preview = [(row + [""] * width)[:width] for row in rows]
    context = {
        "import": account_import,
        "kind": imports.kind_of(account_import.kind),
        "form": form,
        "editable": editable,
        "running": running,
        "preview": preview,
        "can_roll_back": imports.can_roll_back(account_import),
        "rollback_days": imports.ROLLBACK_DAYS,
    }
    return render(request, "portal/import_detail.html", context, status=status)


@require_POST
@admin_required
def import_run(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    account_import = _import_or_404(pk)
    if not imports.import_start(account_import=account_import):
        messages.error(request, _("Run the dry run first: only a checked import can be run."))
    return redirect("import_detail", pk=pk)


@admin_required
def import_errors(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The rows in error, to correct and upload again."""
    account_import = _import_or_404(pk, with_file=True)
    response = HttpResponse(account_import.errors_csv, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="import-{account_import.pk}-errors.csv"'
    return response


@require_POST
@admin_required
def import_rollback(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    account_import = _import_or_404(pk)
    try:
        imports.import_request_rollback(account_import=account_import)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect("import_detail", pk=pk)
