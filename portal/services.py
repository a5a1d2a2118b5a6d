"""Writes for people and tenants. Every function is keyword-only and atomic;
side effects (e-mail) are recorded in the same transaction and run after it through Celery
(``portal/outbox.py``)."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from portal import outbox, webhooks
from portal.models import Account, Invitation, Membership, MembershipEvent, User, WebhookEvent
from portal.tenancy import is_account_admin, is_account_staff

# The task that e-mails an invitation (``portal/tasks.py`` declares it with this name).
INVITATION_SEND_EMAIL = "portal.tasks.invitation_send_email"


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class IssuedInvitation:
    invitation: Invitation
    token: str


@transaction.atomic
def invitation_create(
    *, account: Account, email: str, role: str, invited_by: User, send: bool = True
) -> IssuedInvitation:
    """Invite ``email`` to ``account``; the e-mail with the link is sent on commit.

    An open invitation to the same address is replaced, so "send again" is just
    inviting again. With ``send=False`` the invitation is recorded without an e-mail (its
    ``email_sent_at`` stays empty): "send again" (``invitation_resend``) mails it later.
    """
    if not is_account_admin(user=invited_by, account=account):
        raise PermissionDenied
    email = User.objects.normalize_email(email).strip().lower()
    if role not in Membership.Role.values:
        raise ValidationError({"role": _("Choose a valid role.")})
    _check_invitable(account=account, email=email)
    now = timezone.now()
    Invitation.objects.filter(account=account, email=email, accepted_at=None, revoked_at=None).update(revoked_at=now)
    return _invitation_issue(account=account, email=email, role=role, invited_by=invited_by, now=now, send=send)


def _check_invitable(*, account: Account, email: str) -> None:
    existing = User.objects.filter(email__iexact=email).first()
    if existing is None or _is_removed_customer(existing):
        return
    if Membership.objects.filter(user=existing, account=account).exists():
        raise ValidationError({"email": _("This person is already a member of the account.")})
    raise ValidationError({"email": _("This e-mail address already has a Kachi login for another organisation.")})


def _is_removed_customer(user: User) -> bool:
    """A customer whose membership was ended: their login is kept for the history they made, switched
    off, and may be invited again."""
    return user.is_customer and not user.is_active and not Membership.objects.filter(user=user).exists()


def _invitation_issue(
    *, account: Account, email: str, role: str, invited_by: User, now: datetime, send: bool = True
) -> IssuedInvitation:
    token = secrets.token_urlsafe(32)
    invitation = Invitation.objects.create(
        account=account,
        email=email,
        role=role,
        token_hash=token_hash(token),
        invited_by=invited_by,
        created_at=now,
        expires_at=now + timedelta(days=settings.INVITATION_VALID_DAYS),
    )
    if send:
        outbox.enqueue(INVITATION_SEND_EMAIL, [invitation.pk, token, get_language() or settings.LANGUAGE_CODE])
    return IssuedInvitation(invitation=invitation, token=token)


@transaction.atomic
def invitation_resend(*, invitation: Invitation, by: User) -> IssuedInvitation:
    """Send a waiting (or expired) invitation again: a new link with a new expiry, e-mailed on commit.

    The old link stops working; it then says it was already used and to ask for a new one.
    """
    account = invitation.account
    if not is_account_admin(user=by, account=account):
        raise PermissionDenied
    locked = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if locked.accepted_at is not None or locked.revoked_at is not None:
        raise ValidationError(_("This invitation was already accepted or withdrawn; it cannot be sent again."))
    _check_invitable(account=account, email=locked.email)
    now = timezone.now()
    locked.revoked_at = now
    locked.save(update_fields=["revoked_at"])
    issued = _invitation_issue(account=account, email=locked.email, role=locked.role, invited_by=by, now=now)
    _record(
        account=account, kind=MembershipEvent.Kind.INVITATION_RESENT, email=locked.email, to_role=locked.role,
        by=by, at=now,
    )  # fmt: skip
    return issued


def invitation_for_token(*, token: str) -> Invitation | None:
    """The invitation a link points to, whatever its state (None for an unknown token)."""
    return Invitation.objects.select_related("account", "invited_by").filter(token_hash=token_hash(token)).first()


@transaction.atomic
def invitation_accept(*, token: str, name: str, password: str) -> User:
    """Create the invited person's login and membership. The link works once, until it expires."""
    invitation = (
        Invitation.objects.select_for_update().select_related("account").filter(token_hash=token_hash(token)).first()
    )
    if invitation is None or not invitation.is_open:
        raise ValidationError(_("This invitation link has expired or was already used. Ask for a new invitation."))
    existing = User.objects.select_for_update().filter(email__iexact=invitation.email).first()
    if existing is not None and not _is_removed_customer(existing):
        raise ValidationError(_("This e-mail address already has a Kachi login. Sign in instead."))
    # A person removed earlier comes back as the same login, so what they did before stays theirs.
    user = existing or User(email=invitation.email, role=User.Role.CUSTOMER)
    user.name = name.strip()
    user.is_active = True
    validate_password(password, user=user)
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError:
        raise ValidationError(_("This e-mail address already has a Kachi login. Sign in instead.")) from None
    Membership.objects.create(user=user, account=invitation.account, role=invitation.role)
    invitation.accepted_at = timezone.now()
    invitation.save(update_fields=["accepted_at"])
    return user


