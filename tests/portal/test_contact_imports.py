"""Importing contacts from a CRM's CSV file: rows find their accounts, become invitations (e-mailed
only when asked), leave members as they are unless their role is to change, refuse people of another
organisation; the dry run counts, a second run changes nothing, and the rollback withdraws what is
still open."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import TestCase
from django.urls import reverse
from django.utils import translation

from portal import contact_imports, imports
from portal.models import AccountImport, ImportChange, Invitation, Membership, OutboxMessage
from portal.services import INVITATION_SEND_EMAIL
from tests.conftest import World, signed_in

pytestmark = pytest.mark.django_db

# A Salesforce contacts report saved by Japanese Excel: CP932, the account by its CRM id or name.
CONTACTS_JA = (
    "取引先ID,取引先名,メールアドレス,役割\r\n"
    "SF-A,,new.person@alpha.example,メンバー\r\n"
    ",Beta KK,Lead@Beta.example,管理者\r\n"
    "SF-A,,member@alpha.example,管理者\r\n"  # a member already: role changes by the rule
    "SF-A,,boss@beta.example,メンバー\r\n"  # a login of another organisation
    "SF-X,,nobody@nowhere.example,\r\n"  # no such account
    "SF-A,,not-an-address,\r\n"
    "SF-A,,new.person@alpha.example,\r\n"  # the same contact twice
).encode("cp932")


def upload(world: World, data: bytes, *, send: bool = False) -> AccountImport:
    return imports.import_create(
        file_name="contacts.csv", data=data, by=world.admin, kind=contact_imports.KIND,
        options={contact_imports.SEND_INVITATIONS: send},
    )  # fmt: skip


def run(account_import: AccountImport) -> AccountImport:
    imports.import_check(account_import=account_import)
    with TestCase.captureOnCommitCallbacks(execute=True):
        assert imports.import_start(account_import=account_import)
    account_import.refresh_from_db()
    assert account_import.status == AccountImport.Status.DONE, account_import.failure
    return account_import


@pytest.fixture
def accounts(world: World) -> World:
    world.account_a.external_id = "SF-A"
    world.account_a.save(update_fields=["external_id"])
    world.admin.language = "en"  # the error file is in the language of the person importing
    world.admin.save(update_fields=["language"])
    return world


def test_headers_are_mapped_in_japanese_and_english() -> None:
    assert imports.guess_mapping(["取引先ID", "取引先名", "メールアドレス", "役割"], contact_imports.KIND) == [
        "account_external_id", "account_name", "email", "role",
    ]  # fmt: skip
    assert imports.guess_mapping(["Account ID", "Company", "Email", "Role", "Phone"], contact_imports.KIND) == [
        "account_external_id", "account_name", "email", "role", "",
    ]  # fmt: skip


def test_a_mapping_needs_an_account_and_an_email(world: World) -> None:
    with translation.override("en"), pytest.raises(imports.ValidationError, match="e-mail"):
        imports.check_mapping(["account_name", "role"], contact_imports.KIND)
    with pytest.raises(imports.ValidationError) as refused:
        imports.check_mapping(["email"], contact_imports.KIND)
    assert refused.value.code == "no_key"
    with pytest.raises(imports.ValidationError):
        imports.check_mapping(["name", "email"], contact_imports.KIND)  # an account field: not of this kind


def test_dry_run_counts_and_explains_every_row(accounts: World) -> None:
    account_import = upload(accounts, CONTACTS_JA)
    with translation.override("en"):  # as the worker does for the person importing
        imports.import_check(account_import=account_import)
    account_import.refresh_from_db()
    assert account_import.checked == {"new": 2, "updated": 1, "unchanged": 0, "errors": 4}
    assert not Invitation.objects.exists()  # a dry run writes nothing
    rows = list(csv.reader(io.StringIO(account_import.errors_csv.removeprefix("\ufeff"))))
    assert [row[-3:] for row in rows[1:]] == [
        ["5", "メールアドレス", "This e-mail address already has a Kachi login for another organisation."],
        ["6", "取引先ID", "No account has this external ID."],
        ["7", "メールアドレス", "Not an e-mail address: “not-an-address”."],
        ["8", "メールアドレス", "The same contact is on line 2 already."],
    ]
    assert rows[1][:4] == ["SF-A", "", "boss@beta.example", "メンバー"]  # the row as it was


def test_run_invites_without_e_mail_changes_roles_and_runs_once(accounts: World) -> None:
    account_import = run(upload(accounts, CONTACTS_JA))
    assert account_import.result == {"new": 2, "updated": 1, "unchanged": 0, "errors": 4}
    invited = dict(Invitation.objects.values_list("email", "role"))
    assert invited == {"new.person@alpha.example": "customer_member", "lead@beta.example": "customer_admin"}
    assert Invitation.objects.get(email="lead@beta.example").account == accounts.account_b
    assert Membership.objects.get(user=accounts.customer_a).role == Membership.Role.ADMIN
    assert not OutboxMessage.objects.filter(task=INVITATION_SEND_EMAIL).exists()  # not e-mailed: not asked
    assert ImportChange.objects.filter(account_import=account_import).count() == 3
    # The same file again: everyone is there.
    again = run(upload(accounts, CONTACTS_JA))
    assert again.result == {"new": 0, "updated": 0, "unchanged": 3, "errors": 4}
    assert Invitation.objects.count() == 2


def test_invitations_are_e_mailed_when_asked(accounts: World, mailoutbox) -> None:
    run(upload(accounts, b"Account ID,Email\r\nSF-A,asked@alpha.example\r\n", send=True))
    assert [message.to for message in mailoutbox] == [["asked@alpha.example"]]


def test_the_role_rule_never_leaves_roles_alone(accounts: World) -> None:
    account_import = upload(accounts, CONTACTS_JA)
    imports.import_set_mapping(account_import=account_import, mapping=account_import.mapping, rules={"role": "never"})
    run(account_import)
    assert Membership.objects.get(user=accounts.customer_a).role == Membership.Role.MEMBER
    assert account_import.result["unchanged"] == 1


def test_the_last_customer_admin_is_not_made_a_member(accounts: World) -> None:
    data = "取引先ID,メールアドレス,役割\r\nSF-A,boss@alpha.example,member\r\n".encode()
    account_import = run(upload(accounts, data))
    assert account_import.result == {"new": 0, "updated": 0, "unchanged": 0, "errors": 1}
    assert "only customer admin" in account_import.errors_csv
    assert Membership.objects.get(user=accounts.customer_admin_a).role == Membership.Role.ADMIN


def test_rollback_withdraws_open_invitations_and_gives_roles_back(accounts: World) -> None:
    account_import = run(upload(accounts, CONTACTS_JA))
    # One invitation is withdrawn by hand meanwhile: it is kept as it is.
    Invitation.objects.filter(email="lead@beta.example").update(revoked_at="2026-01-01T00:00:00Z")
    with TestCase.captureOnCommitCallbacks(execute=True):
        imports.import_request_rollback(account_import=account_import)
    account_import.refresh_from_db()
    assert account_import.status == AccountImport.Status.ROLLED_BACK
    assert (account_import.result["deleted"], account_import.result["restored"], account_import.result["kept"]) == (
        1, 1, 1,
    )  # fmt: skip
    assert not Invitation.objects.filter(accepted_at=None, revoked_at=None).exists()
    assert Membership.objects.get(user=accounts.customer_a).role == Membership.Role.MEMBER


def test_the_pages_import_contacts(accounts: World) -> None:
    client = signed_in(accounts.admin)
    page = client.get(reverse("import_list"))
    assert "Contacts" in page.content.decode() or "連絡先" in page.content.decode()
    response = client.post(
        reverse("import_list"),
        {"kind": "contacts", "file": SimpleUploadedFile("contacts.csv", CONTACTS_JA), "send_invitations": ""},
    )
    assert response.status_code == 302
    account_import = AccountImport.objects.get()
    assert account_import.kind == "contacts"
    assert account_import.options == {"send_invitations": False}
    detail = client.get(response["Location"]).content.decode()
    assert 'name="rule_role"' in detail and 'name="rule_plan"' not in detail
    form = {f"column_{i}": name for i, name in enumerate(account_import.mapping)} | {"rule_role": "always"}
    with TestCase.captureOnCommitCallbacks(execute=True):  # the dry run, in the worker
        assert client.post(response["Location"], form).status_code == 302
    account_import.refresh_from_db()
    assert account_import.status == AccountImport.Status.CHECKED
    assert account_import.checked["new"] == 2
    # A mapping of a field of another kind is refused on the page, with the form.
    refused = client.post(response["Location"], {"column_0": "plan", "column_2": "email"})
    assert refused.status_code == 400


def test_a_customer_cannot_open_the_import_pages(accounts: World) -> None:
    account_import = upload(accounts, CONTACTS_JA)
    for user in (accounts.customer_admin_a, accounts.csm_a):
        client = signed_in(user)
        assert client.get(reverse("import_list")).status_code in (403, 404)
        assert client.get(reverse("import_detail", args=[account_import.pk])).status_code in (403, 404)
