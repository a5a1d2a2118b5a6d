"""Every write of the knowledge base: revisions, publishing, views and votes."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import F, Field, Q, QuerySet
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from faq.analysis import synonym_words, word_terms
from faq.models import (
    Article,
    ArticleRevision,
    ArticleStep,
    ArticleView,
    ArticleVote,
    Category,
    SearchLog,
    Synonym,
    Tag,
)
from faq.search import index_holds, normalise_query
from portal.models import Segment, User

# The fields a revision keeps, in the order its "what changed" summary lists them.
SNAPSHOT_FIELDS = [
    "kind",
    "title",
    "slug",
    "language",
    "translation_of",
    "category",
    "summary",
    "body",
    "visibility",
    "status",
    "published_at",
    "position",
    "video_url",
    "video_file",
]
SNAPSHOT_RELATED = ["segments", "tags", "steps"]


def _article_field(name: str) -> Field[Any, Any]:
    field = Article._meta.get_field(name)
    assert isinstance(field, Field)  # the snapshot's fields are the article's own, not reverse relations
    return field


def article_snapshot(*, article: Article) -> dict[str, Any]:
    """Every field of ``article`` as JSON, related rows included."""
    data: dict[str, Any] = {}
    for name in SNAPSHOT_FIELDS:
        field = _article_field(name)
        value = getattr(article, field.attname)
        if isinstance(value, dt.datetime):
            value = value.isoformat()
        elif name == "video_file":
            value = value.name or ""
        data[name] = value
    data["segments"] = sorted(article.segments.values_list("pk", flat=True))
    data["tags"] = sorted(article.tags.values_list("pk", flat=True))
    data["steps"] = sorted([list(pair) for pair in article.steps.values_list("playbook_key", "step_key")])
    return data


def _field_label(name: str) -> str:
    if name == "steps":
        return str(ArticleStep._meta.verbose_name_plural)
    return str(_article_field(name).verbose_name)


@transaction.atomic
def revision_record(*, article: Article, by: User | AnonymousUser | None, note: str = "") -> ArticleRevision:
    """Keep the article as it is now, with the fields that differ from the previous revision."""
    snapshot = article_snapshot(article=article)
    previous = ArticleRevision.objects.select_for_update().filter(article=article).order_by("-number").first()
    if previous is None:
        changed: list[str] = []
        summary = _("Article created.")
    else:
        changed = [name for name in SNAPSHOT_FIELDS + SNAPSHOT_RELATED if previous.snapshot.get(name) != snapshot[name]]
        summary = (
            _("Changed: %(fields)s.") % {"fields": ", ".join(_field_label(n) for n in changed)}
            if changed
            else _("Saved without changes.")
        )
    if note:
        summary = f"{note} {summary}" if previous is not None else note
    return ArticleRevision.objects.create(
        article=article,
        number=(previous.number + 1) if previous else 1,
        created_by=by if by is not None and by.is_authenticated else None,
        snapshot=snapshot,
        changed_fields=changed,
        summary=summary[:300],
    )


@transaction.atomic
def revision_restore(*, revision: ArticleRevision, by: User) -> ArticleRevision:
    """Put the article back as it was in ``revision``; the restore is itself a new revision."""
    article = Article.objects.select_for_update().get(pk=revision.article_id)
    data = revision.snapshot
    for name in SNAPSHOT_FIELDS:
        if name not in data:
            continue
        field = _article_field(name)
        value = data[name]
        if name == "published_at" and value:
            value = dt.datetime.fromisoformat(value)
        setattr(article, field.attname, value)
    if article.status == Article.Status.PUBLISHED and article.published_at is None:
        article.published_at = timezone.now()
    article.updated_by = by
    try:
        article.validate_unique()
        article.validate_constraints()
    except ValidationError as error:
        # e.g. the old slug is now taken by another article
        raise ValidationError(
            _("Revision %(number)s cannot be restored: %(reason)s")
            % {"number": revision.number, "reason": " ".join(error.messages)}
        ) from error
    if not Category.objects.filter(pk=article.category_id).exists():
        raise ValidationError(
            _("Revision %(number)s cannot be restored: its category no longer exists.") % {"number": revision.number}
        )
    if article.translation_of_id and not Article.objects.filter(pk=article.translation_of_id).exists():
        article.translation_of_id = None
    article.save()
    # Segments and tags deleted since the revision are left out rather than restored.
    article.segments.set(Segment.objects.filter(pk__in=data.get("segments", [])))
    article.tags.set(Tag.objects.filter(pk__in=data.get("tags", [])))
    ArticleStep.objects.filter(article=article).delete()
    ArticleStep.objects.bulk_create(
        [ArticleStep(article=article, playbook_key=p, step_key=s) for p, s in data.get("steps", [])]
    )
    return revision_record(
        article=article, by=by, note=_("Restored revision %(number)s.") % {"number": revision.number}
    )


@transaction.atomic
def article_publish(*, article: Article, by: User) -> Article:
    if article.status != Article.Status.PUBLISHED:
        article.status = Article.Status.PUBLISHED
        article.published_at = timezone.now()
        article.updated_by = by
        article.save(update_fields=["status", "published_at", "updated_by", "updated_at"])
        revision_record(article=article, by=by)
    return article


@transaction.atomic
def article_unpublish(*, article: Article, by: User) -> Article:
    if article.status != Article.Status.DRAFT:
        article.status = Article.Status.DRAFT
        article.published_at = None
        article.updated_by = by
        article.save(update_fields=["status", "published_at", "updated_by", "updated_at"])
        revision_record(article=article, by=by)
    return article


def visitor_key(*, user: User | AnonymousUser | None, session_key: str | None) -> str | None:
    if user is not None and user.is_authenticated:
        return f"u:{user.pk}"
    return f"s:{session_key}" if session_key else None


def anonymous_visitor_key(*, address: str | None, user_agent: str, day: dt.date | None = None) -> str:
    """An anonymous reader, told apart without a session: a keyed digest of their address, browser and
    the (UTC) day, so reading writes no session row (one per request for a client that keeps no
    cookies) and the address is not stored. The digest changes every day: an anonymous reader is one
    reader a day and is not followed from day to day; people behind one address with the same browser
    count as one."""
    day = day or timezone.now().astimezone(dt.UTC).date()
    digest = salted_hmac("faq.anonymous_visitor", f"{day.isoformat()}|{address or ''}|{user_agent}", algorithm="sha256")
    return f"a:{digest.hexdigest()[:32]}"


# The views this process has recorded lately (article, visitor, day): a reader who reloads or comes
# back the same day is counted already, and asking the database again would change nothing.
RECORDED_VIEWS_KEPT = 10_000
_recorded_views: set[tuple[int, str, dt.date]] = set()


def view_record(*, article: Article | int, visitor: str, day: dt.date | None = None) -> bool:
    """Count one view per visitor, article (or its id) and UTC day. True when this was the first one today."""
    pk = article if isinstance(article, int) else article.pk
    day = day or timezone.now().astimezone(dt.UTC).date()
    seen = (pk, visitor, day)
    if seen in _recorded_views:
        return False
    if len(_recorded_views) >= RECORDED_VIEWS_KEPT:
        _recorded_views.clear()
    quote = connection.ops.quote_name
    table, columns = quote(ArticleView._meta.db_table), ", ".join(map(quote, ["article_id", "day", "visitor"]))
    insert = f"INSERT INTO {table} ({columns}) VALUES (%s, %s, %s) ON CONFLICT DO NOTHING"  # noqa: S608
    params = [pk, connection.ops.adapt_datefield_value(day), visitor]
    # One statement for a reader counted already today (most of them), concurrent readers included:
    # both databases know ON CONFLICT, and its row count says whether the row is new. PostgreSQL adds
    # the view to the article's count in the same statement (SQLite has no INSERT in a WITH).
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            articles, count = quote(Article._meta.db_table), quote("view_count")
            cursor.execute(
                f"WITH v AS ({insert} RETURNING 1) UPDATE {articles} SET {count} = {count} + 1 "  # noqa: S608
                f"WHERE {quote('id')} = %s AND EXISTS (SELECT 1 FROM v)",
                [*params, pk],
            )
            new: bool = cursor.rowcount == 1
        else:
            cursor.execute(insert, params)
            new = cursor.rowcount == 1
            if new:
                Article.objects.filter(pk=pk).update(view_count=F("view_count") + 1)
    # Known once the row is committed (at once outside a transaction): a rolled-back one is asked again.
    transaction.on_commit(lambda: _recorded_views.add(seen))
    return new


class VoteLimitReached(Exception):
    pass


@transaction.atomic
def vote_record(
    *,
    article: Article,
    helpful: bool,
    comment: str | None = None,
    user: User | AnonymousUser | None,
    session_key: str | None,
) -> ArticleVote:
    """Record or change one person's answer to “was this helpful?”.

    Signed-in people vote once per article; anonymous visitors once per article and session,
    on at most FAQ_ANONYMOUS_VOTES_PER_SESSION articles per session.
    """
    new_comment = (comment or "").strip()[:2000]
    vote: ArticleVote | None
    if user is not None and user.is_authenticated:
        vote, created = ArticleVote.objects.select_for_update().get_or_create(
            article=article, user=user, defaults={"helpful": helpful, "comment": new_comment}
        )
    else:
        if not session_key:
            raise VoteLimitReached
        existing = ArticleVote.objects.select_for_update().filter(
            article=article, user__isnull=True, session_key=session_key
        )
        vote = existing.first()
        created = False
        if vote is None:
            used = ArticleVote.objects.filter(user__isnull=True, session_key=session_key).count()
            if used >= settings.FAQ_ANONYMOUS_VOTES_PER_SESSION:
                raise VoteLimitReached
            vote = ArticleVote.objects.create(
                article=article, session_key=session_key, helpful=helpful, comment=new_comment
            )
            created = True
    if not created:
        vote.helpful = helpful
        if comment is not None:  # None keeps the earlier comment; "" clears it
            vote.comment = new_comment
        vote.save(update_fields=["helpful", "comment", "updated_at"])
    return vote


def search_log_record(
    *, query: str, results: int, language: str, user: User | AnonymousUser | None, source: str
) -> SearchLog:
    """Keep one search (normalised query, how many articles it found): a single INSERT."""
    return SearchLog.objects.create(
        query=normalise_query(query),
        results=results,
        language=language,
        user=user if user is not None and user.is_authenticated else None,
        source=source,
    )


# --- The search index ---------------------------------------------------------------------------------

INDEX_BATCH = 200


def search_index_rebuild(*, articles: QuerySet[Article] | None = None) -> int:
    """Index ``articles`` (all of them by default) again with the synonyms of now; returns how many.
    For synonyms that changed, and after the analysis itself changed (``manage.py rebuild_search_index``)."""
    synonyms = Synonym.objects.current()
    queryset = Article.objects.all() if articles is None else articles
    batch: list[Article] = []
    count = 0
    for article in queryset.only("pk", "title", "summary", "body").order_by("pk").iterator(chunk_size=INDEX_BATCH):
        article.index(synonyms=synonyms)
        batch.append(article)
        if len(batch) == INDEX_BATCH:
            count += Article.objects.bulk_update(batch, ["search_title", "search_body"])
            batch = []
    return count + (Article.objects.bulk_update(batch, ["search_title", "search_body"]) if batch else 0)


def _holding_any(words: list[str]) -> QuerySet[Article]:
    """Articles whose index holds one of ``words`` (as written or as a synonym)."""
    found = Q(pk__in=[])
    for word in words:
        if terms := word_terms(word):
            found |= index_holds(" ".join(terms))
    return Article.objects.filter(found)


@transaction.atomic
def synonym_save(*, synonym: Synonym, previous_words: str = "") -> int:
    """Save a synonym group and index again the articles that hold one of its words, before or
    after the change (the others are not affected); returns how many were indexed."""
    synonym.save()
    words = synonym_words(previous_words) + synonym_words(synonym.words)
    return search_index_rebuild(articles=_holding_any(words))


@transaction.atomic
def synonym_delete(*, synonym: Synonym) -> int:
    """Delete a synonym group; the articles it had added words to are indexed again without them."""
    words = synonym_words(synonym.words)
    synonym.delete()
    return search_index_rebuild(articles=_holding_any(words))


def forget_recorded_views() -> None:
    """Forget which views this process recorded (tests whose database starts anew)."""
    _recorded_views.clear()
