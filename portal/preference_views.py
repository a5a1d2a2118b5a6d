"""The notification settings page, and the unsubscribe link of every automatic e-mail (no sign-in)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt

from portal.access import AuthenticatedHttpRequest
from portal.models import NotificationPreferences
from portal.preferences import categories_for, preferences_get, preferences_update, unsubscribe, unsubscribe_target


class NotificationPreferencesForm(forms.ModelForm):
    digest_weekday = forms.TypedChoiceField(
        label=gettext_lazy("Send the digest on"), choices=NotificationPreferences.WEEKDAYS, coerce=int
    )

    class Meta:
        model = NotificationPreferences
        fields = ["nudges", "milestones", "account_alerts", "digest", "digest_weekday"]

    def __init__(self, *args: Any, categories: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ["nudges", "milestones", "account_alerts", "digest"]:
            if name not in categories:
                del self.fields[name]
        if "digest" not in categories:
            del self.fields["digest_weekday"]


@login_required
def notification_settings(request: AuthenticatedHttpRequest) -> HttpResponse:
    prefs = preferences_get(user=request.user)
    form = NotificationPreferencesForm(
        request.POST or None, instance=prefs, categories=categories_for(user=request.user)
    )
    if request.method == "POST" and form.is_valid():
        preferences_update(user=request.user, changes={name: form.cleaned_data[name] for name in form.fields})
        messages.success(request, _("Your e-mail settings are saved."))
        return redirect("notification_settings")
    return render(request, "portal/notification_settings.html", {"form": form}, status=400 if form.errors else 200)


@csrf_exempt  # the signed token is the credential; mail providers post here for one-click unsubscribe
@never_cache
def unsubscribe_link(request: HttpRequest, token: str) -> HttpResponse:
    """GET asks for confirmation (link scanners only GET); POST turns the category off."""
    target = unsubscribe_target(token=token)
    if target is None:
        return render(request, "portal/unsubscribe_invalid.html", status=404)
    user, category = target
    context = {
        "person": user,
        "category_label": NotificationPreferences.Category(category).label,
        "done": False,
    }
    if request.method == "POST":
        unsubscribe(user=user, category=category)
        context["done"] = True
    return render(request, "portal/unsubscribe.html", context)
