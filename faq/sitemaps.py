from django.contrib.sitemaps import Sitemap

from faq.models import Article
from faq.selectors import visible_articles


class PublicArticleSitemap(Sitemap):
    """Published public articles: the only ones a search engine (an anonymous visitor) may read."""

    changefreq = "weekly"
    limit = 5000

    def items(self):
        return visible_articles(None).order_by("pk").only("pk", "slug", "language", "updated_at")

    def lastmod(self, article: Article):
        return article.updated_at
