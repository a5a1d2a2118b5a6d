"""Importing accounts from CSV files: reading real-looking CRM exports, the dry run, the run, its rules,
the error file and the rollback; and the pages, for admins only, never answering 500 to a bad file."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import TestCase
from django.urls import reverse
from django.utils import timezone, translation

from portal import imports
from portal.models import Account, AccountImport, ImportChange, OutboxMessage
from tests.conftest import World, signed_in
from tests.factories import AccountFactory, MembershipFactory, SegmentFactory
from tests.queries import assert_same_queries, capture_queries

pytestmark = pytest.mark.django_db

# Japanese Excel's "CSV (comma delimited)": CP932, CRLF, a Japanese header.
EXCEL_JA = (
    "取引先ID,取引先名,ウェブサイト,セグメント,プラン,契約開始日,投資額,担当CSM\r\n"
    'SF-001,株式会社アルファ,https://www.alpha.example/,SMB,Growth,2026/04/01,"1,200,000",csm-a@kachi.example\r\n'
    "SF-002,ベータ商事,beta.example,smb,business,2026年4月15日,￥500000,\r\n"
    "SF-003,ガンマ工業,gamma.example,SMB,starter,2026-05-01,0,\r\n"
).encode("cp932")

# A HubSpot export: UTF-8 with its BOM, a note with a line break inside quotes, a formula-looking cell.
HUBSPOT = (
    "\ufeffRecord ID,Company name,Company Domain Name,Segment,Close Date,Notes\r\n"
    '101,Delta Inc,delta.example,smb,2026-03-01,"First line\nsecond line"\r\n'
    "102,=cmd|' /C calc'!A0,epsilon.example,smb,2026-03-02,\r\n"
).encode()


def upload(world: World, data: bytes, name: str = "accounts.csv") -> AccountImport:
    return imports.import_create(file_name=name, data=data, by=world.admin)


def checked(world: World, data: bytes) -> AccountImport:
    account_import = upload(world, data)
    imports.import_check(account_import=account_import)
    return account_import


def run(world: World, data: bytes) -> AccountImport:
    account_import = checked(world, data)
    with TestCase.captureOnCommitCallbacks(execute=True):  # eager: the task runs at the commit
        assert imports.import_start(account_import=account_import)
    account_import.refresh_from_db()
    assert account_import.status == AccountImport.Status.DONE, account_import.failure
    return account_import


def snapshot() -> list[tuple]:
    return list(
        Account.objects.order_by("pk").values_list(
            "pk", "name", "slug", "external_id", "domain", "segment_id", "plan", "contract_start",
            "investment_amount", "csm_id",
        )
    )  # fmt: skip


def test_a_japanese_excel_file_is_read_and_mapped(world: World) -> None:
    parsed = imports.read_file(EXCEL_JA)
    assert parsed.encoding == "cp932"
    assert parsed.delimiter == ","
    assert parsed.rows[0][1] == "株式会社アルファ"
    assert imports.guess_mapping(parsed.headers) == [
        "external_id", "name", "domain", "segment", "plan", "contract_start", "investment_amount", "csm",
    ]  # fmt: skip


def test_utf8_with_bom_quoted_newlines_and_formula_cells(world: World) -> None:
    parsed = imports.read_file(HUBSPOT)
    assert parsed.encoding == "utf-8-sig"
    assert parsed.headers[0] == "Record ID"
    assert parsed.rows[0][5] == "First line\nsecond line"
    assert imports.guess_mapping(parsed.headers) == ["external_id", "name", "domain", "segment", "contract_start", ""]
    run(world, HUBSPOT)
    formula = Account.objects.get(external_id="102")
    assert formula.name == "=cmd|' /C calc'!A0"  # kept as text
    assert formula.slug  # a slug all the same


def test_tab_and_semicolon_files() -> None:
    for delimiter in ("\t", ";"):
        data = delimiter.join(["Account Name", "Domain", "Segment"]) + "\n" + delimiter.join(["X", "x.example", "smb"])
        assert imports.read_file(data.encode()).delimiter == delimiter


@translation.override("en")
def test_dates_amounts_and_domains() -> None:
    assert str(imports.parse_date("2026年4月1日")) == "2026-04-01"
    assert str(imports.parse_date("2026/04/01 0:00")) == "2026-04-01"
    assert imports.parse_amount("¥1,200,000") == Decimal(1_200_000)
    assert imports.normalise_domain("HTTPS://WWW.Alpha.co.jp/about?x=1") == "alpha.co.jp"
    for bad in ("-5", "1.5", "abc"):
        with pytest.raises(ValueError, match=r"\w"):
            imports.parse_amount(bad)
    with pytest.raises(ValueError, match="date"):
        imports.parse_date("April")


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"", "empty"),
        (b"   \r\n", "empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary"),
        (b"Account Name\n", "no_rows"),
    ],
)
def test_files_that_cannot_be_imported(data: bytes, code: str) -> None:
    with pytest.raises(ValidationError) as raised:
        imports.read_file(data)
    assert raised.value.code == code


def test_a_dry_run_writes_nothing(world: World) -> None:
    before = snapshot()
    account_import = checked(world, EXCEL_JA)
    assert account_import.checked == {"new": 3, "updated": 0, "unchanged": 0, "errors": 0}
    assert snapshot() == before
    assert not ImportChange.objects.exists()
    assert not OutboxMessage.objects.exists()


def test_import_creates_then_a_second_run_changes_nothing(world: World) -> None:
    first = run(world, EXCEL_JA)
    assert first.result == {"new": 3, "updated": 0, "unchanged": 0, "errors": 0}
    alpha = Account.objects.get(external_id="SF-001")
    assert (alpha.name, alpha.domain, alpha.plan, alpha.investment_amount) == (
        "株式会社アルファ", "alpha.example", "growth", Decimal(1_200_000),
    )  # fmt: skip
    assert alpha.csm == world.csm_a
    assert timezone.localtime(alpha.contract_start).date().isoformat() == "2026-04-01"
    assert not alpha.journeys.exists()  # an imported account starts no journey
    after_first = snapshot()

    second = run(world, EXCEL_JA)

    assert second.result == {"new": 0, "updated": 0, "unchanged": 3, "errors": 0}
    assert snapshot() == after_first
    assert not second.changes.exists()


def test_rows_find_accounts_by_external_id_then_domain_then_name(world: World) -> None:
    by_domain = AccountFactory(name="Old name", slug="old", domain="delta.example", segment=world.account_a.segment)
    data = b"Account ID,Account Name,Domain\nX1,Delta renamed,delta.example\nX2,alpha kk,\n"
    result = run(world, data)
    assert result.result["updated"] == 2
    by_domain.refresh_from_db()
    world.account_a.refresh_from_db()
    assert (by_domain.name, by_domain.external_id) == ("Delta renamed", "X1")
    assert (world.account_a.name, world.account_a.external_id) == ("alpha kk", "X2")


def test_per_field_rules(world: World) -> None:
    world.account_a.external_id = "A-1"
    world.account_a.domain = ""
    world.account_a.save()
    account_import = upload(world, b"Account ID,Account Name,Domain,Plan\nA-1,Renamed,alpha.example,enterprise\n")
    rules = {"name": imports.NEVER, "domain": imports.IF_EMPTY, "plan": imports.IF_EMPTY}
    imports.import_set_mapping(account_import=account_import, mapping=account_import.mapping, rules=rules)
    imports.import_check(account_import=account_import)
    with TestCase.captureOnCommitCallbacks(execute=True):
        imports.import_start(account_import=account_import)
    world.account_a.refresh_from_db()
    assert world.account_a.name == "Alpha KK"  # never
    assert world.account_a.domain == "alpha.example"  # was empty
    assert world.account_a.plan == "starter"  # a plan is never "empty"


@translation.override("en")
def test_error_file_holds_the_failed_rows_as_they_were(world: World) -> None:
    data = (
        b"Account Name,Segment,Contract start,Amount\n"
        b"Good KK,smb,2026-04-01,100\n"
        b"Bad date KK,smb,someday,100\n"
        b"No segment KK,,2026-04-01,100\n"
        b'=HYPERLINK("x"),nope,2026-04-01,100\n'
        b"Good KK,smb,2026-04-01,100\n"
    )
    account_import = checked(world, data)
    assert account_import.checked == {"new": 1, "updated": 0, "unchanged": 0, "errors": 4}
    rows = list(csv.reader(io.StringIO(account_import.errors_csv.removeprefix("\ufeff"))))
    assert rows[0] == ["Account Name", "Segment", "Contract start", "Amount", "Line", "Column", "Error"]
    assert [row[:1] + row[4:6] for row in rows[1:]] == [
        ["Bad date KK", "3", "Contract start"],
        ["No segment KK", "4", "Segment"],
        ['\'=HYPERLINK("x")', "5", "Segment"],  # no formula reaches a spreadsheet
        ["Good KK", "6", "Account Name"],  # the same account twice in one file
    ]
    assert rows[4][6] == "The same account is on line 2 already."
    # The corrected file uploads as it is: the extra columns are not imported, the apostrophe goes.
    again = upload(world, account_import.errors_csv.encode())
    assert again.mapping[4:] == ["", "", ""]
    assert imports.text_of('\'=HYPERLINK("x")') == '=HYPERLINK("x")'


def test_rollback_deletes_created_restores_changed_and_keeps_changed_since(world: World) -> None:
    beta = world.account_b
    beta.external_id = "SF-002"
    beta.save()
    gamma = AccountFactory(name="Gamma", slug="gamma", external_id="SF-003", segment=beta.segment)
    before_beta = snapshot()
    account_import = run(world, EXCEL_JA)
    assert account_import.result == {"new": 1, "updated": 2, "unchanged": 0, "errors": 0}
    Account.objects.filter(pk=gamma.pk).update(name="Changed by hand")

    result = imports.import_rollback(account_import=account_import)

    assert (result.deleted, result.restored, result.kept) == (1, 1, 1)
    assert not Account.objects.filter(external_id="SF-001").exists()
    beta.refresh_from_db()
    assert [row for row in snapshot() if row[0] == beta.pk] == [row for row in before_beta if row[0] == beta.pk]
    assert Account.objects.get(pk=gamma.pk).name == "Changed by hand"
    account_import.refresh_from_db()
    assert account_import.status == AccountImport.Status.ROLLED_BACK
    with pytest.raises(ValidationError):
        imports.import_rollback(account_import=account_import)


def test_rollback_keeps_a_created_account_that_has_members_and_ends_after_seven_days(world: World) -> None:
    account_import = run(world, EXCEL_JA)
    MembershipFactory(account=Account.objects.get(external_id="SF-001"))
    with pytest.raises(ValidationError):
        imports.import_rollback(account_import=account_import, now=timezone.now() + timedelta(days=8))
    result = imports.import_rollback(account_import=account_import)
    assert (result.deleted, result.kept) == (2, 1)
    assert Account.objects.filter(external_id="SF-001").exists()


def test_the_pages_walk_through_an_import(world: World) -> None:
    client = signed_in(world.admin)
    response = client.post(reverse("import_list"), {"file": SimpleUploadedFile("export.csv", EXCEL_JA)})
    assert response.status_code == 302
    account_import = AccountImport.objects.get()
    page = client.get(response["Location"])
    assert "株式会社アルファ" in page.content.decode()
    form = {f"column_{i}": name for i, name in enumerate(account_import.mapping)} | {
        f"rule_{name}": imports.ALWAYS for name in imports.FIELDS
    }
    with TestCase.captureOnCommitCallbacks(execute=True):  # the dry run, in the worker
        assert client.post(reverse("import_detail", args=[account_import.pk]), form).status_code == 302
    assert "Dry run" in client.get(reverse("import_detail", args=[account_import.pk])).content.decode()
    assert not Account.objects.filter(external_id="SF-001").exists()
    with TestCase.captureOnCommitCallbacks(execute=True):
        assert client.post(reverse("import_run", args=[account_import.pk])).status_code == 302
    done = client.get(reverse("import_detail", args=[account_import.pk])).content.decode()
    assert "Roll back this import" in done
    assert Account.objects.filter(external_id="SF-001").exists()
    with TestCase.captureOnCommitCallbacks(execute=True):  # in the worker
        assert client.post(reverse("import_rollback", args=[account_import.pk])).status_code == 302
    assert not Account.objects.filter(external_id="SF-001").exists()
    assert "3 accounts deleted" in client.get(reverse("import_detail", args=[account_import.pk])).content.decode()


def test_the_progress_of_a_running_import_is_polled(world: World) -> None:
    client = signed_in(world.admin)
    account_import = checked(world, EXCEL_JA)
    AccountImport.objects.filter(pk=account_import.pk).update(status="running", rows_done=1, total_rows=3)
    url = reverse("import_detail", args=[account_import.pk])
    page = client.get(url).content.decode()
    assert 'hx-trigger="every 2s"' in page
    assert "1 of 3 rows" in client.get(url, headers={"HX-Request": "true"}).content.decode()
    AccountImport.objects.filter(pk=account_import.pk).update(status="done", rows_done=3)
    assert client.get(url, headers={"HX-Request": "true"})["HX-Refresh"] == "true"


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"\x00\x01\x02binary\xff",
        b"just one column\nvalue\n",
        b"Name,Name,Name\na,b,c\n",
        b"=cmd|' /C calc'!A0",
    ],
)
def test_hostile_uploads_are_answered_with_the_form(world: World, content: bytes) -> None:
    client = signed_in(world.admin)
    response = client.post(reverse("import_list"), {"file": SimpleUploadedFile("x.csv", content)})
    assert response.status_code in (302, 400)
    if response.status_code == 302:  # readable: its mapping page answers too, and refuses no key
        page = client.get(response["Location"])
        assert page.status_code == 200
        account_import = AccountImport.objects.get()
        bad = client.post(reverse("import_detail", args=[account_import.pk]), {"column_0": "segment"})
        assert bad.status_code == 400
        assert "errorlist" in bad.content.decode()


def test_a_file_past_50_mb_is_refused(world: World, settings) -> None:
    client = signed_in(world.admin)
    big = SimpleUploadedFile("big.csv", b"Account Name\n" + b"x\n" * (imports.MAX_BYTES // 2 + 1))
    response = client.post(reverse("import_list"), {"file": big})
    assert response.status_code == 400
    assert "50 MB" in response.content.decode()
    assert not AccountImport.objects.exists()


def test_the_same_header_reuses_the_mapping_last_saved(world: World) -> None:
    first = upload(world, EXCEL_JA)
    mapping = [*first.mapping[:-1], ""]  # the CS manager column left out
    imports.import_set_mapping(account_import=first, mapping=mapping, rules={})
    assert upload(world, EXCEL_JA).mapping == mapping


def test_imports_list_queries_do_not_grow(world: World) -> None:
    client = signed_in(world.admin)
    upload(world, EXCEL_JA)
    with capture_queries() as one:
        assert client.get(reverse("import_list")).status_code == 200
    SegmentFactory()
    for _ in range(5):
        upload(world, HUBSPOT)
    with capture_queries() as many:
        assert client.get(reverse("import_list")).status_code == 200
    assert_same_queries(one, many)


def test_two_companies_of_the_same_name_are_two_accounts(world: World) -> None:
    data = b"Account ID,Account Name,Segment,Contract start\nN-1,Sato KK,smb,2026-04-01\nN-2,Sato KK,smb,2026-04-01\n"
    assert run(world, data).result == {"new": 2, "updated": 0, "unchanged": 0, "errors": 0}
    assert Account.objects.filter(name="Sato KK").count() == 2


@translation.override("en")
def test_two_rows_that_find_the_same_account_are_refused_the_second_time(world: World) -> None:
    data = b"Account ID,Account Name\nX-1,Alpha KK\nX-2,alpha kk\n"
    account_import = checked(world, data)
    assert account_import.checked == {"new": 0, "updated": 1, "unchanged": 0, "errors": 1}
    assert "line 2" in account_import.errors_csv
