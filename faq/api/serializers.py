"""What the help-centre API answers: articles (a list item with a highlighted snippet, or one
article with its rendered body) and the category tree, named in the requested language."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from rest_framework import serializers

from faq.models import Article, Category
from faq.selectors import CategoryNode
from portal.api.serializers import SearchTextField

LANGUAGES = [code for code, _name in settings.LANGUAGES]


class ArticleQuery(serializers.Serializer):
    q = SearchTextField(help_text="Search words (Japanese or English). Without it, articles are listed newest first.")
    lang = serializers.ChoiceField(
        choices=LANGUAGES,
        required=False,
        help_text="Articles in this language, and those not translated into it. Default: the request's language.",
    )
    kind = serializers.ChoiceField(choices=Article.Kind.choices, required=False)
    category = serializers.SlugField(
        required=False,
        help_text="A category's slug (its sub-categories included). A category with nothing the caller may read "
        "lists nothing, like one that does not exist.",
    )


class LanguageQuery(serializers.Serializer):
    lang = serializers.ChoiceField(choices=LANGUAGES, required=False, help_text="Default: the request's language.")


class CategoryRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    slug = serializers.SlugField()
    name = serializers.SerializerMethodField()

    def get_name(self, category: Category) -> str:
        return category.name_in(self.context["language"])


class ArticleListItemSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    url = serializers.SerializerMethodField(help_text="The article's page.")
    snippet = serializers.CharField(
        help_text="HTML: an escaped excerpt of the body around the first match, matches in <mark>."
    )
    kind = serializers.ChoiceField(choices=Article.Kind.choices)
    language = serializers.CharField()
    category = CategoryRefSerializer()
    updated_at = serializers.DateTimeField()

    def get_url(self, article: Article) -> str:
        return self.context["request"].build_absolute_uri(article.get_absolute_url())


class ArticleDetailSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    url = serializers.SerializerMethodField()
    kind = serializers.ChoiceField(choices=Article.Kind.choices)
    language = serializers.CharField()
    status = serializers.ChoiceField(choices=Article.Status.choices, help_text="Only admins may read drafts.")
    summary = serializers.CharField()
    body_html = serializers.CharField(help_text="The body rendered from markdown and sanitised.")
    video_url = serializers.CharField(help_text="A YouTube or Vimeo address, or empty.")
    category = CategoryRefSerializer()
    published_at = serializers.DateTimeField(allow_null=True)
    updated_at = serializers.DateTimeField()

    def get_url(self, article: Article) -> str:
        return self.context["request"].build_absolute_uri(article.get_absolute_url())


class CategoryChildSerializer(CategoryRefSerializer):
    description = serializers.SerializerMethodField()
    url = serializers.SerializerMethodField()

    def get_description(self, category: Category) -> str:
        return category.description_in(self.context["language"])

    def get_url(self, category: Category) -> str:
        return self.context["request"].build_absolute_uri(category.get_absolute_url())


class CategoryNodeSerializer(CategoryChildSerializer):
    article_count = serializers.IntegerField(help_text="Articles the caller may read, sub-categories included.")
    children = CategoryChildSerializer(many=True, help_text="Sub-categories with articles the caller may read.")

    def to_representation(self, node: CategoryNode) -> dict[str, Any]:
        data = dict(CategoryChildSerializer(node.category, context=self.context).data)
        data["article_count"] = node.article_count
        data["children"] = CategoryChildSerializer(node.children, many=True, context=self.context).data
        return data
