"""Content written by people in two languages: a Japanese field (the default language) and an
optional English one beside it, named ``<field>_en``. Readers get the field of their language, and
the Japanese one where no English was written."""

from __future__ import annotations

from django.conf import settings
from django.db.models import F, Value
from django.db.models.expressions import Combinable
from django.db.models.functions import Coalesce, NullIf
from django.utils.translation import get_language

ENGLISH = "en"


def active_language() -> str:
    """The reader's language, without its region: ``ja`` or ``en``."""
    return (get_language() or settings.LANGUAGE_CODE).split("-")[0]


def in_language(default: str, english: str, language: str | None = None) -> str:
    """``english`` for an English reader when there is one, else ``default``."""
    if english and (language or active_language()) == ENGLISH:
        return english
    return default


def localized(field: str, language: str | None = None) -> Combinable:
    """The expression for ``field`` in the reader's language, for ``values()`` and ``annotate()``:
    ``field`` itself for a Japanese reader; ``field_en`` where it was written for an English one."""
    if (language or active_language()) != ENGLISH:
        return F(field)
    return Coalesce(NullIf(F(f"{field}_en"), Value("")), F(field))
