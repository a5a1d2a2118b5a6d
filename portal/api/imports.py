"""Importing accounts from a CRM's CSV file through the API, for admins as on the pages
(``portal/import_views.py``): upload the file, correct the mapping and rules and queue the dry run,
read its counts and error file, run the import, roll it back within ``imports.ROLLBACK_DAYS``. The
work is ``portal.imports``'; these views read the request and answer."""

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

from portal import imports
from portal.api.accounts import PK_MAX
from portal.api.pagination import CursorPage
from portal.api.parsers import JSONParser
from portal.api.schema import ErrorSerializer
from portal.models import AccountImport, ApiScope, User
from portal.tenancy import token_account_id

COLUMN_CHOICES = ["", *imports.FIELDS]
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
    """The account field a column goes to; "" for a column not imported."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=COLUMN_CHOICES, **kwargs)


@extend_schema_field({"type": "string", "enum": RULE_CHOICES})
class RuleField(serializers.ChoiceField):
    """``always`` overwrites, ``if_empty`` fills an empty field only, ``never`` leaves it as it is."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=RULE_CHOICES, **kwargs)


RULES_SCHEMA = {
    "type": "object",
    "description": "Per account field, what the file does to an account that exists (`always` if left out): "
    "`always` overwrites, `if_empty` fills an empty field only, `never` leaves it as it is.",
    "properties": {name: {"type": "string", "enum": RULE_CHOICES} for name in imports.FIELDS},
}


@extend_schema_field(RULES_SCHEMA)
class RulesSerializer(serializers.Serializer):
    def get_fields(self) -> dict[str, serializers.Field]:
        return {name: RuleField(required=False, help_text=str(label)) for name, label in imports.FIELDS.items()}


class CountsSerializer(serializers.Serializer):
    new = serializers.IntegerField()
    updated = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    # DRF's metaclass takes declared fields out of the class: this does not hide ``Serializer.errors``.
    errors = serializers.IntegerField(help_text="Rows in error: see the error file.")  # type: ignore[assignment]


class UndoneSerializer(serializers.Serializer):
    restored = serializers.IntegerField(help_text="Accounts given their previous values back.")
    deleted = serializers.IntegerField(help_text="Accounts the import created, deleted.")
    kept = serializers.IntegerField(
        help_text="Accounts changed since the import (or created by it and in use since): left as they are."
    )


class ProgressSerializer(serializers.Serializer):
    rows_done = serializers.IntegerField()
    total_rows = serializers.IntegerField()


class ImportSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    file_name = serializers.CharField()
    status = serializers.ChoiceField(choices=AccountImport.Status.choices)
    encoding = serializers.CharField(help_text="As found: `utf-8`, `utf-8-sig`, `utf-16`, `cp932`…")
    delimiter = serializers.CharField(help_text="As found: a comma, a tab or a semicolon.")
    headers = serializers.ListField(child=serializers.CharField(allow_blank=True))
    mapping = serializers.ListField(child=ColumnField(), help_text="The account field of each column, in order.")
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
    file = serializers.FileField(
        allow_empty_file=True,
        help_text="A CSV file of accounts (a CRM's export, or a sheet saved as CSV: UTF-8, UTF-16 or CP932); "
        "up to 50 MB.",
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
        help_text='The account field of each column of the file, in order ("" leaves a column out); the mapping '
        "guessed or last saved if left out.",
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
            imports.check_mapping(mapping)
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
    return {
        "id": account_import.pk,
        "file_name": account_import.file_name,
        "status": account_import.status,
        "encoding": account_import.encoding,
        "delimiter": account_import.delimiter,
        "headers": account_import.headers,
        "mapping": account_import.mapping,
        "rules": {name: account_import.rules.get(name, imports.ALWAYS) for name in imports.FIELDS},
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


def _import_or_404(pk: int, *, with_file: bool = False) -> AccountImport:
    account_import = imports.import_get(pk=pk, with_file=with_file) if pk <= PK_MAX else None
    if account_import is None:
        raise Http404
    return account_import


def _valid(serializer: serializers.Serializer) -> dict[str, Any]:
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


IMPORT_MISSING = OpenApiResponse(ErrorSerializer, description="No such import.")
PERMISSIONS = [*APIView.permission_classes, ImportAdmins]
EVERY_METHOD = {"GET": ApiScope.ACCOUNTS_WRITE, "POST": ApiScope.ACCOUNTS_WRITE}


class ImportListView(APIView):
    """The imports of accounts, newest first by cursor; and the upload of a file to import."""

    permission_classes = PERMISSIONS
    scopes = EVERY_METHOD
    pagination_class = CursorPage
    # A file comes as multipart; a JSON body holds no file, and is answered with the field's error.
    parser_classes = [parsers.MultiPartParser, JSONParser]

    @extend_schema(responses={200: ImportSerializer(many=True)})
    def get(self, request: Request) -> Response:
        paginator = CursorPage()
        page = paginator.paginate_queryset(imports.imports_recent(), request, view=self)
        assert page is not None  # a page size is set: there is always a page
        now = timezone.now()
        return paginator.get_paginated_response(
            ImportSerializer([import_data(item, now=now) for item in page], many=True).data
        )

    @extend_schema(request={"multipart/form-data": UploadSerializer}, responses={201: UploadedImportSerializer})
    def post(self, request: Request) -> Response:
        """Upload a CSV file: its encoding and delimiter are found, its columns mapped from their
        headers (Japanese or English; the mapping last saved for the same header if there is one).
        Nothing is imported yet: check the mapping, then ask for the dry run (``check``). A file that
        cannot be read, is empty, has a header only or is over 50 MB: a field error on ``file``."""
        upload = _valid(UploadSerializer(data=request.data))["file"]
        try:
            account_import = imports.import_create(file_name=upload.name or "", data=upload.read(), by=_user(request))
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
        return Response(ImportSerializer(import_data(_import_or_404(pk))).data)


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
        account_import = _import_or_404(pk)
        if account_import.status not in (AccountImport.Status.UPLOADED, AccountImport.Status.CHECKED):
            raise ImportConflict(_("This import has started: its mapping can no longer change."), code="started")
        data = _valid(CheckSerializer(data=request.data, context={"columns": len(account_import.headers)}))
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
        account_import = _import_or_404(pk, with_file=True)
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
        account_import = _import_or_404(pk)
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
        account_import = _import_or_404(pk)
        try:
            imports.import_request_rollback(account_import=account_import)
        except DjangoValidationError as error:
            raise ImportConflict(" ".join(error.messages), code=error.code or "too_late") from None
        account_import.refresh_from_db()
        return Response(ImportSerializer(import_data(account_import)).data, status=status.HTTP_202_ACCEPTED)
