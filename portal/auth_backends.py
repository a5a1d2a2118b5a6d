"""How a signed-in person is read back on each request."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend

from portal.models import User


class AccountModelBackend(ModelBackend):
    """Django's backend, but a customer's membership, account, segment and CS manager come with the
    person in the query every request runs anyway (a LEFT JOIN; staff simply have none)."""

    def get_user(self, user_id: Any) -> User | None:
        users = User._default_manager.select_related("membership__account__segment", "membership__account__csm")
        try:
            user = users.get(pk=user_id)
        except User.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None
