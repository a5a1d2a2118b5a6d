"""Demo help content: categories, tags, tutorials and FAQ entries in Japanese and English (the content
is in ``faq.demo_articles``), linked to the demo playbooks' steps by key.

Safe to run again: what exists is left as it is, and only missing synonyms, categories, tags and articles
(in either language) are added, each new article with its first revision."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone

from faq.demo_articles import ARTICLES, CATEGORIES, FEATURED, SYNONYMS, TAGS, DemoArticle, Text
from faq.models import Article, ArticleStep, Category, Synonym, Tag
from faq.services import revision_record
from portal.models import Segment, User

POSITION_STEP = 10  # room to slot an article in between without renumbering the others (featured: 1, 2, …)


def _categories() -> dict[str, Category]:
    categories: dict[str, Category] = {}
    for spec in CATEGORIES:
        categories[spec.slug], _created = Category.objects.get_or_create(
            slug=spec.slug,
            defaults={
                "parent": categories.get(spec.parent or ""),
                "name": spec.name,
                "name_en": spec.name_en,
                "description": spec.description,
                "description_en": spec.description_en,
                "position": spec.position,
            },
        )
    return categories


def _tags() -> dict[str, Tag]:
    return {slug: Tag.objects.get_or_create(slug=slug, defaults={"name": name})[0] for slug, name in TAGS}


def _synonyms() -> None:
    """The demo synonyms that are not there yet, before the articles, which are indexed with them."""
    existing = set(Synonym.objects.values_list("words", flat=True))
    Synonym.objects.bulk_create([Synonym(words=words) for words in SYNONYMS if words not in existing])


def _positions() -> dict[str, int]:
    """Each article's place: the featured ones first (they lead their categories too), then the others of a
    category in the order ARTICLES lists them."""
    positions = {slug: n for n, slug in enumerate(FEATURED, start=1)}
    seen: dict[str, int] = {}
    for spec in ARTICLES:
        if spec.slug not in positions:
            seen[spec.category] = seen.get(spec.category, 0) + 1
            positions[spec.slug] = seen[spec.category] * POSITION_STEP
    return positions


def seed_help_centre(*, by: User | None, step_playbooks: dict[str, set[str]]) -> int:
    """Create the demo categories, tags and articles that do not exist yet, each linked to the steps it
    helps with (``step_playbooks``: for each step key, the playbooks that have it). Returns how many
    articles were added."""
    _synonyms()
    categories = _categories()
    tags = _tags()
    positions = _positions()
    segments = {s.slug: s for s in Segment.objects.all()}
    existing = {
        (language, slug): pk
        for pk, language, slug in Article.objects.filter(slug__in=[s.slug for s in ARTICLES]).values_list(
            "pk", "language", "slug"
        )
    }
    now = timezone.now()
    added = 0
    for spec in ARTICLES:
        for language, text in (("ja", spec.ja), ("en", spec.en)):
            if text is None or (language, spec.slug) in existing:
                continue
            article = _create(
                spec,
                text,
                language=language,
                translation_of_id=existing.get(("ja", spec.slug)) if language == "en" else None,
                category=categories[spec.category],
                position=positions[spec.slug],
                now=now,
                by=by,
            )
            article.segments.set([segments[s] for s in spec.segments if s in segments])
            article.tags.set([tags[t] for t in spec.tags])
            ArticleStep.objects.bulk_create(
                [
                    ArticleStep(article=article, playbook_key=playbook_key, step_key=step_key)
                    for step_key in spec.steps
                    for playbook_key in sorted(step_playbooks.get(step_key, ()))
                ]
            )
            revision_record(article=article, by=by)
            existing[language, spec.slug] = article.pk
            added += 1
    return added


def _create(
    spec: DemoArticle,
    text: Text,
    *,
    language: str,
    translation_of_id: int | None,
    category: Category,
    position: int,
    now: datetime,
    by: User | None,
) -> Article:
    article = Article(
        kind=spec.kind,
        slug=spec.slug,
        language=language,
        translation_of_id=translation_of_id,
        category=category,
        title=text.title,
        summary=text.summary,
        body=text.body,
        video_url=text.video_url,
        visibility=spec.visibility,
        status=Article.Status.DRAFT if spec.draft else Article.Status.PUBLISHED,
        published_at=None if spec.draft else now,
        position=position,
        updated_by=by,
    )
    article.full_clean(exclude=["video_file"])
    article.save()
    return article
