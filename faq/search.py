"""Searching the help centre, in Japanese and English, on PostgreSQL and SQLite alike.

A query and every article are cut into words the same way (``faq.analysis``: Sudachi's normalised
forms for Japanese, stems for English, synonyms added to the articles' index). An article is found
when its index (``search_title``, ``search_body``) holds the query's words as whole words
(``LIKE '% 認証 %'``): all of a query of one or two words, two in three of a longer one (see
``Query.required``); weak words (方法, 手順) and a query's other words only rank. So a query says
"nothing found" rather than list articles that share one word of it.

On PostgreSQL, the words are looked up in a GIN index of the array of the index's words
(``faq_article_words(search_title, search_body) @> ARRAY['認証']``, migration
``faq.0007_article_search_words``), which finds the same articles without reading their texts: the
trigram indexes it replaced only narrowed the ``LIKE`` down, and for an everyday word left it
thousands of long texts to compare. Only the ranking reads the texts, of the articles found. SQLite,
for development and tests, compares the texts (``LIKE``).

Ranking, the same SQL on both databases: for every word, 3 points when the title holds it and 1
when the article does at all (weak words: 1 for the title), times the word's rarity among the
articles found, ln(1 + (found + 1) / (holding it + 0.5)), where not every article found holds every
word (in 「パスワード再設定のメール」, パスワード counts more than メール); a run of words found
together scores more (6 in the title, 4 elsewhere). Ties go to the most read.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache, reduce
from operator import add, and_

from django.contrib.auth.models import AnonymousUser
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.lookups import DataContains
from django.db import connections
from django.db.models import (
    Case,
    Count,
    Expression,
    ExpressionWrapper,
    F,
    FloatField,
    Func,
    IntegerField,
    Q,
    QuerySet,
    Sum,
    TextField,
    Value,
    When,
    Window,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import Ln, StrIndex
from django.db.models.lookups import GreaterThan
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from faq.analysis import MAX_QUERY_CHARS, Query, analyse_query, plain_text, stem
from faq.models import Article
from faq.selectors import in_language, visible_articles
from portal.models import User

__all__ = [
    "SearchResults",
    "annotate_highlights",
    "highlight",
    "highlight_terms",
    "index_holds",
    "normalise_query",
    "plain_text",
    "search_articles",
    "search_phrases",
    "search_results",
    "search_terms",
    "snippet",
]

TITLE_WEIGHT = 3  # a word in the title counts three times a word only in the summary or body
BODY_WEIGHT = 1
WEAK_TITLE_WEIGHT = 1  # 方法, 手順: in the title they tell a how-to apart; elsewhere they say nothing
PHRASE_TITLE_WEIGHT = 6  # a run of the query's words found together in the title
PHRASE_WEIGHT = 4  # … in the summary or body: more than one of its words in the title
SNIPPET_CHARS = 160
SNIPPET_LEAD = 40  # characters of context before the first match


def normalise_query(query: str | None) -> str:
    """The query as it is searched and logged: NFKC (full-width Latin and half-width kana
    folded), lower case, at most 200 characters, single spaces."""
    text = unicodedata.normalize("NFKC", query or "")[:MAX_QUERY_CHARS]
    return " ".join(text.lower().split())


def search_terms(query: str | None) -> list[str]:
    """The distinct words of ``query`` as the index holds them, in order, at most ten."""
    return list(analyse_query(query).terms)


def search_phrases(query: str | None) -> list[str]:
    """Runs of the query's words written next to each other (送信ドメイン認証: ``送信 ドメイン 認証``)."""
    return [" ".join(phrase) for phrase in analyse_query(query).phrases]


def highlight_terms(query: str | None) -> list[str]:
    """What to mark in titles and snippets: the words as typed, then as indexed (届く for
    届かなかった, the stem ``invit`` for any form of "invite")."""
    analysed = analyse_query(query)
    return list(dict.fromkeys([*analysed.marks, *analysed.terms]))


# --- The search ------------------------------------------------------------------------------------


_WORDS: ArrayField[list[str], list[str]] = ArrayField(TextField())


class IndexWords(Func):
    """PostgreSQL: an article's index as the array of its words, ``faq_article_words(search_title,
    search_body)`` (the words of both columns split on spaces, a ``|`` between groups and empty
    strings beside them), the expression of the GIN index of migration
    ``faq.0007_article_search_words``: change both together, or PostgreSQL no longer uses the index."""

    function = "faq_article_words"
    output_field = _WORDS

    def __init__(self) -> None:
        super().__init__(F("search_title"), F("search_body"))


