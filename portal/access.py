"""Role checks for views: the wrong role gets 403; the wrong tenant is handled by scoping (404)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django_htmx.middleware import HtmxDetails

from portal.models import Account, User
from portal.tenancy import customer_account


class HtmxHttpRequest(HttpRequest):
    """For annotations: every request, as django-htmx's middleware gives each one ``htmx``."""

    htmx: HtmxDetails


class AuthenticatedHttpRequest(HtmxHttpRequest):
    """For annotations: the request of a view behind ``login_required``, whose user is signed in."""

    user: User


class CustomerHttpRequest(AuthenticatedHttpRequest):
    """For annotations: the request of a view behind ``customer_required``, with the customer's account."""

    account: Account


def staff_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """CS managers and admins only; customers get 403."""

    @login_required
    @wraps(view)
    def wrapped(request: AuthenticatedHttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        if not (request.user.is_csm or request.user.is_admin):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped


def admin_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @login_required
    @wraps(view)
    def wrapped(request: AuthenticatedHttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        if not request.user.is_admin:
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped


def customer_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @login_required
    @wraps(view)
    def wrapped(request: CustomerHttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        account = customer_account(user=request.user)
        if account is None:
            raise PermissionDenied
        request.account = account
        return view(request, *args, **kwargs)

    return wrapped
