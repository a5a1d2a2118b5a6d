from __future__ import annotations

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _


def navigation(request: HttpRequest) -> dict:
    """The navigation entries for the signed-in person's role."""
    user = getattr(request, "user", None)
    current = request.resolver_match.url_name if request.resolver_match else ""
    namespace = request.resolver_match.namespace if request.resolver_match else ""
    help_item = {"label": _("Help"), "url": reverse("faq:home"), "active": namespace == "faq"}
    if user is None or not user.is_authenticated:
        return {"nav_items": [help_item]}
    if user.is_admin:
        items = [
            (_("Reports"), "admin_home"),
            (_("Accounts"), "account_list"),
            (_("Portfolio"), "portfolio"),
            (_("Support"), "support:queue"),
            (_("API"), "api_docs"),
        ]
    elif user.is_csm:
        items = [(_("Portfolio"), "portfolio"), (_("Accounts"), "account_list"), (_("Support"), "support:queue")]
    elif user.is_agent:
        items = [(_("Support"), "support:queue")]
    else:
        items = [(_("Onboarding"), "customer_home"), (_("Team"), "team")]
    extra = [help_item]
    if user.is_customer:
        extra.append({"label": _("Ask support"), "url": reverse("support:inquiries"), "active": namespace == "support"})
    return {
        "nav_items": [
            {"label": label, "url": reverse(name), "active": name == current or name.startswith(f"{namespace or '-'}:")}
            for label, name in items
        ]
        + extra,
        "show_django_admin": user.is_admin,
    }
