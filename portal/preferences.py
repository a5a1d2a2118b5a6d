"""Which automatic e-mails people get: reading and changing their notification preferences,
and the signed unsubscribe links put in every e-mail."""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from portal.models import NotificationPreferences, User

Category = NotificationPreferences.Category
UNSUBSCRIBE_SALT = "kachi.notifications.unsubscribe"
CATEGORY_FIELDS = [c.value for c in Category]
STAFF_ONLY = {Category.ACCOUNT_ALERTS.value, Category.DIGEST.value}


def preferences_get(*, user: User) -> NotificationPreferences:
    """The person's preferences, created with everything on the first time they are needed."""
    found, _created = NotificationPreferences.objects.get_or_create(user=user)
    return found


def users_opted_out(*, user_ids: Iterable[int], category: str) -> set[int]:
    """Of these people, those who turned ``category`` off (one query for any number)."""
    field = Category(category).value
    return set(
        NotificationPreferences.objects.filter(user_id__in=set(user_ids), **{field: False}).values_list(
            "user_id", flat=True
        )
    )


def categories_for(*, user: User) -> list[str]:
    """The categories that concern this person: customers get no account alerts or digests."""
    if user.is_customer:
        return [c for c in CATEGORY_FIELDS if c not in STAFF_ONLY]
    return list(CATEGORY_FIELDS)


@transaction.atomic
def preferences_update(*, user: User, changes: dict[str, object]) -> NotificationPreferences:
    """Store the chosen e-mails (only the fields given) for ``user``."""
    prefs = NotificationPreferences.objects.select_for_update().filter(user=user).first() or preferences_get(user=user)
    allowed = {*CATEGORY_FIELDS, "digest_weekday"}
    fields = [name for name in changes if name in allowed]
    for name in fields:
        setattr(prefs, name, changes[name])
    prefs.updated_at = timezone.now()
    prefs.save(update_fields=[*fields, "updated_at"])
    return prefs


def unsubscribe_token(*, user: User, category: str) -> str:
    return signing.dumps({"u": user.pk, "c": Category(category).value}, salt=UNSUBSCRIBE_SALT, compress=True)


def unsubscribe_url(*, user: User, category: str) -> str:
    return settings.SITE_URL + reverse("unsubscribe", kwargs={"token": unsubscribe_token(user=user, category=category)})


def unsubscribe_target(*, token: str) -> tuple[User, str] | None:
    """The person and category a link stands for, or None for a forged or broken link. Links do not expire:
    an old e-mail's link must still work."""
    try:
        data = signing.loads(token, salt=UNSUBSCRIBE_SALT)
        category = Category(data["c"]).value
        user = User.objects.get(pk=int(data["u"]), is_active=True)
    except (signing.BadSignature, KeyError, TypeError, ValueError, User.DoesNotExist):
        return None
    return user, category


def unsubscribe(*, user: User, category: str) -> NotificationPreferences:
    return preferences_update(user=user, changes={category: False})
