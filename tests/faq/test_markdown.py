"""Article bodies: nothing executable survives, images only from our media, stable heading ids."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from faq.markdown import render_article, sanitise
from portal.markdown import ALLOWED_TAGS, render_markdown

CORPUS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    '<img src=x onerror="alert(1)">',
    "![x](/media/a.png){onerror=alert(1)}",
    '<a href="javascript:alert(1)">click</a>',
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](  javascript:alert(1))",
    "[click](java\tscript:alert(1))",
    "[click](&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1))",
    "[click](&#x6A;avascript&colon;alert(1))",
    "[click](javascript&#58;alert(1))",
    "[click](%6Aavascript:alert(1))",
    "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "![pic](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    "[click](vbscript:msgbox(1))",
    '<svg onload="alert(1)"><script>alert(1)</script></svg>',
    '<svg><a xlink:href="javascript:alert(1)"><text>x</text></a></svg>',
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "<!-- --><script>alert(1)</script><!-- -->",
    '<!--<img src="--><img src=x onerror=alert(1)//">',
    "<![CDATA[<script>alert(1)</script>]]>",
    "[[click](javascript:alert(1))](https://example.com)",
    '[a](https://example.com "title" onclick="alert(1)")',
    "[x]: javascript:alert(1)\n\n[link][x]",
    '<iframe src="https://evil.example"></iframe>',
    '<form action="https://evil.example"><button>go</button></form>',
    '<a href="#" style="background:url(javascript:alert(1))">styled</a>',
    "<details open ontoggle=alert(1)>",
    "`<script>alert(1)</script>`",
    "```html\n<script>alert(1)</script>\n```",
    "![x](https://evil.example/track.png)",
    "![x](//evil.example/track.png)",
    "![x](/media/../etc/passwd)",
    "## Heading <img src=x onerror=alert(1)>",
    '<object data="javascript:alert(1)"></object><embed src="javascript:alert(1)">',
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    '<base href="javascript:alert(1)//">',
]

SAFE_TAGS = ALLOWED_TAGS


class Elements(HTMLParser):
    """Every element and attribute of an HTML fragment, as a browser would parse them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, dict[str, str]]] = []
        self.comments: list[str] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        self.found.append((tag, {name: value or "" for name, value in attrs}))

    def handle_comment(self, data: str) -> None:
        self.comments.append(data)


def elements(html: str) -> Elements:
    parser = Elements()
    parser.feed(html)
    parser.close()
    return parser


@pytest.mark.parametrize("source", CORPUS)
def test_nothing_executable_survives(source: str) -> None:
    html = render_article(source).html
    parsed = elements(html)
    assert parsed.comments == [], html
    for tag, attrs in parsed.found:
        assert tag in SAFE_TAGS, (source, html)
        for name, value in attrs.items():
            assert not name.startswith("on") and name != "style", (source, html)
            if name in {"href", "src"}:
                # As a browser reads it: control characters and spaces dropped, then a scheme or none.
                scheme = re.match(r"([a-zA-Z][a-zA-Z0-9+.-]*):", re.sub(r"[\x00-\x20]", "", value))
                assert scheme is None or scheme.group(1).lower() in {"http", "https", "mailto"}, (source, html)
        if tag == "img":
            assert attrs["src"].startswith("/media/") and ".." not in attrs["src"], html


@pytest.mark.parametrize("source", CORPUS)
def test_rendering_is_idempotent(source: str) -> None:
    first = render_article(source).html
    assert render_article(source).html == first
    assert sanitise(first) == first  # a second sanitising pass finds nothing more to remove


def test_links_keep_safe_schemes_and_get_rel() -> None:
    html = render_article("[docs](https://example.com/a) [mail](mailto:help@kachi.example) [here](/help/)").html
    assert '<a href="https://example.com/a" rel="noopener noreferrer nofollow">docs</a>' in html
    assert 'href="mailto:help@kachi.example"' in html
    assert 'href="/help/"' in html


def test_images_come_only_from_our_media() -> None:
    html = render_article("![ours](/media/faq/images/2026/11/a.png) ![theirs](https://cdn.example/b.png)").html
    assert '<img src="/media/faq/images/2026/11/a.png" alt="ours">' in html
    assert "cdn.example" not in html
    assert "theirs" in html  # a foreign image is replaced by its alt text


def test_headings_get_stable_unique_ids_and_a_table_of_contents() -> None:
    source = "# Intro\n\n## 設定する\n\ntext\n\n### Details `code`\n\n## 設定する\n\n#### Deep"
    rendered = render_article(source)
    assert [(h.level, h.id, h.text) for h in rendered.toc] == [
        (2, "s-intro", "Intro"),
        (2, "s-設定する", "設定する"),
        (3, "s-details-code", "Details code"),
        (2, "s-設定する-2", "設定する"),
    ]
    assert '<h2 id="s-intro">Intro</h2>' in rendered.html
    assert '<h4 id="s-deep">Deep</h4>' in rendered.html
    assert render_article(source).toc == rendered.toc


def test_the_checklist_guidance_renderer_is_unchanged() -> None:
    assert render_markdown("## Title\n\n**bold** <script>x</script>") == (
        "<h2>Title</h2>\n<p><strong>bold</strong> &lt;script&gt;x&lt;/script&gt;</p>\n"
    )
