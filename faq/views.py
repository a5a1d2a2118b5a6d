"""Help centre pages. What a reader may see comes from ``faq.selectors.visible_articles``."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.contrib.auth.views import redirect_to_login
from django.db import IntegrityError
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django.views.decorators.vary import vary_on_headers

from faq import selectors
from faq.caching import anonymous_reader, for_readers, for_scope, public_answer, rendered
from faq.forms import SearchForm, VoteForm
from faq.models import Article, Category, SearchLog
from faq.qr import article_qr_svg
from faq.search import search_results
from faq.services import (
    VoteLimitReached,
    anonymous_visitor_key,
    search_log_record,
    view_record,
    visitor_key,
    vote_record,
)
from portal.access import HtmxHttpRequest
from portal.csrf import csrf_for_members
from portal.lockout import lockout_client_ip
from portal.models import User

SEARCH_RESULTS = 50


def _language() -> str:
    return (get_language() or "ja").split("-")[0]


def _session_key(request: HttpRequest, *, create: bool) -> str | None:
    if request.session.session_key is None and create:
        request.session.save()
    return request.session.session_key


def home(request: HttpRequest) -> HttpResponse:
    language = _language()
    user = request.user

    def page(_nothing: int = 0) -> HttpResponse:
        # The same for every reader who may see the same articles, until the help centre changes.
        context = {
            "form": SearchForm(),
            "categories": _tree(user, language),
            "popular": for_scope(
                f"popular:{language}", user, lambda: selectors.popular_articles(user=user, language=language)
            ),
            "recent": for_scope(
                f"recent:{language}", user, lambda: selectors.recent_articles(user=user, language=language)
            ),
            "language": language,
        }
        return render(request, "faq/home.html", context)

    if anonymous_reader(request):
        return public_answer(request, language, find=lambda: 0, render=page)
    return page()


def _tree(user: User | AnonymousUser, language: str) -> list[selectors.CategoryNode]:
    return for_scope(f"tree:{language}", user, lambda: selectors.category_tree(user=user, language=language))


@vary_on_headers("HX-Request")
def search(request: HtmxHttpRequest) -> HttpResponse:
    """The search page; with htmx (search as you type), only its results."""
    form = SearchForm(request.GET)
    query = form.cleaned_data["q"].strip() if form.is_valid() else ""
    language = _language()
    # htmx asks again for the whole page when going back to a search it no longer has in its history.
    partial = bool(request.htmx) and not request.htmx.history_restore_request
    found = search_results(query, user=request.user, language=language, limit=SEARCH_RESULTS) if query else None
    if found is not None:
        search_log_record(
            query=query,
            results=found.total,
            language=language,
            user=request.user,
            source=SearchLog.Source.LIVE if partial else SearchLog.Source.PAGE,
        )
    context = {
        "form": form,
        "query": query,
        "results": found.hits if found else [],
        "total": found.total if found else 0,
        "support_email": settings.SUPPORT_EMAIL,
        # The empty state suggests categories to browse instead.
        "categories": _tree(request.user, language) if found and not found.hits else [],
    }
    return render(request, "faq/_search_results.html" if partial else "faq/search.html", context)


def category(request: HttpRequest, slug: str) -> HttpResponse:
    language = _language()

    def page(current: Category) -> HttpResponse:
        articles = selectors.category_articles(category=current, user=request.user, language=language)
        context = {"category": current, "articles": articles, "language": language}
        return render(request, "faq/category.html", context)

    def load() -> Category:
        return selectors.category_for_reading(slug=slug, user=request.user)

    if anonymous_reader(request):
        return public_answer(request, language, find=lambda: load().pk, render=lambda _pk: page(load()))
    return page(load())


def _vote_context(request: HttpRequest, article, **extra: object) -> dict:
    vote = selectors.user_vote(article=article, user=request.user, session_key=request.session.session_key)
    initial = {"helpful": "yes" if vote.helpful else "no", "comment": vote.comment} if vote else {}
    return {"article": article, "vote": vote, "vote_form": VoteForm(initial=initial), **extra}


def _article_context(request: HttpRequest, item, **extra: object) -> dict:
    user = request.user
    return {
        "rendered": rendered(item.body),
        "translations": for_readers(
            "translations", item, user, lambda: selectors.article_translations(article=item, user=user)
        ),
        "related": for_readers("related", item, user, lambda: selectors.related_articles(article=item, user=user)),
        "rated": request.GET.get("rated") == "1",
        **_vote_context(request, item),
        **extra,
    }


def _visitor(request: HttpRequest) -> str | None:
    """Who read, for the view counts. Never a new session: an anonymous reader is known by address
    and browser, so reading a public article writes no session row and sets no session cookie. The
    address is the one the sign-in lockout reads: behind PROXY_COUNT proxies, the first one's view."""
    if request.user.is_authenticated:
        return visitor_key(user=request.user, session_key=None)
    return _anonymous_visitor(request)


