"""The Django admin for the help centre: categories, tags, articles (with a live preview,
publish/unpublish, revisions and restore), images, and readers' votes (read-only)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from faq.markdown import render_article
from faq.models import Article, ArticleImage, ArticleRevision, ArticleVote, Category, SearchLog, Synonym, Tag
from faq.selectors import search_gaps
from faq.services import (
    article_publish,
    article_unpublish,
    revision_record,
    revision_restore,
    synonym_delete,
    synonym_save,
)
from portal.admin_tools import ReadOnlyAdmin, admin_user, count_of

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

PREVIEW_MAX_CHARS = 200_000
GAP_DAYS = 30


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["__str__", "slug", "name_en", "position", "article_count"]
    list_editable = ["position"]
    list_filter = [("parent", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["name", "name_en", "slug"]
    list_select_related = ["parent"]
    prepopulated_fields = {"slug": ["name_en"]}

    def get_queryset(self, request: HttpRequest) -> QuerySet[Category]:
        return super().get_queryset(request).annotate(article_count=count_of(Article, link="category"))

    @admin.display(description=_("articles"), ordering="article_count")
    def article_count(self, category: Category) -> int:
        return category.article_count


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


class ArticleAdminForm(forms.ModelForm):
    video_url = forms.URLField(
        label=Article._meta.get_field("video_url").verbose_name,
        help_text=Article._meta.get_field("video_url").help_text,
        required=False,
        assume_scheme="https",
    )

    class Meta:
        model = Article
        exclude: list[str] = []
        widgets = {"body": forms.Textarea(attrs={"rows": 24, "class": "faq-body-input"})}

    def clean(self) -> dict[str, Any]:
        super().clean()  # returns cleaned_data
        cleaned = self.cleaned_data
        if cleaned.get("visibility") == Article.Visibility.SEGMENTS and not cleaned.get("segments"):
            self.add_error("segments", _("Choose at least one segment, or another visibility."))
        return cleaned


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin):
    form = ArticleAdminForm
    change_form_template = "admin/faq/article/change_form.html"
    list_display = [
        "title",
        "kind",
        "language",
        "category",
        "visibility",
        "status",
        "updated_at",
        "view_count",
        "helpfulness",
    ]
    list_filter = ["status", "kind", "language", "visibility", "category", "tags", "segments"]
    search_fields = ["title", "slug", "summary", "body"]
    list_select_related = ["category__parent"]
    date_hierarchy = "updated_at"
    prepopulated_fields = {"slug": ["title"]}
    filter_horizontal = ["segments", "tags"]
    autocomplete_fields = ["translation_of"]
    readonly_fields = ["published_at", "view_count", "updated_at", "updated_by", "links"]
    # The onboarding steps it helps with: an inline added by journeys' admin (journeys sits above faq).
    inlines: ClassVar[list[type[admin.options.InlineModelAdmin]]] = []
    actions = ["publish", "unpublish"]
    fieldsets = [
        (None, {"fields": ["kind", "title", "slug", "category", "summary", "body"]}),
        (_("Language"), {"fields": ["language", "translation_of"]}),
        (_("Who sees it"), {"fields": ["status", "visibility", "segments", "published_at"]}),
        (_("Video"), {"fields": ["video_url", "video_file"]}),
        (_("More"), {"fields": ["tags", "position", "links", "view_count", "updated_at", "updated_by"]}),
    ]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Article]:
        return (
            super()
            .get_queryset(request)
            .annotate(
                helpful_yes=count_of(ArticleVote, link="article", helpful=True),
                helpful_total=count_of(ArticleVote, link="article"),
            )
        )

    @admin.display(description=_("helpful"), ordering="helpful_yes")
    def helpfulness(self, article: Article) -> str:
        if not getattr(article, "helpful_total", 0):
            return "—"
        yes, total = article.helpful_yes, article.helpful_total
        return f"{round(100 * yes / total)}% ({yes}/{total})"

    @admin.display(description=_("short link and QR code"))
    def links(self, article: Article) -> str:
        if not article.pk:
            return "—"
        return format_html(
            '<a href="{}">{}</a> · <a href="{}" download>{}</a> · <a href="{}">{}</a>',
            article.get_short_url(),
            article.get_short_url(),
            reverse("faq:qr", kwargs={"pk": article.pk}),
            _("QR code (SVG)"),
            reverse("admin:faq_article_revisions", args=[article.pk]),
            _("Revisions"),
        )

    def save_model(self, request: HttpRequest, obj: Article, form: forms.ModelForm, change: bool) -> None:
        obj.updated_by = admin_user(request)
        if obj.status == Article.Status.PUBLISHED and obj.published_at is None:
            obj.published_at = timezone.now()
        elif obj.status == Article.Status.DRAFT:
            obj.published_at = None
        super().save_model(request, obj, form, change)

    def save_related(self, request: HttpRequest, form: forms.ModelForm, formsets: list, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        # After the many-to-many fields and steps are saved, so the revision has them all.
        revision_record(article=form.instance, by=admin_user(request))

    @admin.action(description=_("Publish the selected articles"))
    def publish(self, request: HttpRequest, queryset: QuerySet[Article]) -> None:
        for article in queryset:
            article_publish(article=article, by=admin_user(request))
        count = queryset.count()
        self.message_user(
            request, ngettext("%(count)d article published.", "%(count)d articles published.", count) % {"count": count}
        )

    @admin.action(description=_("Unpublish the selected articles"))
    def unpublish(self, request: HttpRequest, queryset: QuerySet[Article]) -> None:
        for article in queryset:
            article_unpublish(article=article, by=admin_user(request))
        count = queryset.count()
        self.message_user(
            request,
            ngettext("%(count)d article unpublished.", "%(count)d articles unpublished.", count) % {"count": count},
        )

    def get_urls(self) -> list:
        wrap = self.admin_site.admin_view
        return [
            path("preview/", wrap(self.preview_view), name="faq_article_preview"),
            path("<path:object_id>/revisions/", wrap(self.revisions_view), name="faq_article_revisions"),
            path(
                "<path:object_id>/revisions/<int:revision_id>/restore/",
                wrap(self.restore_view),
                name="faq_article_restore",
            ),
            *super().get_urls(),
        ]

    def preview_view(self, request: HttpRequest) -> HttpResponse:
        """The body rendered exactly as readers will see it (POST ``body``)."""
        if request.method != "POST":
            return HttpResponse(status=405, headers={"Allow": "POST"})
        body = request.POST.get("body", "")[:PREVIEW_MAX_CHARS]
        return HttpResponse(render_article(body).html, content_type="text/html; charset=utf-8")

    def revisions_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        article = self.get_object(request, object_id)
        if article is None:
            # A helper of Django's ModelAdmin that the stubs do not declare.
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)  # type: ignore[attr-defined]
        revisions = ArticleRevision.objects.filter(article=article).select_related("created_by").order_by("-number")
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": article,
            "article": article,
            "revisions": revisions,
            "title": _("Revisions of “%(title)s”") % {"title": article.title},
            "has_change_permission": self.has_change_permission(request, article),
        }
        return TemplateResponse(request, "admin/faq/article/revisions.html", context)

    def restore_view(self, request: HttpRequest, object_id: str, revision_id: int) -> HttpResponse:
        return require_POST(self._restore)(request, object_id, revision_id)

    def _restore(self, request: HttpRequest, object_id: str, revision_id: int) -> HttpResponse:
        article = self.get_object(request, object_id)
        if article is None or not self.has_change_permission(request, article):
            # A helper of Django's ModelAdmin that the stubs do not declare.
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)  # type: ignore[attr-defined]
        revision = get_object_or_404(ArticleRevision, pk=revision_id, article=article)
        try:
            new = revision_restore(revision=revision, by=admin_user(request))
        except ValidationError as error:
            self.message_user(request, " ".join(error.messages), level=messages.ERROR)
        else:
            self.message_user(
                request,
                _("Revision %(old)s restored as revision %(new)s.") % {"old": revision.number, "new": new.number},
            )
        return HttpResponseRedirect(reverse("admin:faq_article_revisions", args=[article.pk]))


@admin.register(ArticleImage)
class ArticleImageAdmin(admin.ModelAdmin):
    list_display = ["thumbnail", "alt", "markdown_snippet", "uploaded_at", "uploaded_by"]
    search_fields = ["alt"]
    list_select_related = ["uploaded_by"]
    readonly_fields = ["markdown_snippet", "uploaded_at", "uploaded_by"]

    @admin.display(description=_("image"))
    def thumbnail(self, image: ArticleImage) -> str:
        return format_html('<img src="{}" alt="" class="faq-thumb" width="80">', image.image.url)

    @admin.display(description=_("markdown to paste into an article"))
    def markdown_snippet(self, image: ArticleImage) -> str:
        if not image.pk:
            return "—"
        return format_html("<code>{}</code>", image.markdown)

    def save_model(self, request: HttpRequest, obj: ArticleImage, form: forms.ModelForm, change: bool) -> None:
        if not change:
            obj.uploaded_by = admin_user(request)
        super().save_model(request, obj, form, change)


@admin.register(ArticleVote)
class ArticleVoteAdmin(admin.ModelAdmin):
    list_display = ["article", "helpful", "comment", "user", "updated_at"]
    list_filter = ["helpful", "article__language", ("article", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["comment", "article__title"]
    list_select_related = ["article", "user"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class ResultsFilter(admin.SimpleListFilter):
    title = _("results")
    parameter_name = "found"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, StrOrPromise]]:
        return [("no", _("No results")), ("yes", _("Some results"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[SearchLog]) -> QuerySet[SearchLog]:
        if self.value() == "no":
            return queryset.filter(results=0)
        if self.value() == "yes":
            return queryset.filter(results__gt=0)
        return queryset


@admin.register(SearchLog)
class SearchLogAdmin(ReadOnlyAdmin):
    """What people searched for, read-only; "Content gaps" lists the searches that found nothing."""

    change_list_template = "admin/faq/searchlog/change_list.html"
    list_display = ["created_at", "query", "results", "language", "source", "user"]
    list_filter = [ResultsFilter, "language", "source", ("created_at", admin.DateFieldListFilter)]
    search_fields = ["query"]
    list_select_related = ["user"]
    date_hierarchy = "created_at"

    def get_urls(self) -> list:
        wrap = self.admin_site.admin_view
        return [path("gaps/", wrap(self.gaps_view), name="faq_searchlog_gaps"), *super().get_urls()]

    def gaps_view(self, request: HttpRequest) -> HttpResponse:
        """The searches that found nothing in the last 30 days, most asked first."""
        if not self.has_view_permission(request):
            return HttpResponseRedirect(reverse("admin:index"))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Content gaps: searches without results"),
            "days": GAP_DAYS,
            "gaps": search_gaps(days=GAP_DAYS),
        }
        return TemplateResponse(request, "admin/faq/searchlog/gaps.html", context)


@admin.register(Synonym)
class SynonymAdmin(admin.ModelAdmin):
    """Words that mean the same to the search; saving or deleting a group indexes again the articles
    that use its words."""

    list_display = ["words", "updated_at"]
    search_fields = ["words"]

    def save_model(self, request: HttpRequest, obj: Synonym, form: forms.ModelForm, change: bool) -> None:
        previous = form.initial.get("words", "") if change else ""
        self._indexed(request, synonym_save(synonym=obj, previous_words=previous))

    def delete_model(self, request: HttpRequest, obj: Synonym) -> None:
        self._indexed(request, synonym_delete(synonym=obj))

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Synonym]) -> None:
        self._indexed(request, sum(synonym_delete(synonym=synonym) for synonym in queryset))

    def _indexed(self, request: HttpRequest, count: int) -> None:
        message = ngettext(
            "%(count)d article that uses these words was indexed again for the search.",
            "%(count)d articles that use these words were indexed again for the search.",
            count,
        )
        self.message_user(request, message % {"count": count})
