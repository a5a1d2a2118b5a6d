"""Role checks for views: the wrong role gets 403; the wrong tenant is handled by scoping (404)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django_htmx.middleware import HtmxDetails

from portal.models import Account, User
from portal.tenancy import customer_account


class HtmxHttpRequest(HttpRequest):
    """For annotations: every request, as the middlewares give each one ``htmx`` (django-htmx) and
    ``csp_nonce`` (django-csp, lazy: read it with ``str()``)."""

    htmx: HtmxDetails
    csp_nonce: object


class AuthenticatedHttpRequest(HtmxHttpRequest):
    """For annotations: the request of a view behind ``login_required``, whose user is signed in."""

    user: User


class CustomerHttpRequest(AuthenticatedHttpRequest):
    """For annotations: the request of a view behind ``customer_required``, with the customer's account."""

    account: Account


def staff_required(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """CS managers and admins only; customers get 403."""

    @login_required
    @wraps(view)
    def wrapped(request: AuthenticatedHttpRequest, *args: object, **kwargs: object) -> HttpResponseBase:
        if not (request.user.is_csm or request.user.is_admin):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped


def admin_required(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    @login_required
    @wraps(view)
    def wrapped(request: AuthenticatedHttpRequest, *args: object, **kwargs: object) -> HttpResponseBase:
        if not request.user.is_admin:
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped


def customer_required(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    @login_required
    @wraps(view)
    def wrapped(request: CustomerHttpRequest, *args: object, **kwargs: object) -> HttpResponseBase:
        account = customer_account(user=request.user)
        if account is None:
            raise PermissionDenied
        request.account = account
        return view(request, *args, **kwargs)

    return wrapped