def _has(term: str, field: str) -> Q:
    return Q(**{f"{field}__contains": f" {term} "})


def _like(term: str) -> Q:
    return _has(term, "search_title") | _has(term, "search_body")


def index_holds(*terms: str) -> Q:
    """Articles whose index holds every one of ``terms`` as whole words (a term of several words,
    as those words next to each other), as ``LIKE '% term %'`` on either column finds them.

    PostgreSQL looks the words up in the GIN index of their array (``IndexWords``), all at once and
    without reading the texts: a word is in either column exactly when it is in the array. Only a
    term of several words (a synonym's, or a query of stop words only) is then also compared as
    text, for its words' order. SQLite, for development and tests, compares the texts."""
    if connections[Article.objects.db].vendor != "postgresql":
        return reduce(and_, [_like(term) for term in terms])
    words = list(dict.fromkeys(word for term in terms for word in term.split(" ") if word))
    runs = [_like(term) for term in terms if " " in term]
    if not words:
        return reduce(and_, runs)
    return reduce(and_, runs, Q(DataContains(IndexWords(), Value(words, output_field=_WORDS))))


def _holds(term: str, field: str) -> Expression:
    """``_has`` where no index can serve it (ranking the articles found): a plain substring search,
    which PostgreSQL runs in half the time of a ``LIKE`` on a long text."""
    return GreaterThan(StrIndex(field, Value(f" {term} ")), 0)


def _holds_anywhere(term: str) -> Q:
    return Q(_holds(term, "search_title")) | Q(_holds(term, "search_body"))


def _points(condition: Q | Expression, points: int) -> Expression:
    return Case(When(condition, then=Value(points)), default=Value(0), output_field=IntegerField())


def _score(query: Query, *, rarity: bool) -> Expression:
    """Points per word; with ``rarity``, each word's times its rarity among the articles found (see
    the module's docstring). Without, as when every article found holds every strong word (which
    makes the point for holding it, and its rarity, the same for all), only the title's points."""
    found = Window(Count("pk"))
    parts: list[Expression] = []
    for term in query.terms:
        title = _holds(term, "search_title")
        if term in query.weak:
            parts.append(_points(title, WEAK_TITLE_WEIGHT))
            continue
        if not rarity:  # every article found holds the word: only where it does counts
            parts.append(_points(title, TITLE_WEIGHT))
            continue
        points = _points(title, TITLE_WEIGHT) + _points(_holds_anywhere(term), BODY_WEIGHT)
        holding = Window(Sum(_points(_holds_anywhere(term), 1)))
        parts.append(points * Ln(Value(1.0) + (found + Value(1.0)) / (holding + Value(0.5))))
    for phrase in query.phrases:
        words = " ".join(phrase)
        parts.append(
            Case(
                When(_holds(words, "search_title"), then=Value(PHRASE_TITLE_WEIGHT)),
                When(_holds(words, "search_body"), then=Value(PHRASE_WEIGHT)),
                default=Value(0),
                output_field=IntegerField(),
            )
        )
    return ExpressionWrapper(reduce(add, parts), output_field=FloatField())


def _holding(terms: list[str], *, at_least: int) -> RawSQL:
    """The ids of the articles that hold at least ``at_least`` of ``terms``: each word looked up on
    its own (on PostgreSQL, one scan of the words' index; on SQLite, a comparison per column and
    article), and the words found counted per article. Counting them in the ranking query instead
    compares every word with every article that holds any one of them: on 10,000 articles, a
    question of five words (「CSVインポートで一部の行がエラーに」) made 100,000 comparisons of long
    texts for 300 hits."""
    branches = [Article.objects.filter(index_holds(term)).order_by().values(hit=F("pk")) for term in terms]
    sql, params = branches[0].union(*branches[1:], all=True).query.sql_with_params()
    counted = f"SELECT hit FROM ({sql}) holding GROUP BY hit HAVING COUNT(*) >= %s"  # noqa: S608 (Django's SQL, parameters apart)
    return RawSQL(counted, (*params, at_least))  # noqa: S611


def search_articles(query: str, *, user: User | AnonymousUser, language: str) -> QuerySet[Article]:
    """Published articles ``user`` may read (in ``language``, or untranslated) that hold enough of
    the query's words, best first (see the module's docstring). An empty query finds nothing."""
    analysed = analyse_query(query)
    if not analysed.terms:
        return Article.objects.none()
    strong = [term for term in analysed.terms if term not in analysed.weak] or list(analysed.terms)
    articles = in_language(visible_articles(user), language=language)
    every = analysed.required >= len(strong)  # every article found holds every strong word
    if every:
        articles = articles.filter(index_holds(*strong))
    else:
        articles = articles.filter(pk__in=_holding(strong, at_least=analysed.required))
    return (
        articles.select_related("category__parent")
        .defer("search_title", "search_body")  # read by the database only
        .annotate(score=_score(analysed, rarity=not every))
        .order_by("-score", "-view_count", "title", "pk")
    )


