from __future__ import annotations

from datetime import datetime

from django import template
from django.utils import timezone

register = template.Library()


@register.filter
def days_since(value: datetime | None) -> int | str:
    """Whole days from ``value`` until now (0 for a future date)."""
    if value is None:
        return ""
    return max((timezone.now() - value).days, 0)
