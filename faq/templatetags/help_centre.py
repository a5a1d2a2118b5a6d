from __future__ import annotations

from django import template
from django.utils.translation import get_language

from faq.models import Category

register = template.Library()


def _language() -> str:
    return (get_language() or "ja").split("-")[0]


@register.filter
def local_name(category: Category | None) -> str:
    """The category's name in the reader's language (Japanese when there is no English name)."""
    return category.name_in(_language()) if category is not None else ""


@register.filter
def local_description(category: Category | None) -> str:
    return category.description_in(_language()) if category is not None else ""
