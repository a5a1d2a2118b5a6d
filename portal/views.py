from __future__ import annotations

import sys
from typing import TypeVar

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import LoginView
from django.core.exceptions import PermissionDenied, RequestDataTooBig, ValidationError
from django.core.paginator import Page
from django.db import connection
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import csrf, defaults
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST
from rest_framework import exceptions

from portal import selectors, services
from portal.access import AuthenticatedHttpRequest, CustomerHttpRequest, customer_required, staff_required
from portal.api.exceptions import CsrfFailed, PayloadTooLarge, ServerError, api_error, api_not_found
from portal.csrf import csrf_for_members
from portal.forms import EmailAuthenticationForm, InvitationAcceptForm, InvitationForm, MemberRoleForm, ProfileForm
from portal.models import Account, Invitation, Membership, Segment
from portal.outages import is_outage, outage_response
from portal.paging import ShallowPaginator
from portal.tenancy import is_account_admin, scope_to_user
from portal.web import query_text, safe_next_url

PAGE_SIZE = 25

_M = TypeVar("_M", bound=Model)


class KachiLoginView(LoginView):
    form_class = EmailAuthenticationForm
    redirect_authenticated_user = True


@login_required
def home(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    if user.is_admin:
        return redirect("admin_home")
    if user.is_csm:
        return redirect("portfolio")
    if user.is_agent:
        return redirect("support:queue")
    return redirect("customer_home")


# --- Customer pages -------------------------------------------------------


@customer_required
def team(request: CustomerHttpRequest) -> HttpResponse:
    can_invite = is_account_admin(user=request.user, account=request.account)
    form = InvitationForm(request.POST or None) if can_invite else None
    if request.method == "POST":
        if form is None:
            raise PermissionDenied
        if invite_from_form(request, form, request.account):
            return redirect("team")
    return _team_page(request, form=form)


def _team_page(
    request: CustomerHttpRequest,
    *,
    form: InvitationForm | None = None,
    error: str = "",
    error_member: int | None = None,
    status: int = 200,
) -> HttpResponse:
    """The team page; with ``error``, a refused change is explained above the members and at its row."""
    account = request.account
    can_manage = is_account_admin(user=request.user, account=account)
    if form is None and can_manage:
        form = InvitationForm()
    members = list(selectors.account_members(account=account))
    return render(
        request,
        "portal/team.html",
        {
            "account": account,
            "members": members,
            "admin_count": sum(1 for member in members if member.is_admin),
            "invitations": selectors.account_open_invitations(account=account) if can_manage else [],
            "history": selectors.account_team_history(account=account) if can_manage else [],
            "form": form,
            "can_invite": can_manage,
            "can_manage": can_manage,
            "roles": Membership.Role,
            "member_error": error,
            "error_member": error_member,
        },
        status=status,
    )


def _managed_membership(request: CustomerHttpRequest, pk: int) -> Membership:
    """A member of the customer's own account, for its customer admin: anyone else gets 403, and a
    member of another account is as missing as one that does not exist."""
    if not is_account_admin(user=request.user, account=request.account):
        raise PermissionDenied
    return get_object_or_404(Membership.objects.select_related("user", "account"), account=request.account, pk=pk)


@require_POST
@customer_required
def member_remove(request: CustomerHttpRequest, pk: int) -> HttpResponse:
    membership = _managed_membership(request, pk)
    person = membership.user
    try:
        services.membership_remove(membership=membership, by=request.user)
    except ValidationError as error:
        return _team_page(request, error=" ".join(error.messages), error_member=pk, status=400)
    if person.pk == request.user.pk:
        logout(request)
        messages.success(request, _("You have left %(account)s.") % {"account": request.account.name})
        return redirect("login")
    messages.success(request, _("%(name)s was removed from the team.") % {"name": person.get_full_name()})
    return redirect("team")


@require_POST
@customer_required
def member_role(request: CustomerHttpRequest, pk: int) -> HttpResponse:
    membership = _managed_membership(request, pk)
    form = MemberRoleForm(request.POST)
    if not form.is_valid():
        return _team_page(
            request, error=" ".join(str(message) for message in form.errors["role"]), error_member=pk, status=400
        )
    try:
        event = services.membership_set_role(membership=membership, role=form.cleaned_data["role"], by=request.user)
    except ValidationError as error:
        return _team_page(request, error=" ".join(error.messages), error_member=pk, status=400)
    name = membership.user.get_full_name()
    if event is None:
        messages.info(request, _("%(name)s already has that role.") % {"name": name})
    else:
        messages.success(
            request,
            _("%(name)s is now a %(role)s.") % {"name": name, "role": membership.get_role_display().lower()},
        )
    return redirect("team")


def invite_from_form(request: AuthenticatedHttpRequest, form: InvitationForm, account: Account) -> bool:
    if not form.is_valid():
        return False
    try:
        services.invitation_create(
            account=account, email=form.cleaned_data["email"], role=form.cleaned_data["role"], invited_by=request.user
        )
    except ValidationError as error:
        for field, errors in error.message_dict.items():
            for message in errors:
                form.add_error(field if field in form.fields else None, message)
        return False
    messages.success(request, _("Invitation sent to %(email)s.") % {"email": form.cleaned_data["email"]})
    return True


@require_POST
@login_required
def invitation_revoke(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    invitation = get_object_or_404(
        scope_to_user(Invitation.objects.select_related("account"), user=request.user), pk=pk
    )
    try:
        services.invitation_revoke(invitation=invitation, by=request.user)
    except PermissionDenied:
        raise Http404 from None
    messages.success(request, _("Invitation to %(email)s withdrawn.") % {"email": invitation.email})
    if request.user.is_customer:
        return redirect("team")
    return redirect("account_detail", slug=invitation.account.slug)


@require_POST
@login_required
def invitation_resend(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """A new link for a waiting or expired invitation (the old one stops working), e-mailed again."""
    invitation = get_object_or_404(
        scope_to_user(Invitation.objects.select_related("account"), user=request.user), pk=pk
    )
    try:
        services.invitation_resend(invitation=invitation, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("A new invitation link was sent to %(email)s.") % {"email": invitation.email})
    if request.user.is_customer:
        return redirect("team")
    return redirect("account_detail", slug=invitation.account.slug)


# --- Staff pages ----------------------------------------------------------


def _paginate(request: HttpRequest, queryset: QuerySet[_M]) -> Page[_M]:
    return ShallowPaginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))


@staff_required
def account_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    search, segment, status = (query_text(request, name) for name in ("q", "segment", "status"))
    accounts = selectors.account_list(
        user=request.user, search=search, segment=segment, status=status, member_count=True
    )
    page = _paginate(request, accounts)
    context = {
        "page": page,
        "search": search,
        "segment": segment,
        "status": status,
        "segments": Segment.objects.order_by("position", "name"),
        "statuses": Account.Status.choices,
    }
    template = "portal/_account_rows.html" if request.htmx else "portal/account_list.html"
    return render(request, template, context)


# --- Everyone -------------------------------------------------------------


@never_cache
def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    invitation = services.invitation_for_token(token=token)
    if invitation is None:
        raise Http404
    if not invitation.is_open:
        return render(request, "registration/invitation_invalid.html", {"invitation": invitation}, status=410)
    form = InvitationAcceptForm(request.POST or None, email=invitation.email)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.invitation_accept(
                token=token, name=form.cleaned_data["name"], password=form.cleaned_data["password1"]
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, _("Welcome to Kachi, %(name)s.") % {"name": user.get_short_name()})
            return redirect("home")
    return render(request, "registration/invitation_accept.html", {"invitation": invitation, "form": form})


@login_required
def profile(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = ProfileForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        services.user_update_profile(
            user=request.user,
            name=form.cleaned_data["name"],
            language=form.cleaned_data["language"],
            time_zone=form.cleaned_data["time_zone"],
        )
        response = redirect("profile")
        response.set_cookie(settings.LANGUAGE_COOKIE_NAME, request.user.language, samesite="Lax")
        messages.success(request, _("Your profile has been saved."))
        return response
    return render(request, "portal/profile.html", {"form": form})


@require_POST
@csrf_for_members
def set_language(request: HttpRequest) -> HttpResponse:
    """The language switcher: remembered in a cookie, and on the profile when signed in."""
    language = request.POST.get("language", "")
    if language not in dict(settings.LANGUAGES):
        language = settings.LANGUAGE_CODE
    next_url = safe_next_url(request, request.POST.get("next") or request.headers.get("referer"), reverse("home"))
    if request.user.is_authenticated:
        services.user_set_language(user=request.user, language=language)
    response = redirect(next_url)
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=365 * 24 * 3600,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
        secure=getattr(settings, "LANGUAGE_COOKIE_SECURE", False),
    )
    return response


@require_GET
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """Database and broker reachability, for load balancers and monitors."""
    from portal.health import broker_status, database_status

    checks = {"database": database_status(connection), "broker": broker_status()}
    healthy = all(value == "ok" for value in checks.values())
    return JsonResponse({"status": "ok" if healthy else "unavailable", **checks}, status=200 if healthy else 503)


def lockout(request: HttpRequest, credentials: dict | None = None, *args: object, **kwargs: object) -> HttpResponse:
    """What a locked-out sign-in sees: a clear message and when to try again (HTTP 429)."""
    seconds = int(settings.AXES_COOLOFF_TIME.total_seconds())
    error = exceptions.Throttled(wait=seconds)
    response: HttpResponse | None = api_error(request, error)
    if response is None:
        response = render(request, "registration/locked_out.html", {"cooloff_minutes": seconds // 60}, status=429)
    response.headers["Retry-After"] = str(seconds)
    return response


# --- The site's error views (handler400, 403, 404, 500 and the CSRF failure): a page for people,
# JSON with a stable code under the API.


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    if isinstance(exception, RequestDataTooBig):  # DATA_UPLOAD_MAX_MEMORY_SIZE
        error: exceptions.APIException = PayloadTooLarge()
    else:
        error = exceptions.ParseError(_("The request is malformed."), code="bad_request")
    return api_error(request, error) or defaults.bad_request(request, exception)


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    return api_error(request, exceptions.PermissionDenied()) or defaults.permission_denied(request, exception)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    return api_not_found(request) or defaults.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    """An exception no view handled (Django has logged it). An outage of the database or the broker
    is a 503, wherever it happened (a middleware reading the signed-in person, say)."""
    exc = sys.exc_info()[1]
    if exc is not None and is_outage(exc):
        return outage_response(request, exc)
    return api_error(request, ServerError()) or defaults.server_error(request)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    return api_error(request, CsrfFailed()) or csrf.csrf_failure(request, reason)
