"""What the help centre renders once for many readers, and conditional answers for anonymous ones.

An article body's HTML is kept under the hash of the body and of the code that renders it
(``rendered``): a changed body or renderer is a new key, so there is nothing to drop. The related
articles and the translations an article page lists are kept per article, per kind of reader (who
may see which articles) and per version of the help centre (``for_readers``).

Conditional answers for the public help centre: ETag and Last-Modified for anonymous readers.

An anonymous reader's help page depends on the articles and categories, the language, the address
and the code that renders it; nothing of the reader's own (the page carries no CSRF token for a
reader who is not signed in, see ``portal.csrf``). So one version of the help centre, kept in the
shared cache and renewed whenever an article, a category or a tutorial link is saved or deleted or
an article's segments or tags change, names every such page: a browser or a CDN that has it is
answered 304 without rendering anything. A five-minute slot is part of the name too, so view-count
orderings ("popular") move on and a cached copy never outlives a change by more than ``max-age``.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Callable
from datetime import UTC, datetime
from functools import cache
from importlib.metadata import version as package_version
from pathlib import Path
from typing import TypeVar

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.contrib.messages.storage.cookie import CookieStorage
from django.core.cache import cache as shared_cache
from django.db.models import Count, Max
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.http import http_date, quote_etag
from django.utils.timezone import now

import faq.markdown
import portal.markdown
from faq.markdown import RenderedArticle, render_article
from faq.models import Article, ArticleStep, Category
from portal.models import User

T = TypeVar("T")

VERSION_KEY = "faq:public-version"
CHANGES_KEY = "faq:changes"
SLOT_SECONDS = 300
# Browsers keep a page a minute; shared caches (a CDN) five, and may serve it a minute stale while
# they ask again.
CACHE_CONTROL = {"public": True, "max_age": 60, "s_maxage": SLOT_SECONDS, "stale_while_revalidate": 60}


# Each process keeps the version it read for a second: a change made in another process shows
# that much later at most (pages may be a minute old in browsers anyway, see CACHE_CONTROL), one
# made in this one at once (``help_changed``).
LOCAL_SECONDS = 1.0
_local: dict[str, tuple[tuple[str, datetime | None], float]] = {}


def help_version() -> tuple[str, datetime | None]:
    """The help centre's version and its last change: three small aggregates (articles, categories,
    tutorial links) when the cache has none, then the cache, and for a second this process's copy."""
    memo = _local.get(VERSION_KEY)
    if memo is not None and memo[1] > time.monotonic():
        return memo[0]
    found = shared_cache.get(VERSION_KEY)
    if found is not None:
        _local[VERSION_KEY] = (found, time.monotonic() + LOCAL_SECONDS)
        return found
    articles = Article.objects.aggregate(n=Count("pk"), last=Max("updated_at"))
    categories = Category.objects.aggregate(n=Count("pk"))
    links = ArticleStep.objects.aggregate(n=Count("pk"), last=Max("pk"))
    last = articles["last"]
    # The change count names what the figures cannot see: a category renamed, an article's segments.
    changes = shared_cache.get_or_set(CHANGES_KEY, lambda: secrets.token_hex(4), timeout=None)
    figures = f"{articles['n']}.{last.timestamp() if last else 0}.{categories['n']}.{links['n']}.{links['last']}"
    found = (f"{changes}.{figures}", last)
    # Dropped by the signals below; the timeout only bounds a change made past them (raw SQL).
    shared_cache.set(VERSION_KEY, found, timeout=SLOT_SECONDS)
    _local[VERSION_KEY] = (found, time.monotonic() + LOCAL_SECONDS)
    return found


def help_changed(**_kwargs: object) -> None:
    shared_cache.set(CHANGES_KEY, secrets.token_hex(4), timeout=None)
    shared_cache.delete(VERSION_KEY)
    forget_local()


def forget_local() -> None:
    """Drop this process's copy of the version (``help_changed``; tests that empty the cache)."""
    _local.clear()


for _model in (Article, Category, ArticleStep):
    post_save.connect(help_changed, sender=_model, dispatch_uid=f"faq-version-save-{_model.__name__}")
    post_delete.connect(help_changed, sender=_model, dispatch_uid=f"faq-version-delete-{_model.__name__}")
# Who may read an article (its segments) and what it is related by (its tags) change the lists too.
for _through in (Article.segments.through, Article.tags.through):
    m2m_changed.connect(help_changed, sender=_through, dispatch_uid=f"faq-version-m2m-{_through.__name__}")

RENDERED_SECONDS = 24 * 3600


def rendered(text: str) -> RenderedArticle:
    """``render_article(text)``, rendered once per body and renderer and then read from the cache."""
    key = rendered_key(text)
    found = shared_cache.get(key)
    if isinstance(found, RenderedArticle):
        return found
    found = render_article(text)
    shared_cache.set(key, found, timeout=RENDERED_SECONDS)
    return found


def rendered_key(text: str) -> str:
    return "faq:rendered:" + hashlib.sha256(f"{_renderer()}\0{text}".encode()).hexdigest()


@cache
def _renderer() -> str:
    """What the HTML of a body depends on besides the body: the rendering code, its libraries and
    where uploaded images live."""
    sources = b"".join(Path(module.__file__ or "").read_bytes() for module in (faq.markdown, portal.markdown))
    libraries = "|".join(package_version(name) for name in ("markdown-it-py", "nh3"))
    return hashlib.sha256(sources + f"|{libraries}|{settings.MEDIA_URL}".encode()).hexdigest()[:16]


