"""Conditional answers for the public help centre: ETag and Last-Modified for anonymous readers.

An anonymous reader's help page depends on the articles and categories, the language, the address
and the code that renders it; nothing of the reader's own (the page carries no CSRF token for a
reader who is not signed in, see ``portal.csrf``). So one version of the help centre, kept in the
shared cache and dropped whenever an article, a category or a tutorial link is saved or deleted,
names every such page: a browser or a CDN that has it is answered 304 without rendering anything.
A five-minute slot is part of the name too, so view-count orderings ("popular") move on and a
cached copy never outlives a change by more than ``max-age``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

from django.conf import settings
from django.core.cache import cache as shared_cache
from django.db.models import Count, Max
from django.db.models.signals import post_delete, post_save
from django.http import HttpRequest, HttpResponse
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.http import http_date, quote_etag
from django.utils.timezone import now

from faq.models import Article, ArticleStep, Category

VERSION_KEY = "faq:public-version"
SLOT_SECONDS = 300
# Browsers keep a page a minute; shared caches (a CDN) five, and may serve it a minute stale while
# they ask again.
CACHE_CONTROL = {"public": True, "max_age": 60, "s_maxage": SLOT_SECONDS, "stale_while_revalidate": 60}


def help_version() -> tuple[str, datetime | None]:
    """The help centre's version and its last change: three small aggregates (articles, categories,
    tutorial links) when the cache has none, then the cache."""
    found = shared_cache.get(VERSION_KEY)
    if found is not None:
        return found
    articles = Article.objects.aggregate(n=Count("pk"), last=Max("updated_at"))
    categories = Category.objects.aggregate(n=Count("pk"))
    links = ArticleStep.objects.aggregate(n=Count("pk"), last=Max("pk"))
    last = articles["last"]
    version = f"{articles['n']}.{last.timestamp() if last else 0}.{categories['n']}.{links['n']}.{links['last']}"
    found = (version, last)
    # Dropped by the signals below; the timeout only bounds a change made past them (raw SQL).
    shared_cache.set(VERSION_KEY, found, timeout=SLOT_SECONDS)
    return found


def help_changed(**_kwargs: object) -> None:
    shared_cache.delete(VERSION_KEY)


for _model in (Article, Category, ArticleStep):
    post_save.connect(help_changed, sender=_model, dispatch_uid=f"faq-version-save-{_model.__name__}")
    post_delete.connect(help_changed, sender=_model, dispatch_uid=f"faq-version-delete-{_model.__name__}")


@cache
def _release() -> str:
    """The rendering code's own version: the templates' and translations' last change on disk."""
    roots = [Path(settings.BASE_DIR) / "templates", Path(settings.BASE_DIR) / "locale"]
    stamps = [path.stat().st_mtime_ns for root in roots if root.exists() for path in root.rglob("*") if path.is_file()]
    return str(max(stamps, default=0))


def public_answer(request: HttpRequest, language: str, render: Callable[[], HttpResponse]) -> HttpResponse:
    """``render()``'s page, or 304 when the reader already has it. Only for anonymous GETs of whole
    pages: a signed-in reader's page is theirs (their votes, their segment's articles)."""
    htmx = request.headers.get("HX-Request") == "true"
    if request.method != "GET" or request.user.is_authenticated or htmx:
        return render()
    version, last = help_version()
    slot = int(now().timestamp()) // SLOT_SECONDS
    name = f"{version}|{slot}|{language}|{request.get_full_path()}|{_release()}"
    etag = quote_etag(hashlib.sha256(name.encode()).hexdigest()[:32])
    modified = last.timestamp() if last is not None else None
    response = get_conditional_response(request, etag=etag, last_modified=int(modified) if modified else None)
    if response is None:
        response = render()
        if response.status_code != 200:
            return response
    response.headers["ETag"] = etag
    if last is not None:
        response.headers["Last-Modified"] = http_date(last.astimezone(UTC).timestamp())
    patch_cache_control(response, **CACHE_CONTROL)
    return response
