"""A person's own API tokens: issue one (shown once), see when each was last used, revoke."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from portal import tokens
from portal.access import AuthenticatedHttpRequest
from portal.models import Account, ApiScope, ApiToken, User
from portal.tenancy import visible_accounts


class TokenForm(forms.Form):
    name = forms.CharField(
        label=gettext_lazy("Name"), max_length=120, help_text=gettext_lazy("Such as the tool that uses it.")
    )
    scopes = forms.MultipleChoiceField(label=gettext_lazy("Scopes"), widget=forms.CheckboxSelectMultiple)
    account = forms.ModelChoiceField(
        label=gettext_lazy("Only for the account"), queryset=Account.objects.none(), required=False,
        empty_label=gettext_lazy("Every account I may see"),
    )  # fmt: skip
    days = forms.IntegerField(
        label=gettext_lazy("Valid for (days)"), min_value=1, max_value=tokens.MAX_DAYS, initial=tokens.DEFAULT_DAYS
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        allowed = tokens.scopes_for(user)
        self.fields["scopes"].choices = [(value, label) for value, label in ApiScope.choices if value in allowed]  # type: ignore[attr-defined]
        if user.is_customer:
            del self.fields["account"]  # a customer's token is for their own account anyway
        else:
            self.fields["account"].queryset = visible_accounts(user=user).order_by("name")  # type: ignore[attr-defined]


def _page(request: AuthenticatedHttpRequest, form: TokenForm, *, issued: str = "", status: int = 200) -> HttpResponse:
    own = ApiToken.objects.filter(owner=request.user).select_related("account").order_by("-created_at")
    return render(
        request,
        "portal/tokens.html",
        {"form": form, "tokens": own, "issued": issued, "now": timezone.now(), "scope_labels": dict(ApiScope.choices)},
        status=status,
    )


@login_required
def token_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The tokens the reader owns, and the form to issue one (the new token is shown once, here)."""
    form = TokenForm(request.POST or None, user=request.user)
    if request.method != "POST":
        return _page(request, form)
    if form.is_valid():
        data = form.cleaned_data
        try:
            _token, raw = tokens.token_create(
                owner=request.user, name=data["name"], scopes=data["scopes"], account=data.get("account"),
                days=data["days"], by=request.user,
            )  # fmt: skip
        except ValidationError as error:
            for field, problems in error.message_dict.items():
                form.add_error(field if field in form.fields else None, problems)
        else:
            return _page(request, TokenForm(user=request.user), issued=raw, status=201)
    return _page(request, form, status=400)


@require_POST
@login_required
def token_revoke(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    token = ApiToken.objects.filter(owner=request.user, pk=pk).first()
    if token is None:
        raise Http404
    tokens.token_revoke(token=token, by=request.user)
    messages.success(request, _("The token “%(name)s” is revoked: it opens nothing any more.") % {"name": token.name})
    return redirect("token_list")