@dataclass
class SearchResults:
    query: str
    terms: list[str]
    hits: Sequence[Article]  # each with ``title_html`` and ``snippet`` (highlighted, safe HTML)
    total: int


def search_results(query: str, *, user: User | AnonymousUser, language: str, limit: int) -> SearchResults:
    """The first ``limit`` hits with their highlights, and how many there are in all: two queries."""
    terms = highlight_terms(query)
    # Ranking and counting carry every matching row through the window: without the bodies, which
    # only the hits shown need (a second query), a common word costs a third less.
    found = search_articles(query, user=user, language=language).defer("body").annotate(total=Window(Count("pk")))
    hits = list(found[:limit])
    bodies = dict(Article.objects.filter(pk__in=[hit.pk for hit in hits]).values_list("pk", "body")) if hits else {}
    for hit in hits:
        hit.body = bodies.get(hit.pk, "")
    annotate_highlights(hits, terms=terms)
    return SearchResults(query=normalise_query(query), terms=terms, hits=hits, total=hits[0].total if hits else 0)


# --- Highlighted snippets --------------------------------------------------------------------------

_LATIN_WORD = re.compile(r"[a-z0-9]+")
_ANY_LATIN_WORD = "[A-Za-z0-9]+"


@lru_cache(maxsize=256)
def _marker(terms: tuple[str, ...]) -> tuple[re.Pattern[str], frozenset[str]] | None:
    """A pattern of the terms to mark, and the Latin ones: those are marked as whole words of the
    same stem ("invites" for ``invit``; never "cannot" for "not")."""
    latin = frozenset(term for term in terms if _LATIN_WORD.fullmatch(term))
    literal = sorted((term for term in terms if term and term not in latin), key=len, reverse=True)
    if not literal and not latin:
        return None
    # Longest first, so 「送信ドメイン」 is marked whole rather than as 「送信」 and the rest.
    alternatives = [re.escape(term) for term in literal] + ([_ANY_LATIN_WORD] if latin else [])
    return re.compile("|".join(alternatives), re.IGNORECASE), latin


def _matches(text: str, terms: list[str]) -> Iterable[re.Match[str]]:
    marker = _marker(tuple(terms))
    if marker is None:
        return
    pattern, latin = marker
    for match in pattern.finditer(text):
        found = match.group().lower()
        if _LATIN_WORD.fullmatch(found) and found not in latin and stem(found) not in latin:
            continue
        yield match


def highlight(text: str, terms: list[str]) -> SafeString:
    """``text`` escaped, with every occurrence of a term wrapped in ``<mark>``."""
    parts: list[str] = []
    position = 0
    for match in _matches(text, terms):
        parts.append(escape(text[position : match.start()]))
        parts.append(f"<mark>{escape(match.group())}</mark>")
        position = match.end()
    parts.append(escape(text[position:]))
    return mark_safe("".join(parts))  # noqa: S308 (every piece of text is escaped above)


def snippet(*, body: str, summary: str = "", terms: list[str], length: int = SNIPPET_CHARS) -> SafeString:
    """About ``length`` characters of the body around the first match, highlighted; the summary
    (or the body's start) when only the title matched."""
    text = plain_text(body)
    match = next(iter(_matches(text, terms)), None)
    if match is None:
        if summary:
            return highlight(summary, terms)
        start = 0
    else:
        start = max(0, match.start() - SNIPPET_LEAD)
        if start:
            space = text.find(" ", start, match.start())
            if space != -1 and space - start < 20:
                start = space + 1  # do not cut an English word in half
    end = min(len(text), start + length)
    if end < len(text):
        space = text.rfind(" ", end - 20, end)
        if space > (match.end() if match else start):
            end = space
    excerpt = highlight(text[start:end], terms)
    return mark_safe(("…" if start else "") + excerpt + ("…" if end < len(text) else ""))  # noqa: S308


def annotate_highlights(articles: Iterable[Article], *, terms: list[str]) -> None:
    """Give each article ``title_html`` and ``snippet``, highlighted for ``terms``."""
    for article in articles:
        # Attributes of a search hit, declared on the model without a column.
        article.title_html = highlight(article.title, terms)
        article.snippet = snippet(body=article.body, summary=article.summary, terms=terms)
