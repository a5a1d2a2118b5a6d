"""Importing a CSV file of accounts, contacts, value records or past milestones through the API, for
admins as on the pages (``portal/import_views.py``): upload the file, correct the mapping and rules
and queue the dry run, read its counts and error file, run the import, roll it back within
``imports.ROLLBACK_DAYS``. The work is ``portal.imports``'; these views read the request and answer.

Every import needs ``accounts:write``; one of value records also ``value:write``, and one of past
milestones ``journeys:write`` (``KIND_SCOPES``). A token without it is refused the upload, and finds
the imports of that kind as if there were none."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import exceptions, parsers, permissions, serializers, status
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from portal import contact_imports, imports
from portal.api.accounts import PK_MAX
from portal.api.pagination import CursorPage
from portal.api.parsers import JSONParser
from portal.api.schema import ErrorSerializer
from portal.models import AccountImport, ApiScope, ApiToken, User
from portal.tenancy import token_account_id

KIND_SCOPES = {
    AccountImport.Kind.ACCOUNTS: ApiScope.ACCOUNTS_WRITE,
    AccountImport.Kind.CONTACTS: ApiScope.ACCOUNTS_WRITE,
    AccountImport.Kind.VALUE_RECORDS: ApiScope.VALUE_WRITE,
    AccountImport.Kind.ACHIEVEMENTS: ApiScope.JOURNEYS_WRITE,
}
KIND_CHOICES = list(AccountImport.Kind.values)
# The fields of every kind (the mapping of an import is checked against its own kind's).
ALL_FIELDS: dict[str, Any] = {}
for _kind in KIND_CHOICES:
    ALL_FIELDS.update(imports.kind_of(_kind).fields)
RULE_FIELDS: dict[str, Any] = {
    name: ALL_FIELDS[name] for _kind in KIND_CHOICES for name in imports.kind_of(_kind).rule_fields
}
COLUMN_CHOICES = ["", *ALL_FIELDS]
RULE_CHOICES = list(imports.RULES)
COUNTS = ("new", "updated", "unchanged", "errors")
UNDONE = ("restored", "deleted", "kept")
STARTED = (
    AccountImport.Status.QUEUED,
    AccountImport.Status.RUNNING,
    AccountImport.Status.DONE,
    AccountImport.Status.FAILED,
    AccountImport.Status.ROLLING_BACK,
    AccountImport.Status.ROLLED_BACK,
)


class ImportAdmins(permissions.BasePermission):
    """Admins, as on the import pages; not with a token restricted to one account (an import may
    touch every account)."""

    def has_permission(self, request: Request, view: object) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.is_admin and token_account_id(user) is None)


class ImportConflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"


@extend_schema_field({"type": "string", "enum": COLUMN_CHOICES})
class ColumnField(serializers.ChoiceField):
    """The field a column goes to (one of the import's kind); "" for a column not imported."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=COLUMN_CHOICES, **kwargs)


@extend_schema_field({"type": "string", "enum": RULE_CHOICES})
class RuleField(serializers.ChoiceField):
    """``always`` overwrites, ``if_empty`` fills an empty field only, ``never`` leaves it as it is."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=RULE_CHOICES, **kwargs)


RULES_SCHEMA = {
    "type": "object",
    "description": "Per field, what the file does to a row that exists (`always` if left out): `always` "
    "overwrites, `if_empty` fills an empty field only, `never` leaves it as it is. Accounts: each of their fields; "
    "contacts: `role`; value records and past milestones: none (a row there already is unchanged).",
    "properties": {name: {"type": "string", "enum": RULE_CHOICES} for name in RULE_FIELDS},
}


@extend_schema_field(RULES_SCHEMA)
class RulesSerializer(serializers.Serializer):
    def get_fields(self) -> dict[str, serializers.Field]:
        return {name: RuleField(required=False, help_text=str(label)) for name, label in RULE_FIELDS.items()}


class CountsSerializer(serializers.Serializer):
    new = serializers.IntegerField()
    updated = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    # DRF's metaclass takes declared fields out of the class: this does not hide ``Serializer.errors``.
    errors = serializers.IntegerField(help_text="Rows in error: see the error file.")  # type: ignore[assignment]


class UndoneSerializer(serializers.Serializer):
    restored = serializers.IntegerField(help_text="Rows given their previous values back (accounts, contacts' roles).")
    deleted = serializers.IntegerField(
        help_text="What the import created, removed: accounts deleted, invitations withdrawn, value records "
        "deleted, milestones revoked."
    )
    kept = serializers.IntegerField(
        help_text="Rows changed since the import (or created by it and in use since): left as they are."
    )


class ProgressSerializer(serializers.Serializer):
    rows_done = serializers.IntegerField()
    total_rows = serializers.IntegerField()


class OptionsSerializer(serializers.Serializer):
    send_invitations = serializers.BooleanField(
        required=False, help_text="Contacts: whether their invitations are e-mailed."
    )


class ImportSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=AccountImport.Kind.choices)
    options = OptionsSerializer()
    file_name = serializers.CharField()
    status = serializers.ChoiceField(choices=AccountImport.Status.choices)
    encoding = serializers.CharField(help_text="As found: `utf-8`, `utf-8-sig`, `utf-16`, `cp932`…")
    delimiter = serializers.CharField(help_text="As found: a comma, a tab or a semicolon.")
    headers = serializers.ListField(child=serializers.CharField(allow_blank=True))
    mapping = serializers.ListField(child=ColumnField(), help_text="The field of each column, in order.")
    rules = RulesSerializer()
    progress = ProgressSerializer(help_text="Of the dry run or the run under way (or the last one).")
    dry_run = CountsSerializer(allow_null=True, help_text="What the run would do; null until the dry run is over.")
    result = CountsSerializer(allow_null=True, help_text="What the run did; null until it is over.")
    rolled_back = UndoneSerializer(allow_null=True, help_text="What the rollback undid; null unless rolled back.")
    failure = serializers.CharField(allow_blank=True, help_text="Why the last dry run or run stopped, if it did.")
    can_roll_back = serializers.BooleanField()
    rollback_until = serializers.DateTimeField(
        allow_null=True, help_text="The end of the rollback window; null before the run is over (or after a rollback)."
    )
    created_by = serializers.EmailField(allow_null=True)
    created_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)
    rolled_back_at = serializers.DateTimeField(allow_null=True)


class UploadedImportSerializer(ImportSerializer):
    preview = serializers.ListField(
        child=serializers.ListField(child=serializers.CharField(allow_blank=True)),
        help_text="The first rows of the file, as wide as its header.",
    )


class UploadSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(
        choices=AccountImport.Kind.choices,
        default=AccountImport.Kind.ACCOUNTS.value,
        help_text="What the file holds: accounts, their contacts, value records or past milestones.",
    )
    file = serializers.FileField(
        allow_empty_file=True,
        help_text="A CSV file (a CRM's export, or a sheet saved as CSV: UTF-8, UTF-16 or CP932); up to 50 MB.",
    )
    send_invitations = serializers.BooleanField(
        default=False, help_text="Contacts: e-mail their invitations (else recorded, to be sent later)."
    )

    def validate_file(self, upload: Any) -> Any:
        if upload.size > imports.MAX_BYTES:
            raise serializers.ValidationError(
                _("The file is larger than 50 MB; split it into smaller files."), code="too_large"
            )
        return upload


class CheckSerializer(serializers.Serializer):
    mapping = serializers.ListField(
        child=ColumnField(),
        required=False,
        max_length=imports.MAX_COLUMNS,
        help_text='The field of each column of the file, in order ("" leaves a column out), of the import\'s kind; '
        "the mapping guessed or last saved if left out.",
    )
    rules = RulesSerializer(required=False, help_text="The rules last saved if left out.")

    def validate_mapping(self, mapping: list[str]) -> list[str]:
        columns = self.context["columns"]
        if len(mapping) != columns:
            raise serializers.ValidationError(
                _('Give one field (or "") for each of the file\'s %(count)s columns.') % {"count": columns},
                code="columns",
            )
        try:
            imports.check_mapping(mapping, self.context["kind"])
        except DjangoValidationError as error:
            raise serializers.ValidationError(error.messages, code=error.code) from None
        return mapping


class CSVRenderer(BaseRenderer):
    """Lets a caller ask for ``text/csv`` (the error file); the view writes the body itself."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None) -> Any:
        return data


def _counts(values: dict[str, Any], keys: tuple[str, ...]) -> dict[str, int] | None:
    return {key: values.get(key, 0) for key in keys} if keys[0] in values else None


def import_data(account_import: AccountImport, *, now: datetime | None = None) -> dict[str, Any]:
    """An import as the API shows it."""
    until = imports.rollback_until(account_import)
    kind = imports.kind_of(account_import.kind)
    options = account_import.options if account_import.kind == contact_imports.KIND else {}
    return {
        "id": account_import.pk,
        "kind": kind.name,
        "options": {name: bool(options.get(name)) for name in (contact_imports.SEND_INVITATIONS,) if name in options},
        "file_name": account_import.file_name,
        "status": account_import.status,
        "encoding": account_import.encoding,
        "delimiter": account_import.delimiter,
        "headers": account_import.headers,
        "mapping": account_import.mapping,
        "rules": {name: account_import.rules.get(name, imports.ALWAYS) for name in kind.rule_fields},
        "progress": {"rows_done": account_import.rows_done, "total_rows": account_import.total_rows},
        "dry_run": _counts(account_import.checked, COUNTS),
        "result": _counts(account_import.result, COUNTS),
        "rolled_back": _counts(account_import.result, UNDONE),
        "failure": account_import.failure,
        "can_roll_back": imports.can_roll_back(account_import, now=now),
        "rollback_until": until,
        "created_by": account_import.created_by.email if account_import.created_by else None,
        "created_at": account_import.created_at,
        "finished_at": account_import.finished_at,
        "rolled_back_at": account_import.rolled_back_at,
    }


def _user(request: Request) -> User:
    assert isinstance(request.user, User)
    return request.user


def _kind_allowed(request: Request, kind: str) -> bool:
    """Whether the caller's token (if it is one) has the scope imports of ``kind`` need."""
    token = request.auth
    return not isinstance(token, ApiToken) or token.allows(KIND_SCOPES[AccountImport.Kind(kind)])


def _kinds_allowed(request: Request) -> list[str]:
    return [kind for kind in KIND_CHOICES if _kind_allowed(request, kind)]


def _import_or_404(request: Request, pk: int, *, with_file: bool = False) -> AccountImport:
    """The import; a missing one, or one of a kind the token may not import, answers 404."""
    account_import = imports.import_get(pk=pk, with_file=with_file) if pk <= PK_MAX else None
    if account_import is None or not _kind_allowed(request, account_import.kind):
        raise Http404
    return account_import


def _valid(serializer: serializers.Serializer) -> dict[str, Any]:
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


IMPORT_MISSING = OpenApiResponse(ErrorSerializer, description="No such import.")
PERMISSIONS = [*APIView.permission_classes, ImportAdmins]
EVERY_METHOD = {"GET": ApiScope.ACCOUNTS_WRITE, "POST": ApiScope.ACCOUNTS_WRITE}


class ImportQuery(serializers.Serializer):
    kind = serializers.ChoiceField(
        choices=AccountImport.Kind.choices, required=False, help_text="Only imports of this kind."
    )


class ImportListView(APIView):
    """The imports, newest first by cursor; and the upload of a file to import."""

    permission_classes = PERMISSIONS
    scopes = EVERY_METHOD
    pagination_class = CursorPage
    # A file comes as multipart; a JSON body holds no file, and is answered with the field's error.
    parser_classes = [parsers.MultiPartParser, JSONParser]

    @extend_schema(parameters=[ImportQuery], responses={200: ImportSerializer(many=True)})
    def get(self, request: Request) -> Response:
        kind = _valid(ImportQuery(data=request.query_params)).get("kind")
        allowed = _kinds_allowed(request)
        found = imports.imports_recent().filter(kind__in=[kind] if kind in allowed else [] if kind else allowed)
        paginator = CursorPage()
        page = paginator.paginate_queryset(found, request, view=self)
        assert page is not None  # a page size is set: there is always a page
        now = timezone.now()
        return paginator.get_paginated_response(
            ImportSerializer([import_data(item, now=now) for item in page], many=True).data
        )

    @extend_schema(request={"multipart/form-data": UploadSerializer}, responses={201: UploadedImportSerializer})
    def post(self, request: Request) -> Response:
        """Upload a CSV file: its encoding and delimiter are found, its columns mapped from their
        headers (Japanese or English; the mapping last saved for the same header and kind if there is
        one). ``kind`` says what the file holds (accounts if left out); value records also need the
        token's ``value:write``, past milestones its ``journeys:write`` (403 without).
        Nothing is imported yet: check the mapping, then ask for the dry run (``check``). A file that
        cannot be read, is empty, has a header only or is over 50 MB: a field error on ``file``."""
        data = _valid(UploadSerializer(data=request.data))
        upload, kind = data["file"], data["kind"]
        if not _kind_allowed(request, kind):
            raise exceptions.PermissionDenied(
                detail=exceptions.ErrorDetail(
                    _("This token does not have the scope this needs: %(scope)s.")
                    % {"scope": KIND_SCOPES[AccountImport.Kind(kind)]},
                    code="insufficient_scope",
                )
            )
        options = {}
        if kind == contact_imports.KIND:
            options[contact_imports.SEND_INVITATIONS] = data["send_invitations"]
        try:
            account_import = imports.import_create(
                file_name=upload.name or "", data=upload.read(), by=_user(request), kind=kind, options=options
            )
        except imports.ImportFileError as error:
            raise serializers.ValidationError({"file": error.messages}, code=error.code) from None
        data = {**import_data(account_import), "preview": imports.import_preview(account_import)}
        return Response(UploadedImportSerializer(data).data, status=status.HTTP_201_CREATED)


class ImportDetailView(APIView):
    """One import: its status, the progress of its dry run or run, the counts, its rollback."""

    permission_classes = PERMISSIONS
    scopes = {"GET": ApiScope.ACCOUNTS_WRITE}

    @extend_schema(responses={200: ImportSerializer, 404: IMPORT_MISSING})
    def get(self, request: Request, pk: int) -> Response:
        return Response(ImportSerializer(import_data(_import_or_404(request, pk))).data)


STARTED_ALREADY = OpenApiResponse(
    ErrorSerializer,
    description="The import has started (`started`), or is not checked yet (`not_checked`); or a request with the "
    "same `Idempotency-Key` is still being processed (`idempotency_key_in_use`).",
)


class ImportCheckView(APIView):
    permission_classes = PERMISSIONS
    scopes = {"POST": ApiScope.ACCOUNTS_WRITE}
    parser_classes = [JSONParser]

    @extend_schema(
        request=CheckSerializer,
        responses={202: ImportSerializer, 404: IMPORT_MISSING, 409: STARTED_ALREADY},
    )
    def post(self, request: Request, pk: int) -> Response:
        """Save the mapping and the rules and queue the dry run (202): it goes through every row and
        writes nothing; its counts come in ``dry_run`` of the import once its status is ``checked``.
        A mapping must find accounts (a column mapped to the name, the external ID or the domain) and
        map no field twice. Once the import has started (409 ``started``) its mapping no longer
        changes."""
        account_import = _import_or_404(request, pk)
        if account_import.status not in (AccountImport.Status.UPLOADED, AccountImport.Status.CHECKED):
            raise ImportConflict(_("This import has started: its mapping can no longer change."), code="started")
        context = {"columns": len(account_import.headers), "kind": account_import.kind}
        data = _valid(CheckSerializer(data=request.data, context=context))
        imports.import_request_check(
            account_import=account_import,
            mapping=data.get("mapping", account_import.mapping),
            rules=data.get("rules", account_import.rules),
        )
        account_import.refresh_from_db()
        return Response(ImportSerializer(import_data(account_import)).data, status=status.HTTP_202_ACCEPTED)


class ImportErrorsView(APIView):
    permission_classes = PERMISSIONS
    scopes = {"GET": ApiScope.ACCOUNTS_WRITE}
    renderer_classes = [JSONRenderer, CSVRenderer]

    @extend_schema(
        responses={
            (200, "text/csv"): OpenApiResponse(
                OpenApiTypes.STR,
                description="UTF-8 with its BOM: each row in error as it was in the file, then its line, the "
                "column at fault and what is wrong.",
            ),
            404: IMPORT_MISSING,
            409: OpenApiResponse(ErrorSerializer, description="The dry run has not been made yet (`not_checked`)."),
        }
    )
    def get(self, request: Request, pk: int) -> HttpResponse:
        """The rows in error (of the run once made, else of the dry run) as a CSV file to correct and
        upload again: just the header when no row is in error."""
        account_import = _import_or_404(request, pk, with_file=True)
        if not account_import.checked and not account_import.result:
            raise ImportConflict(_("The dry run has not been made yet: there is no error file."), code="not_checked")
        body = account_import.errors_csv or imports.error_file(headers=account_import.headers, errors=[])
        response = HttpResponse(body, content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="import-{account_import.pk}-errors.csv"'
        return response


class ImportRunView(APIView):
    permission_classes = PERMISSIONS
    scopes = {"POST": ApiScope.ACCOUNTS_WRITE}
    parser_classes = [JSONParser]

    @extend_schema(request=None, responses={202: ImportSerializer, 404: IMPORT_MISSING, 409: STARTED_ALREADY})
    def post(self, request: Request, pk: int) -> Response:
        """Run a checked import (202): it writes in batches (``progress``), its counts come in
        ``result`` once its status is ``done``. Only once, and only after the dry run (409)."""
        account_import = _import_or_404(request, pk)
        if not imports.import_start(account_import=account_import):
            account_import.refresh_from_db(fields=["status"])
            if account_import.status in STARTED:
                raise ImportConflict(_("This import has started already."), code="started")
            raise ImportConflict(_("Run the dry run first: only a checked import can be run."), code="not_checked")
        account_import.refresh_from_db()
        return Response(ImportSerializer(import_data(account_import)).data, status=status.HTTP_202_ACCEPTED)


class ImportRollbackView(APIView):
    permission_classes = PERMISSIONS
    scopes = {"POST": ApiScope.ACCOUNTS_WRITE}
    parser_classes = [JSONParser]

    @extend_schema(
        request=None,
        responses={
            202: ImportSerializer,
            404: IMPORT_MISSING,
            409: OpenApiResponse(
                ErrorSerializer,
                description="Not run, rolled back already, or past the rollback window (`too_late`); or a request "
                "with the same `Idempotency-Key` is still being processed (`idempotency_key_in_use`).",
            ),
        },
    )
    def post(self, request: Request, pk: int) -> Response:
        """Undo a run within its rollback window, in the worker as a large import takes longer to undo
        than a request may (202; the import's ``status`` becomes ``rolled_back`` and ``rolled_back``
        says what was undone): the accounts it created are deleted, those it changed get their
        previous values back, but for any changed since (or created by it and in use since: members,
        journeys…), which are kept as they are."""
        account_import = _import_or_404(request, pk)
        try:
            imports.import_request_rollback(account_import=account_import)
        except DjangoValidationError as error:
            raise ImportConflict(" ".join(error.messages), code=error.code or "too_late") from None
        account_import.refresh_from_db()
        return Response(ImportSerializer(import_data(account_import)).data, status=status.HTTP_202_ACCEPTED)