@transaction.atomic
def invitation_revoke(*, invitation: Invitation, by: User) -> None:
    if not is_account_admin(user=by, account=invitation.account):
        raise PermissionDenied
    if invitation.accepted_at is None and invitation.revoked_at is None:
        invitation.revoked_at = timezone.now()
        invitation.save(update_fields=["revoked_at"])
        _record(
            account=invitation.account, kind=MembershipEvent.Kind.INVITATION_WITHDRAWN, email=invitation.email,
            to_role=invitation.role, by=by, at=invitation.revoked_at,
        )  # fmt: skip


# --- Members ----------------------------------------------------------------


class LastAdminError(ValidationError):
    """The change would leave the account without a customer admin."""


def _lock_account_admins(*, account: Account) -> int:
    """Lock the account's row, so two changes to one team run one after the other, and count its
    customer admins under that lock."""
    Account.objects.select_for_update().filter(pk=account.pk).values_list("pk", flat=True).get()
    return Membership.objects.filter(account=account, role=Membership.Role.ADMIN).count()


def _locked_membership(*, membership: Membership) -> Membership:
    try:
        return Membership.objects.select_for_update(of=("self",)).select_related("user").get(pk=membership.pk)
    except Membership.DoesNotExist:
        raise ValidationError(_("This person is no longer a member of the account.")) from None


@transaction.atomic
def membership_remove(*, membership: Membership, by: User) -> MembershipEvent:
    """End ``membership``: the person can no longer sign in or see the account.

    Nothing they did is deleted: their login is kept (switched off) so that step changes, notes and
    values still name them, and they may be invited again. The last customer admin cannot be removed.
    """
    account = membership.account
    if not is_account_admin(user=by, account=account):
        raise PermissionDenied
    admins = _lock_account_admins(account=account)
    membership = _locked_membership(membership=membership)
    person = membership.user
    if membership.is_admin and admins <= 1:
        raise LastAdminError(
            _("%(name)s is the only customer admin of the account. Make someone else a customer admin first.")
            % {"name": person.get_full_name()}
        )
    now = timezone.now()
    event = _record(
        account=account, kind=MembershipEvent.Kind.REMOVED, email=person.email, user=person,
        from_role=membership.role, by=by, at=now,
    )  # fmt: skip
    membership.delete()
    person.is_active = False
    person.save(update_fields=["is_active"])
    return event


@transaction.atomic
def membership_set_role(*, membership: Membership, role: str, by: User) -> MembershipEvent | None:
    """Make a member a customer admin or the other way round (None when the role is already that).

    The last customer admin cannot step down.
    """
    account = membership.account
    if not is_account_admin(user=by, account=account):
        raise PermissionDenied
    if role not in Membership.Role.values:
        raise ValidationError({"role": _("Choose a valid role.")})
    admins = _lock_account_admins(account=account)
    locked = _locked_membership(membership=membership)
    if locked.role == role:
        return None
    if locked.is_admin and admins <= 1:
        raise LastAdminError(
            _("%(name)s is the only customer admin of the account. Make someone else a customer admin first.")
            % {"name": locked.user.get_full_name()}
        )
    event = _record(
        account=account, kind=MembershipEvent.Kind.ROLE_CHANGED, email=locked.user.email, user=locked.user,
        from_role=locked.role, to_role=role, by=by, at=timezone.now(),
    )  # fmt: skip
    locked.role = role
    locked.save(update_fields=["role"])
    membership.role = role
    return event


