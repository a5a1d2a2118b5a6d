"""The CSV import of accounts through the API (``portal/api/imports.py``): upload, dry run, run, the
error file and the rollback, for admins only, with field errors (never a 500) for hostile files and
mappings, and the list's queries."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, TestCase
from django.utils import timezone

from portal import imports
from portal.models import Account, AccountImport, ApiScope, ImportChange, User
from portal.tokens import token_create
from tests.conftest import World
from tests.factories import SegmentFactory
from tests.portal.test_imports import EXCEL_JA, HUBSPOT, snapshot
from tests.queries import assert_same_queries, capture_queries

pytestmark = pytest.mark.django_db

LIST = "/api/v1/imports/"
EXCEL_MAPPING = [
    "external_id", "name", "domain", "segment", "plan", "contract_start", "investment_amount", "csm",
]  # fmt: skip
ALWAYS = dict.fromkeys(imports.FIELDS, imports.ALWAYS)


def bearer(user: User, *, scopes=(ApiScope.ACCOUNTS_WRITE,), account=None) -> Client:
    raw = token_create(owner=user, name="crm", scopes=list(scopes), account=account)[1]
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


def session(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def url(pk: int, action: str = "") -> str:
    return f"{LIST}{pk}/{action + '/' if action else ''}"


def post_json(client: Client, path: str, body: object = None):
    return client.post(path, json.dumps(body if body is not None else {}), content_type="application/json")


def upload(client: Client, data: bytes, name: str = "export.csv"):
    return client.post(LIST, {"file": SimpleUploadedFile(name, data, content_type="text/csv")})


def check(client: Client, pk: int, body: object = None):
    with TestCase.captureOnCommitCallbacks(execute=True):  # the dry run, in the worker
        return post_json(client, url(pk, "check"), body)


def run(client: Client, pk: int):
    with TestCase.captureOnCommitCallbacks(execute=True):  # the run, in the worker
        return post_json(client, url(pk, "run"))


def roll_back(client: Client, pk: int):
    with TestCase.captureOnCommitCallbacks(execute=True):  # the rollback, in the worker
        return post_json(client, url(pk, "rollback"))


def imported(client: Client, data: bytes) -> dict:
    """A file through upload, dry run and run; the import as the API shows it afterwards."""
    created = upload(client, data)
    assert created.status_code == 201, created.json()
    pk = created.json()["id"]
    assert check(client, pk).status_code == 202
    assert run(client, pk).status_code == 202
    return client.get(url(pk)).json()


@pytest.fixture
def admin(world: World) -> Client:
    world.admin.language = "en"  # the error file is written in the importer's language
    world.admin.save(update_fields=["language"])
    return bearer(world.admin)


def test_a_japanese_excel_file_goes_through_upload_dry_run_run_and_rollback(world: World, admin: Client) -> None:
    before = snapshot()
    created = upload(admin, EXCEL_JA, "取引先.csv")

    assert created.status_code == 201, created.json()
    body = created.json()
    assert (body["file_name"], body["encoding"], body["delimiter"], body["status"]) == (
        "取引先.csv", "cp932", ",", "uploaded",
    )  # fmt: skip
    assert body["headers"][:2] == ["取引先ID", "取引先名"]
    assert body["mapping"] == EXCEL_MAPPING
    assert body["rules"] == ALWAYS
    assert body["preview"][0][:2] == ["SF-001", "株式会社アルファ"]
    assert len(body["preview"]) == 3
    assert (body["dry_run"], body["result"], body["can_roll_back"]) == (None, None, False)
    pk = body["id"]

    checking = check(admin, pk, {"mapping": EXCEL_MAPPING, "rules": ALWAYS})

    assert checking.status_code == 202, checking.json()
    detail = admin.get(url(pk)).json()
    assert detail["status"] == "checked"
    assert detail["dry_run"] == {"new": 3, "updated": 0, "unchanged": 0, "errors": 0}
    assert detail["progress"]["total_rows"] == 3
    assert snapshot() == before  # the dry run writes nothing
    assert not ImportChange.objects.exists()
    no_errors = admin.get(url(pk, "errors"))
    assert no_errors["Content-Type"] == "text/csv; charset=utf-8"
    header_only = list(csv.reader(io.StringIO(no_errors.content.decode().removeprefix("\ufeff"))))
    assert [row[:8] for row in header_only] == [body["headers"]]  # then the line, column and error

    started = run(admin, pk)

    assert started.status_code == 202, started.json()
    done = admin.get(url(pk)).json()
    assert done["status"] == "done"
    assert done["result"] == {"new": 3, "updated": 0, "unchanged": 0, "errors": 0}
    assert done["progress"] == {"rows_done": 3, "total_rows": 3}
    assert done["can_roll_back"] is True
    finished = datetime.fromisoformat(done["finished_at"])
    assert datetime.fromisoformat(done["rollback_until"]) == finished + timedelta(days=imports.ROLLBACK_DAYS)
    assert Account.objects.get(external_id="SF-001").name == "株式会社アルファ"
    again = run(admin, pk)
    assert (again.status_code, again.json()["code"]) == (409, "started")

    rolled_back = roll_back(admin, pk)

    assert rolled_back.status_code == 202, rolled_back.json()
    undone = admin.get(url(pk)).json()  # the worker's (run at once in tests)
    assert undone["status"] == "rolled_back"
    assert undone["rolled_back"] == {"restored": 0, "deleted": 3, "kept": 0}
    assert snapshot() == before
    twice = roll_back(admin, pk)
    assert (twice.status_code, twice.json()["code"]) == (409, "too_late")


def test_the_same_file_imported_twice_gives_the_same_database(world: World, admin: Client) -> None:
    first = imported(admin, EXCEL_JA)
    assert first["result"] == {"new": 3, "updated": 0, "unchanged": 0, "errors": 0}
    after_first = snapshot()

    second = imported(admin, EXCEL_JA)

    assert second["dry_run"] == second["result"] == {"new": 0, "updated": 0, "unchanged": 3, "errors": 0}
    assert snapshot() == after_first
    assert not ImportChange.objects.filter(account_import_id=second["id"]).exists()


def test_the_error_file_holds_the_rows_in_error(world: World, admin: Client) -> None:
    data = (
        b"Account Name,Segment,Contract start\n"
        b"Good KK,smb,2026-04-01\n"
        b"Bad date KK,smb,someday\n"
        b'=HYPERLINK("x"),nope,2026-04-01\n'
    )
    pk = upload(admin, data).json()["id"]
    assert check(admin, pk).status_code == 202
    assert admin.get(url(pk)).json()["dry_run"] == {"new": 1, "updated": 0, "unchanged": 0, "errors": 2}

    response = admin.get(url(pk, "errors"))

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == f'attachment; filename="import-{pk}-errors.csv"'
    rows = list(csv.reader(io.StringIO(response.content.decode().removeprefix("\ufeff"))))
    assert rows[0] == ["Account Name", "Segment", "Contract start", "Line", "Column", "Error"]
    assert [row[:1] + row[3:5] for row in rows[1:]] == [
        ["Bad date KK", "3", "Contract start"],
        ['\'=HYPERLINK("x")', "4", "Segment"],  # no formula reaches a spreadsheet
    ]


def test_rules_are_applied(world: World, admin: Client) -> None:
    world.account_a.external_id = "A-1"
    world.account_a.save(update_fields=["external_id"])
    pk = upload(admin, b"Account ID,Account Name,Plan\nA-1,Renamed,enterprise\n").json()["id"]
    checking = check(admin, pk, {"rules": {"name": "never", "plan": "if_empty"}})
    assert checking.json()["rules"] == {**ALWAYS, "name": "never", "plan": "if_empty"}
    assert checking.json()["mapping"] == ["external_id", "name", "plan"]  # the one guessed
    assert run(admin, pk).status_code == 202
    world.account_a.refresh_from_db()
    assert (world.account_a.name, world.account_a.plan) == ("Alpha KK", "starter")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"mapping": ["name"]}, "mapping"),  # the file has 8 columns
        ({"mapping": ["segment", "", "", "", "", "", "", ""]}, "mapping"),  # nothing finds the accounts
        ({"mapping": ["name", "name", "", "", "", "", "", ""]}, "mapping"),
        ({"mapping": ["nope", "name", "", "", "", "", "", ""]}, "mapping"),
        ({"mapping": "name"}, "mapping"),
        ({"rules": {"name": "sometimes"}}, "rules"),
        ({"rules": ["always"]}, "rules"),
    ],
)
def test_a_mapping_or_rules_that_cannot_be_used_are_field_errors(
    world: World, admin: Client, body: dict, field: str
) -> None:
    pk = upload(admin, EXCEL_JA).json()["id"]
    response = check(admin, pk, body)
    assert response.status_code == 400
    assert list(response.json()) == [field]
    account_import = AccountImport.objects.get(pk=pk)
    assert (account_import.status, account_import.mapping) == ("uploaded", EXCEL_MAPPING)


def test_run_before_the_dry_run_and_changes_after_the_run_are_refused(world: World, admin: Client) -> None:
    pk = upload(admin, EXCEL_JA).json()["id"]
    early = run(admin, pk)
    assert (early.status_code, early.json()["code"]) == (409, "not_checked")
    early_rollback = post_json(admin, url(pk, "rollback"))
    assert (early_rollback.status_code, early_rollback.json()["code"]) == (409, "too_late")
    not_checked = admin.get(url(pk, "errors"))
    assert (not_checked.status_code, not_checked.json()["code"]) == (409, "not_checked")
    assert check(admin, pk).status_code == 202
    assert run(admin, pk).status_code == 202
    late = check(admin, pk, {"mapping": EXCEL_MAPPING})
    assert (late.status_code, late.json()["code"]) == (409, "started")
    assert Account.objects.filter(external_id="SF-001").exists()


def test_no_rollback_after_seven_days(world: World, admin: Client) -> None:
    pk = imported(admin, EXCEL_JA)["id"]
    AccountImport.objects.filter(pk=pk).update(finished_at=timezone.now() - timedelta(days=8))
    assert admin.get(url(pk)).json()["can_roll_back"] is False
    response = post_json(admin, url(pk, "rollback"))
    assert (response.status_code, response.json()["code"]) == (409, "too_late")
    assert Account.objects.filter(external_id="SF-001").exists()


def test_only_admins_import_and_not_with_a_token_for_one_account(world: World) -> None:
    account_import = imports.import_create(file_name="crm.csv", data=EXCEL_JA, by=world.admin)
    callers = {
        "csm": session(world.csm_a),
        "customer admin": session(world.customer_admin_a),
        "restricted token": bearer(world.admin, account=world.account_a),
    }
    refused = []
    for who, client in callers.items():
        for pk in (account_import.pk, 999999):
            answers = [
                client.get(LIST),
                upload(client, EXCEL_JA),
                client.get(url(pk)),
                client.get(url(pk, "errors")),
                post_json(client, url(pk, "check")),
                post_json(client, url(pk, "run")),
                post_json(client, url(pk, "rollback")),
            ]
            refused += [(who, pk, r.status_code, r.json()["code"]) for r in answers]
    assert {(status, code) for _who, _pk, status, code in refused} == {(403, "permission_denied")}
    assert len(refused) == 42
    assert AccountImport.objects.count() == 1
    assert Client().get(LIST).status_code == 401


def test_a_missing_import_answers_404_whatever_its_id(world: World, admin: Client) -> None:
    answers = [admin.get(url(pk, action)) for pk in (999999, 2**63, 10**30) for action in ("", "errors")] + [
        post_json(admin, url(pk, action)) for pk in (999999, 2**63) for action in ("check", "run", "rollback")
    ]
    bodies = {(r.status_code, json.dumps(r.json())) for r in answers}
    assert len(bodies) == 1  # one answer, whatever the id
    assert answers[0].status_code == 404
    assert answers[0].json()["code"] == "not_found"


@pytest.mark.parametrize(
    "content",
    [
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe",
        b"",
        b"   \r\n",
        b"Account Name,Domain\r\n",
        "取引先名\r\n".encode("cp932"),
    ],
)
def test_hostile_uploads_are_field_errors_on_file(world: World, admin: Client, content: bytes) -> None:
    response = upload(admin, content)
    assert response.status_code == 400
    assert list(response.json()) == ["file"]
    assert not AccountImport.objects.exists()


def test_uploads_without_a_file_or_too_large_are_field_errors(world: World, admin: Client, monkeypatch) -> None:
    assert list(post_json(admin, LIST).json()) == ["file"]
    assert list(post_json(admin, LIST, {"file": "Account Name\nX\n"}).json()) == ["file"]
    assert list(admin.post(LIST, {"other": "x"}).json()) == ["file"]
    monkeypatch.setattr(imports, "MAX_BYTES", 100)
    too_large = upload(admin, b"Account Name\n" + b"x\n" * 100)
    assert too_large.status_code == 400
    assert "50 MB" in too_large.json()["file"][0]
    assert not AccountImport.objects.exists()


def test_a_file_name_with_a_nul_is_kept_without_it(world: World, admin: Client) -> None:
    response = upload(admin, HUBSPOT, "a\x00b.csv")
    assert response.status_code == 201
    assert AccountImport.objects.get().file_name == "ab.csv"


def test_the_list_pages_by_cursor_and_its_queries_do_not_grow(world: World, admin: Client) -> None:
    imports.import_create(file_name="first.csv", data=EXCEL_JA, by=world.admin)
    admin.get("/api/v1/me/")  # the token's first use is recorded once
    with capture_queries() as one:
        page = admin.get(LIST)
    assert [item["file_name"] for item in page.json()["results"]] == ["first.csv"]
    SegmentFactory()
    for number in range(5):
        imports.import_create(file_name=f"more-{number}.csv", data=HUBSPOT, by=world.csm_a)
    with capture_queries() as many:
        page = admin.get(LIST)
    assert len(page.json()["results"]) == 6
    assert_same_queries(one, many)
    small = admin.get(LIST, {"page_size": 4}).json()
    rest = admin.get(small["next"]).json()
    assert [item["file_name"] for item in small["results"] + rest["results"]] == [
        "more-4.csv", "more-3.csv", "more-2.csv", "more-1.csv", "more-0.csv", "first.csv",
    ]  # fmt: skip
    assert small["results"][0]["created_by"] == world.csm_a.email


def test_an_upload_sent_again_with_its_idempotency_key_is_imported_once(world: World, admin: Client) -> None:
    first = admin.post(LIST, {"file": SimpleUploadedFile("a.csv", EXCEL_JA)}, HTTP_IDEMPOTENCY_KEY="upload-1")
    again = admin.post(LIST, {"file": SimpleUploadedFile("a.csv", EXCEL_JA)}, HTTP_IDEMPOTENCY_KEY="upload-1")
    assert (first.status_code, again.status_code) == (201, 201)
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert AccountImport.objects.count() == 1
