from __future__ import annotations

from datetime import datetime

from django import template
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from portal.markdown import render_markdown

register = template.Library()


@register.filter
def days_since(value: datetime | None) -> int | str:
    """Whole days from ``value`` until now (0 for a future date)."""
    if value is None:
        return ""
    return max((timezone.now() - value).days, 0)


@register.filter
def markdown(text: str) -> SafeString:
    """Render markdown to sanitised HTML."""
    return mark_safe(render_markdown(text))  # noqa: S308 - sanitised by nh3 in render_markdown