def reader_scope(user: User | AnonymousUser | None) -> str:
    """Which articles a reader may see, as ``faq.selectors.visible_articles`` decides it: anyone,
    staff, or the customers of one segment (read from the membership the request loaded)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return "public"
    if user.is_admin or user.is_csm:
        return "staff"
    membership = getattr(user, "membership", None)
    return f"segment:{membership.account.segment_id if membership is not None else '-'}"


def for_readers(name: str, article: Article, user: User | AnonymousUser, compute: Callable[[], T]) -> T:
    """``compute()`` (a list about ``article``: its related articles, its translations) for readers
    like ``user``, kept until the help centre changes or the five-minute slot ends."""
    return for_scope(f"{name}:{article.pk}", user, compute)


def for_scope(name: str, user: User | AnonymousUser, compute: Callable[[], T]) -> T:
    """``compute()``, whatever ``name`` names that depends only on the help centre and on which
    articles ``user`` may see (``reader_scope``), kept until the help centre changes or the slot ends."""
    version, _last = help_version()
    slot = int(now().timestamp()) // SLOT_SECONDS
    digest = hashlib.sha256(f"{version}|{slot}|{reader_scope(user)}|{name}".encode()).hexdigest()[:32]
    key = f"faq:scope:{digest}"
    found: T | None = shared_cache.get(key)
    if found is None:
        found = compute()
        shared_cache.set(key, found, timeout=SLOT_SECONDS)
    return found


@cache
def _release() -> str:
    """The rendering code's own version: the templates' and translations' last change on disk."""
    roots = [Path(settings.BASE_DIR) / "templates", Path(settings.BASE_DIR) / "locale"]
    stamps = [path.stat().st_mtime_ns for root in roots if root.exists() for path in root.rglob("*") if path.is_file()]
    return str(max(stamps, default=0))


PAGE_PREFIX = "faq:page:"
# The longest address whose page is kept: a query string made up to fill the cache is not.
PAGE_PATH_MAX = 300


def public_answer(
    request: HttpRequest,
    language: str,
    *,
    find: Callable[[], int | None],
    render: Callable[[int], HttpResponse],
    seen: Callable[[int], object] | None = None,
) -> HttpResponse:
    """A cookie-less anonymous reader's page (``anonymous_reader``): 304 when they have it already,
    else the page the ETag names, rendered once for all such readers and then read from the shared
    cache until the help centre changes or the slot ends (the name changes with either).

    ``find()`` is the id of what the address names (an article, a category; 0 for a page of no one
    thing), None or Http404 when there is nothing: 404. ``render(id)`` renders the page, and
    ``seen(id)`` counts the reading, for every answer (a 304 and a kept page too)."""
    version, last = help_version()
    slot = int(now().timestamp()) // SLOT_SECONDS
    path = request.get_full_path()
    name = f"{version}|{slot}|{language}|{path}|{_release()}"
    digest = hashlib.sha256(name.encode()).hexdigest()[:32]
    etag = quote_etag(digest)
    modified = last.timestamp() if last is not None else None
    response = get_conditional_response(request, etag=etag, last_modified=int(modified) if modified else None)
    if response is not None:
        found = public_lookup(f"{language}|{request.path}", find)
        if found is None:
            raise Http404
        if seen is not None:
            seen(found)
    else:
        key = PAGE_PREFIX + digest if len(path) <= PAGE_PATH_MAX else None
        kept = shared_cache.get(key) if key else None
        if isinstance(kept, tuple) and len(kept) == 3:
            found, content, content_type = kept
            response = HttpResponse(content, content_type=content_type)
        else:
            found = _found(find)
            if found is None:
                raise Http404
            response = render(found)
            if response.status_code != 200:
                return response
            # Only a whole page that set nothing of the reader's own (a cookie) is kept.
            if key and not response.cookies and not response.streaming:
                entry = (found, response.content, response.headers["Content-Type"])
                shared_cache.set(key, entry, timeout=SLOT_SECONDS)
        if seen is not None:
            seen(found)
    response.headers["ETag"] = etag
    if last is not None:
        response.headers["Last-Modified"] = http_date(last.astimezone(UTC).timestamp())
    patch_cache_control(response, **CACHE_CONTROL)
    return response


def anonymous_reader(request: HttpRequest) -> bool:
    """Whether ``request`` is a GET of a whole page by a cookie-less reader, as far as Kachi's pages
    go: not signed in, no session (an anonymous vote lives in one), no message waiting to be shown.
    Their page is the same for every such reader: ``public_answer`` serves it."""
    if request.method != "GET" or request.headers.get("HX-Request") == "true" or request.user.is_authenticated:
        return False
    cookies = request.COOKIES
    return settings.SESSION_COOKIE_NAME not in cookies and CookieStorage.cookie_name not in cookies


def _found(find: Callable[[], int | None]) -> int | None:
    try:
        return find()
    except Http404:
        return None


def public_lookup(name: str, find: Callable[[], int | None]) -> int | None:
    """``find()`` (see ``public_answer``), kept per version of the help centre and slot like the pages."""
    version, _last = help_version()
    slot = int(now().timestamp()) // SLOT_SECONDS
    key = f"faq:lookup:{hashlib.sha256(f'{version}|{slot}|{name}'.encode()).hexdigest()[:32]}"
    kept = shared_cache.get(key)
    if isinstance(kept, int):
        return kept if kept >= 0 else None
    found = _found(find)
    shared_cache.set(key, found if found is not None else -1, timeout=SLOT_SECONDS)
    return found
