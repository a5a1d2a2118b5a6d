"""What the sign-in lockout (django-axes) counts failures under: the login and the client address.

Named in settings as AXES_USERNAME_CALLABLE and AXES_CLIENT_IP_CALLABLE.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from django.conf import settings
from django.http import HttpRequest

from portal.models import User


def lockout_username(request: HttpRequest, credentials: dict[str, Any] | None = None) -> str | None:
    """The login a sign-in tries, as axes counts it: the e-mail address of the user it would sign in as.

    The address is looked up the way the authentication backend looks it up
    (``get_by_natural_key``, case-insensitive in the database), so every spelling that could sign in
    as a user counts against that one user: not only other letter cases, but also what only the
    database folds (PostgreSQL upper-cases the long s, U+017F, to "S" and the dotless i, U+0131, to
    "I"; ``lower()`` leaves both). An address of no user counts as typed, trimmed, in lower case.
    """
    typed = credentials.get(settings.AXES_USERNAME_FORM_FIELD) if credentials else None
    if typed is None:
        typed = request.POST.get(settings.AXES_USERNAME_FORM_FIELD)
    if not isinstance(typed, str):
        return None
    typed = typed.strip()
    try:
        return User._default_manager.get_by_natural_key(typed).email.lower()
    except (User.DoesNotExist, User.MultipleObjectsReturned):
        return typed.lower()


def lockout_client_ip(request: HttpRequest) -> str | None:
    """The client's address: REMOTE_ADDR, or behind PROXY_COUNT proxies the one the first proxy saw.

    Each proxy appends the address it received the request from to X-Forwarded-For, so the client
    is the PROXY_COUNT-th entry from the right; anything to its left was sent by the client and is
    never read. A request with fewer entries did not come through the proxies (or they are set up
    otherwise), and counts on the address it connected from.
    """
    remote_addr = request.META.get("REMOTE_ADDR")
    proxies = settings.PROXY_COUNT
    if proxies <= 0:
        return remote_addr
    entries = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
    if len(entries) < proxies:
        return remote_addr
    try:
        return str(ipaddress.ip_address(entries[-proxies].strip()))
    except ValueError:
        return remote_addr
