"""The help centre as JSON, read-only: search and list articles, read one, the category tree.

Anyone may call it; what they get follows ``faq.selectors.visible_articles`` exactly like the
pages (anonymous callers: public articles; customers: also those of their segment). An article
the caller may not read answers 404 like a missing one.
"""

from __future__ import annotations

from django.utils.translation import get_language
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import permissions
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from faq import selectors
from faq.api.serializers import (
    LANGUAGES,
    ArticleDetailSerializer,
    ArticleListItemSerializer,
    ArticleQuery,
    CategoryNodeSerializer,
    LanguageQuery,
)
from faq.caching import for_scope, rendered
from faq.models import SearchLog
from faq.search import annotate_highlights, highlight_terms, search_articles
from faq.services import search_log_record
from portal.api.permissions import TokenScopes
from portal.models import ApiScope

NOT_FOUND = OpenApiResponse(description="No such article, or one the caller may not read.")


def _language(chosen: str | None) -> str:
    if chosen:
        return chosen
    active = (get_language() or "ja").split("-")[0]
    return active if active in LANGUAGES else LANGUAGES[0]


class ArticlePagination(PageNumberPagination):
    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100


@extend_schema(parameters=[ArticleQuery], responses=ArticleListItemSerializer(many=True))
class ArticleListView(APIView):
    """Search the help centre (``q``), or list the articles the caller may read, newest first.
    Every search is logged (normalised words, result count, language, caller)."""

    permission_classes = [TokenScopes, permissions.AllowAny]
    scopes = {"GET": ApiScope.HELP_READ}
    pagination_class = ArticlePagination

    def get(self, request: Request) -> Response:
        params = ArticleQuery(data=request.query_params)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        language = _language(data.get("lang"))
        query = data.get("q", "").strip()

        def answer() -> tuple[dict[str, object], int, int]:
            narrow = selectors.article_filter(kind=data.get("kind"), category_slug=data.get("category"))
            if query:
                articles = search_articles(query, user=request.user, language=language).filter(narrow)
            else:
                articles = selectors.article_list(
                    user=request.user, language=language, kind=data.get("kind"), category_slug=data.get("category")
                )
            paginator = self.pagination_class()
            page = paginator.paginate_queryset(articles, request, view=self)
            assert page is not None and paginator.page is not None  # a page size is set: there is always a page
            annotate_highlights(page, terms=highlight_terms(query))
            context = {"request": request, "language": language}
            items = ArticleListItemSerializer(page, many=True, context=context).data
            body = paginator.get_paginated_response(items).data
            return body, paginator.page.number, paginator.page.paginator.count

        # The same answer for every caller who may read the same articles, until the help centre
        # changes: kept by the address asked (host and parameters), language and reader scope.
        body, number, count = for_scope(f"api:articles|{language}|{request.build_absolute_uri()}", request.user, answer)
        if query and number == 1:  # the next pages are the same search
            search_log_record(
                query=query, results=count, language=language, user=request.user, source=SearchLog.Source.API
            )
        return Response(body)


class ArticleDetailView(APIView):
    permission_classes = [TokenScopes, permissions.AllowAny]
    scopes = {"GET": ApiScope.HELP_READ}

    @extend_schema(responses={200: ArticleDetailSerializer, 404: NOT_FOUND})
    def get(self, request: Request, pk: int) -> Response:
        """One article with its body rendered as HTML."""
        article = selectors.article_for_api(user=request.user, pk=pk)
        article.body_html = rendered(article.body).html
        context = {"request": request, "language": article.language}
        return Response(ArticleDetailSerializer(article, context=context).data)


class CategoryTreeView(APIView):
    permission_classes = [TokenScopes, permissions.AllowAny]
    scopes = {"GET": ApiScope.HELP_READ}
    pagination_class = None

    @extend_schema(parameters=[LanguageQuery], responses=CategoryNodeSerializer(many=True))
    def get(self, request: Request) -> Response:
        """Top-level categories with their sub-categories, counting only articles the caller may read
        (categories without any are left out)."""
        params = LanguageQuery(data=request.query_params)
        params.is_valid(raise_exception=True)
        language = _language(params.validated_data.get("lang"))
        tree = for_scope(
            f"tree:{language}", request.user, lambda: selectors.category_tree(user=request.user, language=language)
        )
        context = {"request": request, "language": language}
        return Response(CategoryNodeSerializer(tree, many=True, context=context).data)
