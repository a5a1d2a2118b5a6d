"""Importing value records (from a billing system) and past milestones (the history of customers who
reached value before Kachi) from CSV files: the dry run's counts and errors, ROI milestones following
imported value, milestones recorded as imports without notices, a second run changing nothing, the
rollback, and the API's scopes for each kind."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import TestCase
from django.utils import timezone, translation

from journeys.automation.models import Notification
from journeys.onboarding import imports as journey_imports
from journeys.onboarding.models import Achievement, AchievementChange, Milestone, Source, ValueRecord
from journeys.onboarding.services.journeys import value_record_correct
from portal import imports
from portal.models import AccountImport, ApiScope, MilestoneKind
from portal.tokens import token_create
from tests.conftest import World
from tests.factories import MilestoneFactory

pytestmark = pytest.mark.django_db

VALUE_JA = (
    "取引先名,日付,金額,メモ\r\n"
    'Alpha KK,2026/03/01,"￥600,000",3月分の削減効果\r\n'
    "alpha kk,2026年3月15日,700000,\r\n"
    "Beta KK,2026-03-20,0,\r\n"  # not an amount worth recording
    "Gamma KK,2026/03/20,1000,\r\n"  # no such account
    "Alpha KK,2999/01/01,1000,\r\n"  # in the future
).encode("cp932")


def upload(world: World, kind: str, data: bytes) -> AccountImport:
    return imports.import_create(file_name=f"{kind}.csv", data=data, by=world.admin, kind=kind)


def run(account_import: AccountImport) -> AccountImport:
    with translation.override("en"):
        imports.import_check(account_import=account_import)
    with TestCase.captureOnCommitCallbacks(execute=True):
        assert imports.import_start(account_import=account_import)
    account_import.refresh_from_db()
    assert account_import.status == AccountImport.Status.DONE, account_import.failure
    return account_import


def roll_back(account_import: AccountImport) -> AccountImport:
    with TestCase.captureOnCommitCallbacks(execute=True):
        imports.import_request_rollback(account_import=account_import)
    account_import.refresh_from_db()
    assert account_import.status == AccountImport.Status.ROLLED_BACK
    return account_import


@pytest.fixture
def english_admin(world: World) -> World:
    world.admin.language = "en"
    world.admin.save(update_fields=["language"])
    world.account_a.investment_amount = Decimal(1_000_000)
    world.account_a.contract_start = datetime(2026, 1, 5, tzinfo=UTC)
    world.account_a.save(update_fields=["investment_amount", "contract_start"])
    return world


def test_value_headers_are_mapped() -> None:
    assert imports.guess_mapping(["取引先名", "日付", "金額", "メモ"], journey_imports.VALUE_RECORDS) == [
        "account_name", "occurred_on", "amount", "note",
    ]  # fmt: skip
    assert imports.guess_mapping(["Account ID", "Invoice date", "Amount", "Notes"], journey_imports.VALUE_RECORDS) == [
        "account_external_id", "occurred_on", "amount", "note",
    ]  # fmt: skip
    with translation.override("en"), pytest.raises(imports.ValidationError, match="amount"):
        imports.check_mapping(["account_name", "occurred_on"], journey_imports.VALUE_RECORDS)


def test_value_records_import_reaches_roi_once_and_not_twice(english_admin: World, journey_a) -> None:
    world = english_admin
    MilestoneFactory(
        playbook=journey_a.playbook, key="roi", kind=MilestoneKind.ROI, rule=Milestone.Rule.ROI, name="ROI"
    )
    account_import = upload(world, journey_imports.VALUE_RECORDS, VALUE_JA)
    with translation.override("en"):
        imports.import_check(account_import=account_import)
    account_import.refresh_from_db()
    assert account_import.checked == {"new": 2, "updated": 0, "unchanged": 0, "errors": 3}
    assert not ValueRecord.objects.exists()
    assert "The amount must be a whole number of yen, 1 or more" in account_import.errors_csv
    assert "No account has this name." in account_import.errors_csv
    assert "The date cannot be in the future." in account_import.errors_csv

    account_import = run(upload(world, journey_imports.VALUE_RECORDS, VALUE_JA))
    assert account_import.result == {"new": 2, "updated": 0, "unchanged": 0, "errors": 3}
    records = list(ValueRecord.objects.order_by("occurred_on").values_list("amount", "occurred_on", "note"))
    assert records == [
        (Decimal(600_000), date(2026, 3, 1), "3月分の削減効果"),
        (Decimal(700_000), date(2026, 3, 15), ""),
    ]
    assert ValueRecord.objects.filter(recorded_by=world.admin).count() == 2
    # 600,000 + 700,000 reach the 1,000,000 invested on 15 March: the ROI milestone, at that day.
    roi = Achievement.objects.get(journey=journey_a, milestone_key="roi")
    assert timezone.localtime(roi.achieved_at).date() == date(2026, 3, 15)

    again = run(upload(world, journey_imports.VALUE_RECORDS, VALUE_JA))
    assert again.result == {"new": 0, "updated": 0, "unchanged": 2, "errors": 3}
    assert ValueRecord.objects.count() == 2


def test_two_equal_rows_are_two_records(english_admin: World) -> None:
    data = b"Account name,Date,Amount\r\nAlpha KK,2026-03-01,5000\r\nAlpha KK,2026-03-01,5000\r\n"
    assert run(upload(english_admin, journey_imports.VALUE_RECORDS, data)).result["new"] == 2
    assert run(upload(english_admin, journey_imports.VALUE_RECORDS, data)).result["unchanged"] == 2
    assert ValueRecord.objects.count() == 2


def test_value_rollback_deletes_softly_and_keeps_corrected_ones(english_admin: World) -> None:
    world = english_admin
    data = b"Account name,Date,Amount\r\nAlpha KK,2026-03-01,5000\r\nBeta KK,2026-03-02,6000\r\n"
    account_import = run(upload(world, journey_imports.VALUE_RECORDS, data))
    corrected = ValueRecord.objects.get(account=world.account_b)
    value_record_correct(
        record=corrected, amount=Decimal(6500), occurred_on=corrected.occurred_on, note="", reason="typo",
        by=world.admin,
    )  # fmt: skip
    account_import = roll_back(account_import)
    assert (account_import.result["deleted"], account_import.result["kept"]) == (1, 1)
    assert list(ValueRecord.objects.values_list("account_id", "amount")) == [(world.account_b.pk, Decimal(6500))]
    deleted = ValueRecord.with_deleted.get(account=world.account_a)
    assert deleted.deleted_at is not None
    assert deleted.history.get().reason == "The import that recorded it was rolled back."


MILESTONES = (
    "Account name,Milestone key,Reached on,Playbook key\r\n"
    "Alpha KK,first-value,2026-02-01,\r\n"  # reached already by the journey: unchanged
    "Alpha KK,adopted,2026/02/10 09:30,\r\n"  # 09:30 in Tokyo
    "Beta KK,adopted,2026-02-20T10:00:00+00:00,basics\r\n"  # no journey yet: started at the contract start
    "Beta KK,unknown-milestone,2026-02-20,\r\n"
    "Beta KK,adopted,2026-02-21,no-such-playbook\r\n"
    "Alpha KK,adopted,2026-02-11,\r\n"  # the same milestone twice
    "Alpha KK,adopted,2999-01-01,\r\n"  # the future
)


def test_past_milestones_are_recorded_as_imports_without_notices(english_admin: World, journey_a) -> None:
    world = english_admin
    MilestoneFactory(playbook=journey_a.playbook, key="adopted", kind=MilestoneKind.ADOPTION, name="Adopted")
    world.account_b.contract_start = datetime(2026, 1, 10, tzinfo=UTC)
    world.account_b.save(update_fields=["contract_start"])
    notices = Notification.objects.count()
    account_import = run(upload(world, journey_imports.ACHIEVEMENTS, MILESTONES.encode()))
    assert account_import.result == {"new": 2, "updated": 0, "unchanged": 1, "errors": 4}, account_import.errors_csv
    assert "None of this account's playbooks has this milestone." in account_import.errors_csv
    assert "No published playbook has this key." in account_import.errors_csv
    assert "The same milestone is on line 3 already." in account_import.errors_csv
    alpha = Achievement.objects.get(account=world.account_a, milestone_key="adopted")
    assert alpha.source == Source.IMPORT
    assert alpha.achieved_at == datetime(2026, 2, 10, 0, 30, tzinfo=UTC)
    beta = Achievement.objects.get(account=world.account_b, milestone_key="adopted")
    assert beta.achieved_at == datetime(2026, 2, 20, 10, 0, tzinfo=UTC)
    assert beta.journey.started_at == world.account_b.contract_start
    assert Notification.objects.count() == notices  # history, not news

    again = run(upload(world, journey_imports.ACHIEVEMENTS, MILESTONES.encode()))
    assert again.result == {"new": 0, "updated": 0, "unchanged": 3, "errors": 4}

    undone = roll_back(account_import)
    assert (undone.result["deleted"], undone.result["kept"]) == (2, 0)
    assert not Achievement.objects.filter(milestone_key="adopted").exists()
    assert Achievement.with_revoked.filter(milestone_key="adopted", revoked_at__isnull=False).count() == 2
    assert AchievementChange.objects.filter(kind=AchievementChange.Kind.REVOKED).count() == 2
    assert Achievement.objects.filter(journey=journey_a, milestone_key="first-value").exists()  # not the import's


def test_a_milestone_before_its_journey_started_is_an_error(english_admin: World, journey_a) -> None:
    data = "Account name,Milestone key,Reached on\r\nAlpha KK,first-value,2020-01-01\r\n"
    journey_a.achievements.all().delete()
    result = run(upload(english_admin, journey_imports.ACHIEVEMENTS, data.encode())).result
    assert result["errors"] == 1
    assert not Achievement.objects.filter(journey=journey_a).exists()


def test_the_api_asks_each_kind_for_its_scope(english_admin: World, client) -> None:
    world = english_admin
    _token, only_accounts = token_create(owner=world.admin, name="crm", scopes=[ApiScope.ACCOUNTS_WRITE])
    _token, with_value = token_create(
        owner=world.admin, name="billing", scopes=[ApiScope.ACCOUNTS_WRITE, ApiScope.VALUE_WRITE]
    )
    data = b"Account name,Date,Amount\r\nAlpha KK,2026-03-01,5000\r\n"

    def post(token: str, kind: str):
        return client.post(
            "/api/v1/imports/",
            {"kind": kind, "file": SimpleUploadedFile("v.csv", data)},
            headers={"Authorization": f"Bearer {token}"},
        )

    refused = post(only_accounts, journey_imports.VALUE_RECORDS)
    assert refused.status_code == 403
    assert "value:write" in refused.json()["detail"]
    created = post(with_value, journey_imports.VALUE_RECORDS)
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["kind"] == "value_records"
    assert body["mapping"] == ["account_name", "occurred_on", "amount"]
    assert body["rules"] == {}
    pk = body["id"]
    # A token without the kind's scope finds the import as if there were none.
    auth = {"Authorization": f"Bearer {only_accounts}"}
    assert client.get(f"/api/v1/imports/{pk}/", headers=auth).status_code == 404
    assert client.get("/api/v1/imports/", headers=auth).json()["results"] == []
    listed = client.get("/api/v1/imports/?kind=value_records", headers={"Authorization": f"Bearer {with_value}"})
    assert [item["id"] for item in listed.json()["results"]] == [pk]
    # A mapping with a field of another kind is a field error.
    checked = client.post(
        f"/api/v1/imports/{pk}/check/",
        {"mapping": ["name", "occurred_on", "amount"]},
        content_type="application/json",
        headers={"Authorization": f"Bearer {with_value}"},
    )
    assert checked.status_code == 400
    assert list(checked.json()) == ["mapping"]
    assert client.get("/api/v1/imports/?kind=nonsense", headers=auth).status_code == 400


def test_old_value_reaching_roi_tells_no_one(english_admin: World, journey_a) -> None:
    """Value from long ago that reaches ROI records the milestone at that day, and tells no one."""
    world = english_admin
    MilestoneFactory(
        playbook=journey_a.playbook, key="roi", kind=MilestoneKind.ROI, rule=Milestone.Rule.ROI, name="ROI"
    )
    notices = Notification.objects.count()
    day = (timezone.now() - timedelta(days=200)).date()
    data = f"Account name,Date,Amount\r\nAlpha KK,{day.isoformat()},2000000\r\n".encode()
    journey_a.started_at = timezone.now() - timedelta(days=300)
    journey_a.save(update_fields=["started_at"])
    run(upload(world, journey_imports.VALUE_RECORDS, data))
    assert Achievement.objects.filter(journey=journey_a, milestone_key="roi").exists()
    assert Notification.objects.count() == notices
    assert world.account_a.journeys.count() == 1
