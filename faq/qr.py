"""QR codes of articles' short links, for printed material."""

from __future__ import annotations

import io

import segno
from django.conf import settings

from faq.models import Article


def article_qr_svg(*, article: Article) -> bytes:
    """An SVG QR code of the article's absolute short link (error correction M, 4-module border)."""
    url = settings.SITE_URL + article.get_short_url()
    out = io.BytesIO()
    segno.make_qr(url, error="m").save(out, kind="svg", scale=8, border=4, xmldecl=True, title=article.title)
    return out.getvalue()
