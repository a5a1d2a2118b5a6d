"""Contacts from a CSV file (a CRM's contacts export): the people of each account, invited to Kachi.

Each row names its account (by external ID, else domain, else name, as ``portal.imports`` finds
accounts), an e-mail address and, optionally, a role (customer admin or member; member if left out).
A contact becomes an invitation to the account, e-mailed only if the import says so (``options``:
``send_invitations``); the person becomes a member when they accept it, as with every invitation.

A row whose person is already a member of the account, or already invited to it, is unchanged,
unless its role differs and the role's rule says to overwrite: then the member's (or invitation's)
role changes. A person with a login for another organisation is an error, as when inviting by hand.

Rolling back withdraws the invitations the import made that are still open, and gives roles back,
except where they changed since (or where the member is the account's last customer admin now).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from portal import imports
from portal.imports import ACCOUNT_ALIASES, ACCOUNT_FIELDS, ACCOUNT_KEYS, NO_ACCOUNT_KEY, Late, ParsedFile, Plan
from portal.models import Account, AccountImport, ImportChange, Invitation, Membership, User
from portal.services import LastAdminError, invitation_create, invitation_revoke, membership_set_role

KIND = AccountImport.Kind.CONTACTS.value
SEND_INVITATIONS = "send_invitations"

FIELDS: dict[str, Any] = {
    **ACCOUNT_FIELDS,
    "email": gettext_lazy("E-mail address"),
    "role": gettext_lazy("Role"),
}
ALIASES = imports.aliases_of(
    {
        **ACCOUNT_ALIASES,
        "email": (
            "メールアドレス",
            "メール",
            "eメール",
            "電子メール",
            "担当者メールアドレス",
            "email",
            "e-mail",
            "email address",
            "e-mail address",
            "contact email",
        ),
        "role": ("役割", "権限", "ロール", "role", "contact role", "kachi role"),
    }
)

_ROLES = {
    **dict.fromkeys(
        ("customer_admin", "admin", "administrator", "customer admin", "管理者", "顧客管理者", "責任者"),
        Membership.Role.ADMIN.value,
    ),
    **dict.fromkeys(
        ("customer_member", "member", "user", "customer member", "メンバー", "一般", "ユーザー", "利用者"),
        Membership.Role.MEMBER.value,
    ),
}
MEMBERSHIP, INVITATION = "membership", "invitation"


def _read(name: str, raw: str) -> Any:
    key = imports.account_key_value(name, raw)
    if key is not None:
        return key
    if name == "email":
        email = unicodedata.normalize("NFKC", raw).strip().lower()
        try:
            validate_email(email)
        except ValidationError:
            raise ValueError(_("Not an e-mail address: “%(value)s”.") % {"value": raw}) from None
        return email
    role = _ROLES.get(unicodedata.normalize("NFKC", raw).strip().casefold())
    if role is None:
        raise ValueError(_("No role “%(value)s” (write admin or member).") % {"value": raw})
    return role


def _plan(
    *,
    parsed: ParsedFile,
    mapping: Sequence[str],
    rules: dict[str, str],
    options: dict[str, Any],
    progress: Callable[[int], None] | None = None,
) -> Plan:
    finder = imports.account_finder()
    # Everyone with a login, by address: (a removed customer, who may be invited again; their
    # account, membership and role).
    people: dict[str, tuple[bool, int | None, int | None, str]] = {}
    rows = User.objects.values_list(
        "email", "role", "is_active", "membership__pk", "membership__account_id", "membership__role"
    )
    for email, role, is_active, membership_id, account_id, membership_role in rows.iterator(chunk_size=5000):
        removed = role == User.Role.CUSTOMER and not is_active and membership_id is None
        people[email.lower()] = (removed, account_id, membership_id, membership_role or "")
    invited = {
        (account_id, email.lower()): (pk, role)
        for pk, account_id, email, role in Invitation.objects.filter(accepted_at=None, revoked_at=None).values_list(
            "pk", "account_id", "email", "role"
        )
    }
    overwrite_role = rules.get("role", imports.ALWAYS) == imports.ALWAYS
    seen: dict[tuple[int, str], int] = {}

    def plan_row(line: int, index: int, values: dict[str, Any], result: Plan) -> tuple[str, str] | None:
        account_id = finder.find(values)
        if account_id is None:
            return imports.no_account(values)
        email = values.get("email")
        if not email:
            return "email", _("The row has no e-mail address.")
        if (account_id, email) in seen:
            return "email", _("The same contact is on line %(line)s already.") % {"line": seen[account_id, email]}
        seen[account_id, email] = line
        role = values.get("role")
        person = people.get(email)
        if person is not None and not person[0]:
            _removed, member_of, membership_id, current = person
            if member_of != account_id or membership_id is None:
                return "email", _("This e-mail address already has a Kachi login for another organisation.")
            if role and role != current and overwrite_role:
                result.counts.updated += 1
                result.updates.append((index, (MEMBERSHIP, membership_id, account_id), {"role": (current, role)}))
            else:
                result.counts.unchanged += 1
            return None
        invitation = invited.get((account_id, email))
        if invitation is not None:
            invitation_id, current = invitation
            if role and role != current and overwrite_role:
                result.counts.updated += 1
                result.updates.append((index, (INVITATION, invitation_id, account_id), {"role": (current, role)}))
            else:
                result.counts.unchanged += 1
            return None
        result.counts.new += 1
        result.creates.append(
            (index, {"account_id": account_id, "email": email, "role": role or Membership.Role.MEMBER.value})
        )
        return None

    return imports.plan_rows(
        parsed=parsed, mapping=mapping, fields=FIELDS, read=_read, plan_row=plan_row, progress=progress
    )


def _write(
    account_import: AccountImport, creates: list[tuple[int, Any]], updates: list[tuple[int, Any, Any]]
) -> list[Late]:
    by = account_import.created_by
    if by is None or not by.is_active:
        raise ValidationError(_("The person who uploaded this file can no longer import it."))
    send = bool(account_import.options.get(SEND_INVITATIONS))
    ids = {values["account_id"] for _index, values in creates} | {target[2] for _index, target, _c in updates}
    accounts = Account.objects.in_bulk(ids)
    late: list[Late] = []
    changes: list[ImportChange] = []
    for index, values in creates:
        account = accounts.get(values["account_id"])
        if account is None:
            late.append(Late(index, "new", "account_name", _("The account has been deleted.")))
            continue
        try:
            with transaction.atomic():
                invitation = invitation_create(
                    account=account, email=values["email"], role=values["role"], invited_by=by, send=send
                ).invitation
        except ValidationError as error:
            late.append(Late(index, "new", "email", " ".join(error.messages)))
            continue
        changes.append(
            ImportChange(
                account_import=account_import, account=account, object_id=invitation.pk, created=True,
                after={"email": invitation.email, "role": invitation.role, "on": INVITATION},
            )
        )  # fmt: skip
    for index, (target, pk, account_id), field_changes in updates:
        old, new = field_changes["role"]
        done = _set_role(target=target, pk=pk, role=new, expected=old, by=by)
        if done is not True:
            late.append(Late(index, "updated", "role", done or ""))
            continue
        changes.append(
            ImportChange(
                account_import=account_import, account_id=account_id, object_id=pk,
                before={"role": old, "on": target}, after={"role": new, "on": target},
            )
        )  # fmt: skip
    ImportChange.objects.bulk_create(changes, batch_size=1000)
    return late


def _set_role(*, target: str, pk: int, role: str, expected: str, by: User) -> bool | str:
    """Give a member or an open invitation ``role`` if it still has ``expected``: True when done, ""
    when it has changed since (nothing to do), or why it could not."""
    if target == INVITATION:
        changed = Invitation.objects.filter(pk=pk, role=expected, accepted_at=None, revoked_at=None).update(role=role)
        return True if changed else ""
    membership = Membership.objects.select_related("account", "user").filter(pk=pk, role=expected).first()
    if membership is None:
        return ""
    try:
        with transaction.atomic():
            membership_set_role(membership=membership, role=role, by=by)
    except LastAdminError as error:
        return " ".join(error.messages)
    return True


def _roll_back(account_import: AccountImport, changes: list[ImportChange], result: imports.RollbackResult) -> None:
    by = account_import.created_by
    for change in changes:
        if change.object_id is None:
            continue
        if change.created:
            invitation = Invitation.objects.select_related("account").filter(pk=change.object_id).first()
            if invitation is None or invitation.accepted_at is not None or invitation.revoked_at is not None:
                result.kept += 1  # accepted (the person is a member now) or withdrawn since
            elif by is not None and by.is_active:
                invitation_revoke(invitation=invitation, by=by)
                result.deleted += 1
            else:
                Invitation.objects.filter(pk=invitation.pk).update(revoked_at=timezone.now())
                result.deleted += 1
            continue
        target = change.after.get("on", MEMBERSHIP)
        if by is None or not by.is_active:
            result.kept += 1
            continue
        done = _set_role(
            target=target, pk=change.object_id, role=change.before["role"], expected=change.after["role"], by=by
        )
        if done is True:
            result.restored += 1
        else:
            result.kept += 1


imports.register(
    imports.ImportKind(
        name=KIND,
        fields=FIELDS,
        aliases=ALIASES,
        required=((ACCOUNT_KEYS, NO_ACCOUNT_KEY), (("email",), gettext_lazy("Map a column to the e-mail address."))),
        rule_fields=("role",),
        plan=_plan,
        write=_write,
        roll_back=_roll_back,
        intro=gettext_lazy(
            "The people of your accounts, from your CRM's contacts: each row names its account (external ID, "
            "domain or name), an e-mail address and a role (admin or member). Each becomes an invitation to "
            "the account, e-mailed only if you choose so; people already members are left as they are."
        ),
    )
)
