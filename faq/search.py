"""Searching the help centre, in Japanese and English, on PostgreSQL and SQLite.

A query is normalised (NFKC, lower case, one space between words) and cut into terms: at
spaces and punctuation, between Latin and Japanese script, and at particles and auxiliary
endings (「パスワードをリセットしたい」 → パスワード, リセット), so a Japanese sentence typed
without spaces still finds the articles that use its words.

- Terms of 3+ characters find articles through a trigram index: on PostgreSQL GIN
  ``UPPER(col) gin_trgm_ops`` indexes, which serve Django's ``icontains``; on SQLite the FTS5
  table ``faq_article_fts`` (``trigram`` tokenizer), kept in sync by triggers. Both are created
  by migration ``faq.0003_search_indexes``.
- A query made only of 1-2 character terms (設定, UI) cannot use trigrams: plain ``icontains``.
- Shorter terms next to a longer one only add to the score, so one common word does not
  turn the search into a scan of every article.

Ranking: for every term, 3 points when it is in the title and 1 when it is anywhere, so
articles matching more terms, and in their title, come first; ties go to trigram word
similarity with the title over the summary (PostgreSQL) or bm25 with the title weighted
over the summary and body (SQLite), then to the most read.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import reduce
from operator import add, or_

from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.db.models import (
    Case,
    Count,
    Expression,
    F,
    FloatField,
    Func,
    IntegerField,
    Q,
    QuerySet,
    Value,
    When,
    Window,
)
from django.db.models.expressions import RawSQL
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from faq.models import Article
from faq.selectors import in_language, visible_articles
from portal.models import User

MAX_QUERY_CHARS = 200
MAX_TERMS = 10
MIN_TRIGRAM_CHARS = 3
TITLE_WEIGHT = 3  # a term in the title counts three times a term only in the summary or body
PHRASE_WEIGHT = 4  # a compound found whole in the summary or body: more than a part of it in the title
SNIPPET_CHARS = 160
SNIPPET_LEAD = 40  # characters of context before the first match
BM25_WEIGHTS = (10.0, 3.0, 1.0)  # title, summary, body

# --- Normalising and cutting a query into terms ---------------------------------------------------

# Spaces, Japanese punctuation and brackets, and ASCII ones (NFKC has folded the full-width forms).
_SEPARATORS = re.compile('[\\s\u3001\u3002\u30fb\u300c-\u3011()\\[\\]{}!?:;"\u201c\u201d\u2018\u2019|/\\\\<>]+')
_PARTICLES = set("のをにがはでとへやも")
_LOOSE_PARTICLES = (_PARTICLES - {"や"}) | set("かねよな")  # やり方 is a word, not や + り
_ENGLISH_STOP_WORDS = {
    *("a", "an", "and", "are", "can", "do", "does", "for", "how", "i", "in", "is", "it", "my", "of", "on"),
    *("or", "the", "to", "what", "when", "where", "which", "why", "with", "you", "your"),
}
# Endings that are grammar, not content: 設定する, 確認できますか, ログインしたい, 方法について.
_AUX_PREFIXES = (
    "する",
    "すれ",
    "して",
    "した",
    "しま",
    "しな",
    "させ",
    "され",
    "でき",
    "です",
    "でし",
    "ます",
    "ませ",
    "から",
    "まで",
    "より",
    "について",
    "とは",
    "など",
    "ので",
    "のに",
    "けど",
    "ください",
    "どこ",
    "どう",
    "どの",
    "どれ",
    "なぜ",
    "なに",
    "なん",
    "いつ",
    "だれ",
)


_LATIN_WORD = re.compile(r"[a-z0-9]+")


def normalise_query(query: str | None) -> str:
    """The query as it is searched and logged: NFKC (full-width Latin and half-width kana
    folded), lower case, at most 200 characters, single spaces."""
    text = unicodedata.normalize("NFKC", query or "")[:MAX_QUERY_CHARS]
    return " ".join(text.lower().split())


def _script(char: str) -> str:
    if "\u3041" <= char <= "\u309f":
        return "hiragana"
    if "\u30a0" <= char <= "\u30ff" or "\u31f0" <= char <= "\u31ff":
        return "katakana"
    if "\u4e00" <= char <= "\u9fff" or "\u3400" <= char <= "\u4dbf" or char in "々〆〇":
        return "kanji"
    if char.isdigit():
        return "digit"
    if char.isalpha():
        return "latin"
    return "symbol"


def _runs(chunk: str) -> list[tuple[str, str]]:
    runs: list[tuple[str, str]] = []
    for char in chunk:
        script = _script(char)
        if runs and runs[-1][0] == script:
            runs[-1] = (script, runs[-1][1] + char)
        else:
            runs.append((script, char))
    return runs


def _is_grammar(run: str, *, after_kanji: bool) -> bool:
    """A hiragana run that is a particle or an auxiliary ending rather than part of a word.
    After kanji, other hiragana is okurigana (届かない, 使い方) and stays with its word."""
    particles = _PARTICLES if after_kanji else _LOOSE_PARTICLES
    return run[0] in particles or run.startswith(_AUX_PREFIXES)


def _chunk_groups(chunk: str) -> list[list[str]]:
    """The words of one chunk, grouped: words written next to each other (送信|ドメイン|認証,
    csv|インポート) are a group, and particles or endings separate groups."""
    runs = _runs(chunk)
    if all(script == "hiragana" for script, _ in runs):
        # A word in kana only (ようこそ) stays whole; a particle or ending on its own goes.
        return [] if len(chunk) == 1 or chunk.startswith(_AUX_PREFIXES) else [[chunk]]
    groups: list[list[str]] = [[]]
    buffer = ""
    kind = ""  # "latin" or "japanese": what the buffer holds
    last = ""  # the script of the buffer's last run

    def flush(*, boundary: bool) -> None:
        nonlocal buffer, kind
        if buffer and not (len(buffer) == 1 and _script(buffer) == "hiragana"):
            groups[-1].append(buffer)
        buffer, kind = "", ""
        if boundary and groups[-1]:
            groups.append([])

    for script, text in runs:
        if script == "hiragana":
            if (
                not text.startswith(_AUX_PREFIXES)
                and text[0] in _PARTICLES
                and len(text) > 1
                and not _is_grammar(text[1:], after_kanji=False)
            ):
                flush(boundary=True)  # a particle, then a word: のやり(方)
                text = text[1:]
                last = ""
            if _is_grammar(text, after_kanji=last == "kanji" and kind == "japanese"):
                flush(boundary=True)
            elif last == "kanji" and kind == "japanese":
                buffer += text  # okurigana
            else:
                flush(boundary=True)
                buffer, kind = text, "japanese"
        elif script in ("kanji", "katakana"):
            # A compound is cut between kanji and katakana (送信|ドメイン|認証): the parts find
            # articles that word it differently, and the whole still scores as a phrase.
            if kind == "latin" or (kind == "japanese" and last in ("kanji", "katakana") and last != script):
                flush(boundary=False)
            buffer += text
            kind = "japanese"
        elif script == "latin":
            if kind == "japanese":
                flush(boundary=False)
            buffer += text
            kind = "latin"
        elif script == "digit":
            buffer += text  # 2段階認証, v2: digits join the word on either side
        elif kind == "latin":
            buffer += text  # e-mail, example.com
        else:
            flush(boundary=True)
        last = script
    flush(boundary=True)
    return [group for group in groups if group]


def _groups(query: str | None) -> list[list[str]]:
    groups: list[list[str]] = []
    for chunk in _SEPARATORS.split(normalise_query(query)):
        for group in _chunk_groups(chunk) if chunk else []:
            words = [word.strip("-_.@+'") for word in group]
            words = [word for word in words if any(char.isalnum() for char in word)]
            if words:
                groups.append(words)
    return groups


def search_terms(query: str | None) -> list[str]:
    """The distinct terms of ``query``, in order, at most ten; none for an empty query."""
    terms: list[str] = []
    for group in _groups(query):
        terms.extend(word for word in group if word not in terms)
    content = [term for term in terms if term not in _ENGLISH_STOP_WORDS]
    if not content and not terms:  # only particles and endings: search for what was typed
        content = [chunk for chunk in _SEPARATORS.split(normalise_query(query)) if chunk]
    return (content or terms)[:MAX_TERMS]


def search_phrases(query: str | None) -> list[str]:
    """Compounds the query cut into several terms (送信ドメイン認証): found whole, they score more."""
    phrases = ["".join(group) for group in _groups(query) if len(group) > 1]
    return list(dict.fromkeys(phrases))[:MAX_TERMS]


def highlight_terms(query: str | None) -> list[str]:
    """What to mark in titles and snippets: phrases first, then terms."""
    return list(dict.fromkeys(search_phrases(query) + search_terms(query)))


# --- The search ------------------------------------------------------------------------------------


def _contains(term: str) -> Q:
    return Q(title__icontains=term) | Q(summary__icontains=term) | Q(body__icontains=term)


def _fts_expression(terms: list[str]) -> str:
    """An FTS5 query: any of the terms, each as a quoted phrase (a substring, with trigrams)."""
    return " OR ".join('"{}"'.format(term.replace('"', '""')) for term in terms)


def _relevance(query: str, long_terms: list[str]) -> Expression:
    """The tie-breaker between articles with the same score, higher is better."""
    if connection.vendor == "postgresql" and long_terms:
        title = Func(Value(query), F("title"), function="word_similarity", output_field=FloatField())
        summary = Func(Value(query), F("summary"), function="word_similarity", output_field=FloatField())
        return title * Value(2.0) + summary
    if connection.vendor == "sqlite" and long_terms:
        return RawSQL(
            "SELECT -bm25(faq_article_fts, %s, %s, %s) FROM faq_article_fts "
            'WHERE faq_article_fts MATCH %s AND faq_article_fts.rowid = "faq_article"."id"',
            [*BM25_WEIGHTS, _fts_expression(long_terms)],
            output_field=FloatField(),
        )
    return Value(0.0, output_field=FloatField())


def _candidates(long_terms: list[str], short_terms: list[str]) -> Q:
    if not long_terms:
        return reduce(or_, [_contains(term) for term in short_terms])
    if connection.vendor == "sqlite":
        return Q(
            pk__in=RawSQL(
                "SELECT rowid FROM faq_article_fts WHERE faq_article_fts MATCH %s",
                [_fts_expression(long_terms)],
            )
        )
    return reduce(or_, [_contains(term) for term in long_terms])


def search_articles(query: str, *, user: User | AnonymousUser, language: str) -> QuerySet[Article]:
    """Published articles ``user`` may read (in ``language``, or untranslated) that contain
    the query's terms, best first (see the module's docstring). An empty query finds nothing."""
    terms = search_terms(query)
    if not terms:
        return Article.objects.none()
    long_terms = [term for term in terms if len(term) >= MIN_TRIGRAM_CHARS]
    short_terms = [term for term in terms if len(term) < MIN_TRIGRAM_CHARS]
    score = reduce(
        add,
        [
            Case(When(title__icontains=term, then=Value(TITLE_WEIGHT)), default=Value(0), output_field=IntegerField())
            # Every candidate contains a lone term: no need to search its body a second time.
            + (
                Value(1)
                if len(terms) == 1
                else Case(When(_contains(term), then=Value(1)), default=Value(0), output_field=IntegerField())
            )
            for term in terms
        ]
        + [
            # A compound found whole (送信ドメイン認証) beats its parts found apart or alone.
            Case(
                When(title__icontains=phrase, then=Value(2 * TITLE_WEIGHT)),
                When(_contains(phrase), then=Value(PHRASE_WEIGHT)),
                default=Value(0),
                output_field=IntegerField(),
            )
            for phrase in search_phrases(query)
        ]
        + [
            # A Latin term as a whole word of the title (“UI”, not “build”); the same regex on both databases.
            Case(
                When(title__iregex=f"(^|[^a-z0-9]){term}([^a-z0-9]|$)", then=Value(1)),
                default=Value(0),
                output_field=IntegerField(),
            )
            for term in terms
            if _LATIN_WORD.fullmatch(term)
        ],
    )
    return (
        in_language(visible_articles(user), language=language)
        .filter(_candidates(long_terms, short_terms))
        .select_related("category__parent")
        .annotate(score=score, relevance=_relevance(normalise_query(query), long_terms))
        .order_by("-score", "-relevance", "-view_count", "title", "pk")
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

_MARKDOWN = [
    (re.compile(r"^\s*(```|~~~).*$", re.MULTILINE), " "),  # code fences
    (re.compile(r"!\[([^\]]*)\]\([^)]*\)"), r"\1"),  # images: their description
    (re.compile(r"\[([^\]]*)\]\([^)]*\)"), r"\1"),  # links: their text
    (re.compile(r"^\s{0,3}(#{1,6}|>|[-*+]|\d+[.)])\s+", re.MULTILINE), ""),  # headings, quotes, lists
    (re.compile(r"\*\*|__|~~|[*`]"), ""),  # emphasis and code marks
]


def plain_text(markdown: str) -> str:
    """The words of a markdown body, without its markup, on one line (not HTML: escape it)."""
    text = markdown or ""
    for pattern, replacement in _MARKDOWN:
        text = pattern.sub(replacement, text)
    return " ".join(text.split())


def _term_pattern(terms: list[str]) -> re.Pattern[str] | None:
    if not terms:
        return None
    # Longest first, so 「送信ドメイン」 is marked whole rather than as 「送信」 and the rest.
    return re.compile("|".join(re.escape(term) for term in sorted(terms, key=len, reverse=True)), re.IGNORECASE)


def highlight(text: str, terms: list[str]) -> SafeString:
    """``text`` escaped, with every occurrence of a term wrapped in ``<mark>``."""
    pattern = _term_pattern(terms)
    if pattern is None:
        return escape(text)
    parts: list[str] = []
    position = 0
    for match in pattern.finditer(text):
        parts.append(escape(text[position : match.start()]))
        parts.append(f"<mark>{escape(match.group())}</mark>")
        position = match.end()
    parts.append(escape(text[position:]))
    return mark_safe("".join(parts))  # noqa: S308 (every piece of text is escaped above)


def snippet(*, body: str, summary: str = "", terms: list[str], length: int = SNIPPET_CHARS) -> SafeString:
    """About ``length`` characters of the body around the first match, highlighted; the summary
    (or the body's start) when only the title matched."""
    text = plain_text(body)
    pattern = _term_pattern(terms)
    match = pattern.search(text) if pattern else None
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


# --- Indexes that only SQL can create (see the migration) -----------------------------------------

SQLITE_TRIGGERS = {
    "faq_article_fts_insert": """
        CREATE TRIGGER IF NOT EXISTS faq_article_fts_insert AFTER INSERT ON faq_article BEGIN
            INSERT INTO faq_article_fts(rowid, title, summary, body) VALUES (new.id, new.title, new.summary, new.body);
        END""",
    "faq_article_fts_delete": """
        CREATE TRIGGER IF NOT EXISTS faq_article_fts_delete AFTER DELETE ON faq_article BEGIN
            INSERT INTO faq_article_fts(faq_article_fts, rowid, title, summary, body)
            VALUES ('delete', old.id, old.title, old.summary, old.body);
        END""",
    "faq_article_fts_update": """
        CREATE TRIGGER IF NOT EXISTS faq_article_fts_update AFTER UPDATE OF title, summary, body ON faq_article BEGIN
            INSERT INTO faq_article_fts(faq_article_fts, rowid, title, summary, body)
            VALUES ('delete', old.id, old.title, old.summary, old.body);
            INSERT INTO faq_article_fts(rowid, title, summary, body) VALUES (new.id, new.title, new.summary, new.body);
        END""",
}


def sqlite_search_index_repair(using: str = "default", **kwargs: object) -> None:
    """Put back the FTS5 triggers when a later migration rebuilt ``faq_article`` (SQLite alters a
    table by copying it, which drops its triggers), and re-index. Runs after every ``migrate``."""
    from django.db import connections

    conn = connections[using]
    if conn.vendor != "sqlite":
        return
    with conn.cursor() as cursor:
        cursor.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'trigger')")
        present = {row[0] for row in cursor.fetchall()}
        if "faq_article_fts" not in present or set(SQLITE_TRIGGERS) <= present:
            return  # not migrated that far yet, or nothing to repair
        for sql in SQLITE_TRIGGERS.values():
            cursor.execute(sql)
        cursor.execute("INSERT INTO faq_article_fts(faq_article_fts) VALUES ('rebuild')")
