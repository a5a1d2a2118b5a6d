"""The Japanese catalogue is complete, compiled, and used."""

from __future__ import annotations

import gettext
import re
from pathlib import Path

from django.conf import settings
from django.utils import translation

LOCALE = Path(settings.BASE_DIR) / "locale" / "ja" / "LC_MESSAGES"


def unescape(text: str) -> str:
    """A .po string literal's content as text (the escapes gettext uses)."""
    return re.sub(r'\\(["\\nt])', lambda m: {"n": "\n", "t": "\t"}.get(m.group(1), m.group(1)), text)


def po_entries() -> list[tuple[str, str, str, bool]]:
    """(context, msgid, msgstr of the first form, fuzzy) for every entry but the header."""
    entries = []
    for block in (LOCALE / "django.po").read_text(encoding="utf-8").split("\n\n"):
        lines = [line for line in block.strip().splitlines() if not line.startswith("#~")]
        fuzzy = any(line.startswith("#,") and "fuzzy" in line for line in lines)
        text = "\n".join(line for line in lines if not line.startswith("#"))
        head = re.match(r'(?:msgctxt ((?:".*"\n)+))?msgid ((?:".*"\n?)+)', text)
        if head is None:
            continue
        context = unescape("".join(re.findall(r'"(.*)"', head.group(1) or "")))
        msgid = unescape("".join(re.findall(r'"(.*)"', head.group(2))))
        match = re.search(r'msgstr(?:\[0\])? ((?:".*"\n?)+)', text)
        msgstr = unescape("".join(re.findall(r'"(.*)"', match.group(1)))) if match else ""
        if msgid:
            entries.append((context, msgid, msgstr, fuzzy))
    return entries


def test_every_message_has_a_japanese_translation() -> None:
    entries = po_entries()
    assert len(entries) > 100
    assert [m for _, m, s, _ in entries if not s] == []
    assert [m for _, m, _, fuzzy in entries if fuzzy] == []


def test_the_compiled_catalogue_matches_the_source() -> None:
    compiled = gettext.GNUTranslations((LOCALE / "django.mo").open("rb"))
    stale = [
        msgid
        for context, msgid, msgstr, _ in po_entries()
        if (compiled.pgettext(context, msgid) if context else compiled.gettext(msgid)) != msgstr
    ]
    assert stale == [], "run `make messages` to recompile locale/ja"


def test_japanese_is_active_by_default() -> None:
    assert settings.LANGUAGE_CODE == "ja"
    with translation.override("ja"):
        assert translation.gettext("Sign in") != "Sign in"
    with translation.override("en"):
        assert translation.gettext("Sign in") == "Sign in"
