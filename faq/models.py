"""The knowledge base: categories, articles (FAQ entries and tutorials) in Japanese and
English, their revisions, images, the onboarding steps they help with, and what readers
do with them (views, helpfulness votes)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from faq.analysis import Synonyms, article_index, synonym_words, word_terms
from faq.validators import VideoEmbed, parse_video_url, validate_image, validate_mp4, validate_video_url
from portal.models import Segment

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class Category(models.Model):
    """A shelf of the help centre. Two levels: a top-level category and its sub-categories."""

    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent category"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        limit_choices_to={"parent__isnull": True},
        help_text=_("Leave empty for a top-level category."),
    )
    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    name = models.CharField(_("name (Japanese)"), max_length=120)
    name_en = models.CharField(_("name (English)"), max_length=120, blank=True)
    description = models.CharField(_("description (Japanese)"), max_length=300, blank=True)
    description_en = models.CharField(_("description (English)"), max_length=300, blank=True)
    position = models.PositiveIntegerField(_("position"), default=0)

    # Set on rows by some queries (annotations) and views; not columns.
    article_count: int

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        ordering = ["position", "name"]

    def __str__(self) -> str:
        return f"{self.parent.name} / {self.name}" if self.parent_id and self.parent else self.name

    def get_absolute_url(self) -> str:
        return reverse("faq:category", kwargs={"slug": self.slug})

    def clean(self) -> None:
        if self.parent_id is None:
            return
        if self.pk is not None and self.parent_id == self.pk:
            raise ValidationError({"parent": _("A category cannot be its own parent.")})
        parent = self.parent  # loaded (or DoesNotExist) since parent_id is set
        if parent is not None and parent.parent_id is not None:
            raise ValidationError({"parent": _("Choose a top-level category: categories have two levels.")})
        if self.pk is not None and self.children.exists():
            raise ValidationError({"parent": _("This category has sub-categories, so it must stay top-level.")})

    def name_in(self, language: str) -> str:
        return self.name_en if language == "en" and self.name_en else self.name

    def description_in(self, language: str) -> str:
        return self.description_en if language == "en" and self.description_en else self.description


class Tag(models.Model):
    name = models.CharField(_("name"), max_length=60, unique=True)
    slug = models.SlugField(_("slug"), max_length=60, unique=True)

    class Meta:
        verbose_name = _("tag")
        verbose_name_plural = _("tags")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Article(models.Model):
    """A FAQ entry (title is the question, body the answer) or a tutorial (longer, in sections)."""

    class Kind(models.TextChoices):
        FAQ = "faq", _("FAQ")
        TUTORIAL = "tutorial", _("Tutorial")

    class Visibility(models.TextChoices):
        PUBLIC = "public", _("Everyone, without signing in")
        CUSTOMERS = "customers", _("Signed-in customers")
        SEGMENTS = "segments", _("Customers of chosen segments")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")

    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.FAQ)
    title = models.CharField(_("title"), max_length=200, help_text=_("For a FAQ entry, the question."))
    slug = models.SlugField(_("slug"), max_length=120, help_text=_("Unique within the language."))
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES, default="ja")
    translation_of = models.ForeignKey(
        "self",
        verbose_name=_("translation of"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="translations",
        limit_choices_to={"translation_of__isnull": True},
        help_text=_("The original article in the other language."),
    )
    category = models.ForeignKey(
        Category, verbose_name=_("category"), on_delete=models.PROTECT, related_name="articles"
    )
    summary = models.CharField(_("summary"), max_length=300, blank=True)
    body = models.TextField(_("body"), blank=True, help_text=_("Markdown. For a FAQ entry, the answer."))
    visibility = models.CharField(
        _("visible to"), max_length=16, choices=Visibility.choices, default=Visibility.CUSTOMERS
    )
    segments = models.ManyToManyField(
        Segment,
        verbose_name=_("segments"),
        blank=True,
        related_name="articles",
        help_text=_("Only for “Customers of chosen segments”."),
    )
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.DRAFT)
    published_at = models.DateTimeField(_("published"), null=True, blank=True)
    tags = models.ManyToManyField(Tag, verbose_name=_("tags"), blank=True, related_name="articles")
    position = models.PositiveIntegerField(_("position"), default=0)
    video_url = models.URLField(
        _("video address"),
        blank=True,
        validators=[validate_video_url],
        help_text=_("A YouTube or Vimeo video; it plays in privacy-enhanced mode."),
    )
    video_file = models.FileField(
        _("video file"),
        upload_to="faq/videos/%Y/%m/",
        blank=True,
        validators=[validate_mp4],
        help_text=_("Or an MP4 video uploaded here."),
    )
    view_count = models.PositiveIntegerField(_("views"), default=0, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("updated by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    # The search index (see faq.analysis): the words of the title, and of the summary and body, with
    # their synonyms. Written by save() whenever the text changes; by a rebuild when synonyms do.
    search_title = models.TextField(_("search words of the title"), blank=True, default="", editable=False)
    search_body = models.TextField(_("search words of the text"), blank=True, default="", editable=False)

    # Set on rows by some queries (annotations) and views; not columns.
    helpful_yes: int
    helpful_total: int
    title_html: str
    snippet: str
    body_html: str

    class Meta:
        verbose_name = _("article")
        verbose_name_plural = _("articles")
        ordering = ["position", "title"]
        constraints = [
            models.UniqueConstraint(
                fields=["language", "slug"],
                name="article_slug_unique_per_language",
                violation_error_message=_("Another article in this language already uses this slug."),
            ),
            models.CheckConstraint(
                condition=Q(status="draft") | Q(published_at__isnull=False),
                name="article_published_has_date",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "visibility", "language"]),
            models.Index(fields=["category", "position"]),
        ]

    def __str__(self) -> str:
        return self.title

    def save(self, *args: Any, **kwargs: Any) -> None:
        # The index is the text in another form, so it is written with the text, whoever saves it
        # (admin, services, the demo seed, imports).
        update_fields = kwargs.get("update_fields")
        if update_fields is None or {"title", "summary", "body"} & set(update_fields):
            self.index(synonyms=Synonym.objects.current())
            if update_fields is not None:
                kwargs["update_fields"] = {*update_fields, "search_title", "search_body"}
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("faq:article", kwargs={"language": self.language, "slug": self.slug})

    def clean(self) -> None:
        errors: dict[str, StrOrPromise] = {}
        if self.video_url and self.video_file:
            errors["video_file"] = _("Give a video address or a video file, not both.")
        if self.translation_of_id is not None:
            if self.pk is not None and self.translation_of_id == self.pk:
                errors["translation_of"] = _("An article cannot be a translation of itself.")
            elif self.translation_of is not None and self.translation_of.language == self.language:
                errors["translation_of"] = _("A translation is in the other language.")
        if errors:
            raise ValidationError(errors)

    def index(self, *, synonyms: Synonyms) -> None:
        """Set the search index from the title, summary and body (not saved)."""
        self.search_title, self.search_body = article_index(
            title=self.title, summary=self.summary, body=self.body, synonyms=synonyms
        )

    @property
    def is_published(self) -> bool:
        return self.status == self.Status.PUBLISHED

    @property
    def is_tutorial(self) -> bool:
        return self.kind == self.Kind.TUTORIAL

    @property
    def video_embed(self) -> VideoEmbed | None:
        if not self.video_url:
            return None
        try:
            return parse_video_url(self.video_url)
        except ValidationError:
            return None

    def get_short_url(self) -> str:
        return reverse("faq:short", kwargs={"pk": self.pk})


class ArticleStep(models.Model):
    """An onboarding step an article helps with, by playbook key and step key: keys are shared by
    every version of a playbook, so the link holds when a new version is published."""

    article = models.ForeignKey(Article, verbose_name=_("article"), on_delete=models.CASCADE, related_name="steps")
    playbook_key = models.SlugField(_("playbook key"), max_length=80)
    step_key = models.SlugField(_("step key"), max_length=80)

    class Meta:
        verbose_name = _("onboarding step")
        verbose_name_plural = _("onboarding steps")
        ordering = ["playbook_key", "step_key"]
        constraints = [
            models.UniqueConstraint(fields=["article", "playbook_key", "step_key"], name="article_step_unique")
        ]
        indexes = [models.Index(fields=["playbook_key", "step_key"])]

    def __str__(self) -> str:
        return f"{self.playbook_key} / {self.step_key}"


class ArticleRevision(models.Model):
    """The article as it was after one save: who, when, every field, and what changed."""

    article = models.ForeignKey(Article, verbose_name=_("article"), on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField(_("revision"))
    created_at = models.DateTimeField(_("saved"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("saved by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    snapshot = models.JSONField(_("fields"))
    changed_fields = models.JSONField(_("changed fields"), default=list)
    summary = models.CharField(_("what changed"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("article revision")
        verbose_name_plural = _("article revisions")
        ordering = ["article", "-number"]
        constraints = [models.UniqueConstraint(fields=["article", "number"], name="article_revision_number_unique")]

    def __str__(self) -> str:
        return f"{self.article} #{self.number}"


class ArticleImage(models.Model):
    """An image for article bodies, stored under MEDIA_ROOT and linked from markdown."""

    image = models.FileField(_("image"), upload_to="faq/images/%Y/%m/", validators=[validate_image])
    alt = models.CharField(_("description"), max_length=200, help_text=_("What the image shows, for screen readers."))
    uploaded_at = models.DateTimeField(_("uploaded"), auto_now_add=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )

    class Meta:
        verbose_name = _("image")
        verbose_name_plural = _("images")
        ordering = ["-uploaded_at"]

    def __str__(self) -> str:
        return self.alt

    @property
    def markdown(self) -> str:
        alt = self.alt.replace("[", "").replace("]", "")
        return f"![{alt}]({self.image.url})"


class ArticleView(models.Model):
    """One reader read one article on one (UTC) day: a signed-in person by id, anyone else by session."""

    article = models.ForeignKey(Article, verbose_name=_("article"), on_delete=models.CASCADE, related_name="views")
    day = models.DateField(_("day"))
    visitor = models.CharField(_("visitor"), max_length=64)

    class Meta:
        verbose_name = _("article view")
        verbose_name_plural = _("article views")
        constraints = [models.UniqueConstraint(fields=["article", "day", "visitor"], name="article_view_once_per_day")]

    def __str__(self) -> str:
        return f"{self.article_id} {self.day} {self.visitor}"


class ArticleVote(models.Model):
    """“Was this helpful?”: one answer per person (or anonymous session) and article; it can be changed."""

    article = models.ForeignKey(Article, verbose_name=_("article"), on_delete=models.CASCADE, related_name="votes")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="article_votes",
    )
    session_key = models.CharField(_("session"), max_length=64, blank=True)
    helpful = models.BooleanField(_("helpful"))
    comment = models.TextField(_("comment"), blank=True, max_length=2000)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("helpfulness vote")
        verbose_name_plural = _("helpfulness votes")
        ordering = ["-updated_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["article", "user"], condition=Q(user__isnull=False), name="article_vote_once_per_user"
            ),
            models.UniqueConstraint(
                fields=["article", "session_key"],
                condition=Q(user__isnull=True),
                name="article_vote_once_per_session",
            ),
            models.CheckConstraint(condition=Q(user__isnull=False) | ~Q(session_key=""), name="article_vote_has_voter"),
        ]

    def __str__(self) -> str:
        return f"{self.article}: {'+' if self.helpful else '-'}"


class SearchLog(models.Model):
    """One search of the help centre (page, as-you-type or API): what was asked, how many articles
    answered, by whom. Searches that find nothing show the content the help centre lacks."""

    class Source(models.TextChoices):
        PAGE = "page", _("Search page")
        LIVE = "live", _("Search as you type")
        API = "api", _("API")

    query = models.CharField(_("query"), max_length=200)
    results = models.PositiveIntegerField(_("results"))
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Empty for an anonymous visitor."),
    )
    source = models.CharField(_("source"), max_length=8, choices=Source.choices, default=Source.PAGE)
    created_at = models.DateTimeField(_("searched at"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("search")
        verbose_name_plural = _("searches")
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["created_at"], name="searchlog_created"),
            models.Index(fields=["query", "created_at"], name="searchlog_query_created"),
            # Content gaps: searches without results of the last days, grouped by query.
            models.Index(fields=["created_at", "query"], condition=Q(results=0), name="searchlog_no_results_created"),
        ]

    def __str__(self) -> str:
        return self.query


class SynonymQuerySet(models.QuerySet["Synonym"]):
    def current(self) -> Synonyms:
        """Every group, analysed as the index uses them: one query."""
        return Synonyms.from_lists(self.values_list("words", flat=True))


class Synonym(models.Model):
    """Words that mean the same to someone searching the help centre (退会, 解約; パスワード, PW): an
    article that uses one of them is found by any of them."""

    words = models.CharField(
        _("words"),
        max_length=500,
        help_text=_("Two or more words or phrases that mean the same, separated by commas: 退会, 解約, キャンセル"),
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = SynonymQuerySet.as_manager()

    class Meta:
        verbose_name = _("synonyms")
        verbose_name_plural = _("synonyms")
        ordering = ["words"]

    def __str__(self) -> str:
        return self.words

    def clean(self) -> None:
        words = synonym_words(self.words)
        unsearchable = [word for word in words if not word_terms(word)]
        if unsearchable:
            raise ValidationError(
                {
                    "words": _("Search ignores these words, so they cannot be synonyms: %(words)s")
                    % {"words": ", ".join(unsearchable)}
                }
            )
        if len({word_terms(word) for word in words}) < 2:
            raise ValidationError({"words": _("Give at least two different words, separated by commas.")})