def _record(
    *,
    account: Account,
    kind: str,
    email: str,
    by: User,
    at: datetime,
    user: User | None = None,
    from_role: str = "",
    to_role: str = "",
) -> MembershipEvent:
    return MembershipEvent.objects.create(
        account=account,
        kind=kind,
        user=user,
        name=user.name if user is not None else "",
        email=email,
        from_role=from_role,
        to_role=to_role,
        actor=by,
        actor_name=by.get_full_name(),
        occurred_at=at,
    )


@transaction.atomic
def user_update_profile(*, user: User, name: str, language: str, time_zone: str) -> User:
    user.name = name.strip()
    user.language = language
    user.time_zone = time_zone
    user.save(update_fields=["name", "language", "time_zone"])
    return user


@transaction.atomic
def user_set_language(*, user: User, language: str) -> None:
    if language in dict(settings.LANGUAGES) and user.language != language:
        user.language = language
        user.save(update_fields=["language"])


# --- Accounts -----------------------------------------------------------------

ACCOUNT_FIELDS = [
    "name",
    "external_id",
    "domain",
    "slug",
    "segment",
    "plan",
    "contract_start",
    "investment_amount",
    "csm",
    "status",
    "churned_at",
]


def account_data(account: Account) -> dict[str, object]:
    """An account as webhook receivers get it."""
    return {
        "id": account.pk,
        "slug": account.slug,
        "name": account.name,
        "external_id": account.external_id,
        "domain": account.domain,
        "segment_id": account.segment_id,
        "plan": account.plan,
        "status": account.status,
        "contract_start": account.contract_start.isoformat() if account.contract_start else None,
        "investment_amount": str(account.investment_amount),
        "csm_id": account.csm_id,
        "churned_at": account.churned_at.isoformat() if account.churned_at else None,
    }


@transaction.atomic
def account_create(*, account: Account) -> Account:
    """Save a new account (validated by its form) and tell the webhooks."""
    account.save()
    webhooks.event_emit(WebhookEvent.ACCOUNT_CREATED, {"account": account_data(account)})
    return account


@transaction.atomic
def account_update(*, account: Account, changed: list[str]) -> Account:
    """Save the changes of an account (validated by its form); the webhooks hear which fields changed."""
    account.save()
    fields = sorted({name for name in changed if name in ACCOUNT_FIELDS})
    if fields:
        webhooks.event_emit(WebhookEvent.ACCOUNT_UPDATED, {"account": account_data(account), "changed": fields})
    return account


API_NON_FIELD: dict[str, str] = {NON_FIELD_ERRORS: "non_field_errors"}
# Paths under /api/v1/accounts/ that a generated slug must not take.
RESERVED_SLUGS = frozenset({"by-external-id"})
SLUG_MAX_LENGTH = 70  # of the base, leaving room for "-<n>" within the column's 80


def account_unique_slug(*, name: str, external_id: str = "", domain: str = "") -> str:
    """A free ASCII slug for a new account: from its name, else its domain or external ID (a
    Japanese name gives none), else ``account``; ``-2``, ``-3``… when taken."""
    base = (slugify(name) or slugify(domain) or slugify(external_id) or "account")[:SLUG_MAX_LENGTH].strip("-")
    base = base or "account"
    taken = set(Account.objects.filter(slug__startswith=base).values_list("slug", flat=True)) | RESERVED_SLUGS
    slug, n = base, 1
    while slug in taken:
        n += 1
        slug = f"{base}-{n}"
    return slug


