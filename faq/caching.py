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
from collections.abc import Callable
from datetime import UTC, datetime
from functools import cache
from importlib.metadata import version as package_version
from pathlib import Path
from typing import TypeVar

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache as shared_cache
from django.db.models import Count, Max
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.http import HttpRequest, HttpResponse
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
    # The change count names what the figures cannot see: a category renamed, an article's segments.
    changes = shared_cache.get_or_set(CHANGES_KEY, lambda: secrets.token_hex(4), timeout=None)
    figures = f"{articles['n']}.{last.timestamp() if last else 0}.{categories['n']}.{links['n']}.{links['last']}"
    found = (f"{changes}.{figures}", last)
    # Dropped by the signals below; the timeout only bounds a change made past them (raw SQL).
    shared_cache.set(VERSION_KEY, found, timeout=SLOT_SECONDS)
    return found


def help_changed(**_kwargs: object) -> None:
    shared_cache.set(CHANGES_KEY, secrets.token_hex(4), timeout=None)
    shared_cache.delete(VERSION_KEY)


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
    version, _last = help_version()
    slot = int(now().timestamp()) // SLOT_SECONDS
    key = f"faq:{name}:{hashlib.sha256(version.encode()).hexdigest()[:16]}:{slot}:{article.pk}:{reader_scope(user)}"
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