def _count_view(pk: int, visitor: str) -> None:
    """``view_record`` for an anonymous reader's kept page, outside any transaction (the statement is
    its own). An article deleted since another process read the help centre's version is gone."""
    try:
        view_record(article=pk, visitor=visitor)
    except IntegrityError:
        raise Http404("No such article.") from None


def _anonymous_visitor(request: HttpRequest) -> str:
    return anonymous_visitor_key(address=lockout_client_ip(request), user_agent=request.headers.get("User-Agent", ""))


def article(request: HttpRequest, language: str, slug: str) -> HttpResponse:
    def page(item: Article) -> HttpResponse:
        return render(request, "faq/article.html", _article_context(request, item))

    def load() -> Article:
        return selectors.article_for_reading(user=request.user, language=language, slug=slug)

    if anonymous_reader(request):
        anonymous = _anonymous_visitor(request)
        return public_answer(
            request,
            _language(),
            find=lambda: selectors.public_article_pk(language=language, slug=slug),
            render=lambda _pk: page(load()),
            # Counted even when the reader's copy is still good, or the page comes from the cache.
            seen=lambda pk: _count_view(pk, anonymous),
        )
    item = load()
    visitor = _visitor(request)
    if item.is_published and visitor is not None:
        view_record(article=item, visitor=visitor)
    return page(item)


@require_POST
@csrf_for_members
def vote(request: HtmxHttpRequest, language: str, slug: str) -> HttpResponse:
    """“Was this helpful?” With htmx, answers the feedback box; without, redirects back to the article."""
    item = selectors.article_for_reading(user=request.user, language=language, slug=slug)
    form = VoteForm(request.POST)
    if not item.is_published:
        form.add_error(None, _("Drafts cannot be rated."))
    if form.is_valid():
        comment = form.cleaned_data["comment"] if "comment" in request.POST else None
        try:
            vote_record(
                article=item,
                helpful=form.cleaned_data["helpful"],
                comment=comment,
                user=request.user,
                session_key=_session_key(request, create=True),
            )
        except VoteLimitReached:
            form.add_error(None, _("You have rated many articles already; sign in to rate more."))
    if not form.is_valid():
        if request.htmx:
            # htmx swaps only successful responses: the errors come back as the new feedback box.
            return render(request, "faq/_vote.html", {**_vote_context(request, item), "vote_form": form})
        return render(request, "faq/article.html", _article_context(request, item, vote_form=form), status=400)
    if request.htmx:
        return render(request, "faq/_vote.html", _vote_context(request, item, thanked=True))
    return redirect(item.get_absolute_url() + "?rated=1#feedback")


def short(request: HttpRequest, pk: int) -> HttpResponse:
    """The printed short link: to the article's page, for whoever may read it.

    An anonymous visitor is asked to sign in for any article they cannot see, existing
    or not, so the answer says nothing about which ids exist."""
    if not request.user.is_authenticated and not selectors.visible_articles(None).filter(pk=pk).exists():
        return redirect_to_login(request.get_full_path())
    return redirect(selectors.article_by_id(user=request.user, pk=pk).get_absolute_url())


def qr(request: HttpRequest, pk: int) -> HttpResponse:
    """The short link as a QR code (SVG), for anyone who may read the article."""
    item = selectors.article_by_id(user=request.user, pk=pk)
    response = HttpResponse(article_qr_svg(article=item), content_type="image/svg+xml")
    response["Content-Disposition"] = f'attachment; filename="kachi-help-{item.pk}.svg"'
    return response


def media(request: HttpRequest, path: str) -> HttpResponseBase:
    """Uploaded files in development; in production the web server or the storage serves MEDIA_URL."""
    from django.views.static import serve

    if not settings.DEBUG:
        raise Http404("Media are not served by the application.")
    return serve(request, path, document_root=settings.MEDIA_ROOT)