def _account_apply(*, account: Account, changes: dict[str, Any], by: User) -> list[str]:
    """Set ``changes`` on ``account`` and validate it whole; the names of the fields that changed.

    A CS manager keeps their accounts: handing one to someone else (or to nobody) is for an admin.
    Setting the status to churned without a date churns it now; leaving churned clears the date.
    """
    if "csm" in changes and not by.is_admin and changes["csm"] != by:
        raise ValidationError({"csm": _("Only an admin can hand an account to another CS manager.")})
    changes = dict(changes)
    status = changes.get("status")
    if status == Account.Status.CHURNED and changes.get("churned_at") is None and account.churned_at is None:
        changes["churned_at"] = timezone.now()
    elif status is not None and status != Account.Status.CHURNED and "churned_at" not in changes:
        changes["churned_at"] = None
    changed = []
    for name, value in changes.items():
        if name in ("segment", "csm"):  # by id: an unsaved account has no segment to compare with
            before: object = getattr(account, f"{name}_id")
            after: object = value.pk if value is not None else None
        else:
            before, after = getattr(account, name), value
        if before != after:
            setattr(account, name, value)
            changed.append(name)
    taken = Account.objects.filter(external_id=account.external_id).exclude(pk=account.pk)
    if account.external_id and "external_id" in changed and taken.exists():
        raise ValidationError({"external_id": _("Another account has this external ID.")})
    try:
        account.full_clean()
    except ValidationError as error:
        # Named as the API names errors of no one field.
        errors = error.message_dict
        raise ValidationError({API_NON_FIELD.get(k, k): v for k, v in errors.items()}) from None
    return changed


def _account_saved(*, account: Account, changed: list[str], created: bool) -> Account:
    try:
        with transaction.atomic():
            if created:
                return account_create(account=account)
            return account_update(account=account, changed=changed)
    except IntegrityError:
        # Another request took the slug or the external ID between the check and the save.
        raise ValidationError(_("Another account took this slug or external ID meanwhile; try again.")) from None


@transaction.atomic
def account_create_from_api(*, changes: dict[str, Any], by: User) -> Account:
    """Create an account from an integration's fields (an admin's); the slug is generated when absent."""
    if not by.is_admin:
        raise PermissionDenied
    account = Account(contract_start=timezone.now())
    if not changes.get("slug"):
        changes = {
            **changes,
            "slug": account_unique_slug(
                name=changes.get("name", ""),
                external_id=changes.get("external_id", ""),
                domain=changes.get("domain", ""),
            ),
        }
    changed = _account_apply(account=account, changes=changes, by=by)
    return _account_saved(account=account, changed=changed, created=True)


@transaction.atomic
def account_change(*, account: Account, changes: dict[str, Any], by: User) -> Account:
    """Change some fields of an account (an admin, or the CS manager it is assigned to); the
    webhooks hear which changed, and nothing is saved when none did."""
    if not is_account_staff(user=by, account=account):
        raise PermissionDenied
    locked = Account.objects.select_for_update(of=("self",)).select_related("segment", "csm").get(pk=account.pk)
    changed = _account_apply(account=locked, changes=changes, by=by)
    if not changed:
        return locked
    return _account_saved(account=locked, changed=changed, created=False)


@transaction.atomic
def account_upsert_by_external_id(
    *, external_id: str, changes: dict[str, Any], by: User, only_account_id: int | None = None
) -> tuple[Account, bool]:
    """Create or update the account with ``external_id`` (an admin's; True when created): the same
    call twice leaves the database as the first left it. A caller restricted to one account
    (``only_account_id``) updates only that one and creates none: any other answers
    ``Account.DoesNotExist``, as a missing one does."""
    if not by.is_admin:
        raise PermissionDenied
    changes = {**changes, "external_id": external_id}
    existing = Account.objects.select_for_update().filter(external_id=external_id).first()
    if only_account_id is not None and (existing is None or existing.pk != only_account_id):
        raise Account.DoesNotExist
    if existing is not None:
        return account_change(account=existing, changes=changes, by=by), False
    try:
        return account_create_from_api(changes=changes, by=by), True
    except ValidationError:
        # The same call, made twice at once, created it meanwhile: this one updates it.
        created = Account.objects.select_for_update().filter(external_id=external_id).first()
        if created is None:
            raise
        return account_change(account=created, changes=changes, by=by), False


# --- Contacts (an account's members and invitations, for integrations) ----------------------


@transaction.atomic
def contact_add(*, account: Account, email: str, role: str, by: User, send_invitation: bool = True) -> Invitation:
    """Invite a contact to ``account``: an invitation, e-mailed on commit unless ``send_invitation``
    is false (then recorded only, to be sent later with "send again"). They become a member when
    they accept it (a membership needs a login, which only the person can make)."""
    return invitation_create(account=account, email=email, role=role, invited_by=by, send=send_invitation).invitation
