"""Article bodies: markdown to sanitised HTML with stable heading ids and a table of contents.

The same pipeline as ``portal.markdown`` (markdown-it-py with raw HTML off, then nh3), with
three additions for articles: headings carry ids for the table of contents, images are kept
only when they come from our own MEDIA_URL (anything else becomes its alt text), and nh3's
attribute filter enforces the same image rule again on whatever comes out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from urllib.parse import unquote, urlsplit

import nh3
from django.conf import settings
from django.utils.html import escape
from django.utils.text import slugify
from markdown_it import MarkdownIt
from markdown_it.renderer import RendererHTML

from portal.markdown import ALLOWED_ATTRIBUTES, ALLOWED_TAGS

HEADING_TAGS = {"h2", "h3", "h4"}
ARTICLE_ATTRIBUTES = {**ALLOWED_ATTRIBUTES, **{tag: {"id"} for tag in HEADING_TAGS}}
ID_PREFIX = "s-"
TOC_LEVELS = {2, 3}


@dataclass(frozen=True)
class Heading:
    level: int
    id: str
    text: str


@dataclass(frozen=True)
class RenderedArticle:
    html: str
    toc: list[Heading] = field(default_factory=list)


def is_own_media(src: str) -> bool:
    """A path under MEDIA_URL on this site: no scheme, no host, no way out of the folder."""
    media = settings.MEDIA_URL
    decoded = unquote(src)
    if not src.startswith(media) or "\\" in decoded or ".." in decoded.split("/"):
        return False
    parts = urlsplit(src)
    return not parts.scheme and not parts.netloc


def _heading_id(text: str, used: set[str]) -> str:
    base = ID_PREFIX + (slugify(text, allow_unicode=True)[:60] or "section")
    candidate, n = base, 2
    while candidate in used:
        candidate, n = f"{base}-{n}", n + 1
    used.add(candidate)
    return candidate


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable(
        ["table", "strikethrough"]
    )
    assert isinstance(md.renderer, RendererHTML)  # the default renderer, the one with rules
    default_image = md.renderer.rules["image"]

    def image(renderer, tokens, idx, options, env):
        token = tokens[idx]
        if not is_own_media(str(token.attrGet("src") or "")):
            return escape(token.content)  # the alt text instead of a foreign image
        return default_image(tokens, idx, options, env)

    md.add_render_rule("image", image)
    return md


def _attribute_filter(tag: str, attribute: str, value: str) -> str | None:
    if tag == "img" and attribute == "src" and not is_own_media(value):
        return None
    if attribute == "id" and not value.startswith(ID_PREFIX):
        return None
    return value


def sanitise(html: str) -> str:
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ARTICLE_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
        attribute_filter=_attribute_filter,
    )


def render_article(text: str) -> RenderedArticle:
    """Sanitised HTML of an article body, and the h2/h3 headings for its table of contents."""
    md = _parser()
    tokens = md.parse(text or "")
    used: set[str] = set()
    toc: list[Heading] = []
    for index, token in enumerate(tokens):
        if token.type != "heading_open":
            continue
        level = int(token.tag[1])
        if level == 1:
            # The page title is the only h1; a body's "# heading" becomes a section heading.
            token.tag = tokens[index + 2].tag = "h2"
            level = 2
        inline = tokens[index + 1]
        words = "".join(
            child.content for child in (inline.children or []) if child.type in {"text", "code_inline"}
        ).strip()
        words = re.sub(r"\s+", " ", words)
        heading_id = _heading_id(words, used)
        if token.tag in {"h2", "h3", "h4"}:
            token.attrSet("id", heading_id)
        if level in TOC_LEVELS and words:
            toc.append(Heading(level=level, id=heading_id, text=words))
    html = md.renderer.render(tokens, md.options, {})
    return RenderedArticle(html=sanitise(html), toc=toc)
