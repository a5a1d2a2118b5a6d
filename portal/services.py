"""Writes for people and tenants. Every function is keyword-only and atomic;
side effects (e-mail) run on commit through Celery."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta
from functools import partial

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from portal.models import Account, Invitation, Membership, User
from portal.tenancy import is_account_admin


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class IssuedInvitation:
    invitation: Invitation
    token: str


@transaction.atomic
def invitation_create(*, account: Account, email: str, role: str, invited_by: User) -> IssuedInvitation:
    """Invite ``email`` to ``account``; the e-mail with the link is sent on commit.

    An open invitation to the same address is replaced, so "send again" is just
    inviting again.
    """
    from portal.tasks import invitation_send_email

    if not is_account_admin(user=invited_by, account=account):
        raise PermissionDenied
    email = User.objects.normalize_email(email).strip().lower()
    if role not in Membership.Role.values:
        raise ValidationError({"role": _("Choose a valid role.")})
    existing = User.objects.filter(email__iexact=email).first()
    if existing is not None:
        if Membership.objects.filter(user=existing, account=account).exists():
            raise ValidationError({"email": _("This person is already a member of the account.")})
        raise ValidationError({"email": _("This e-mail address already has a Kachi login for another organisation.")})

    now = timezone.now()
    Invitation.objects.filter(account=account, email=email, accepted_at=None, revoked_at=None).update(revoked_at=now)
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
    transaction.on_commit(
        partial(invitation_send_email.delay, invitation.pk, token, get_language() or settings.LANGUAGE_CODE)
    )
    return IssuedInvitation(invitation=invitation, token=token)


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
    if User.objects.filter(email__iexact=invitation.email).exists():
        raise ValidationError(_("This e-mail address already has a Kachi login. Sign in instead."))
    user = User(email=invitation.email, name=name.strip(), role=User.Role.CUSTOMER)
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
