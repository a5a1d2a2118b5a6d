"""Validation of what admins enter: video links, uploaded videos and images, categories, slugs."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.utils import translation

from faq.models import Article, ArticleImage
from faq.validators import parse_video_url, validate_image, validate_mp4
from tests.factories import ArticleFactory, CategoryFactory


@pytest.fixture(autouse=True)
def in_english():
    """The messages are checked in English (the source language)."""
    with translation.override("en"):
        yield


@pytest.mark.parametrize(
    ("url", "embed"),
    [
        ("https://www.youtube.com/watch?v=dQw4w9WgXcQ", "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ"),
        ("https://youtu.be/dQw4w9WgXcQ", "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ"),
        ("https://m.youtube.com/watch?v=dQw4w9WgXcQ&t=42", "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ"),
        ("https://www.youtube.com/embed/dQw4w9WgXcQ", "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ"),
        ("https://www.youtube.com/shorts/dQw4w9WgXcQ", "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ"),
        ("https://vimeo.com/76979871", "https://player.vimeo.com/video/76979871?dnt=1"),
        ("https://player.vimeo.com/video/76979871", "https://player.vimeo.com/video/76979871?dnt=1"),
    ],
)
def test_youtube_and_vimeo_links_become_privacy_enhanced_embeds(url: str, embed: str) -> None:
    assert parse_video_url(url).embed_url == embed


@pytest.mark.parametrize(
    "url",
    [
        "https://evil.example/watch?v=dQw4w9WgXcQ",
        "https://www.youtube.com.evil.example/watch?v=dQw4w9WgXcQ",
        "https://www.youtube.com/watch?v=short",
        "https://www.youtube.com/watch?v=dQw4w9WgXcQ%22onload%3D",
        "https://www.youtube.com/channel/UC123",
        "javascript:alert(1)//youtu.be/dQw4w9WgXcQ",
        "https://user:pw@youtu.be/dQw4w9WgXcQ",
        "https://vimeo.com/channels/staffpicks",
        "https://player.vimeo.com/video/abc",
        "ftp://youtu.be/dQw4w9WgXcQ",
    ],
)
def test_other_links_are_refused(url: str) -> None:
    with pytest.raises(ValidationError):
        parse_video_url(url)


@pytest.mark.django_db
def test_an_article_with_a_bad_video_link_does_not_validate() -> None:
    article = ArticleFactory.build(category=CategoryFactory(), video_url="https://evil.example/video.mp4")
    with pytest.raises(ValidationError) as error:
        article.full_clean()
    assert "video_url" in error.value.message_dict


def mp4(brand: bytes = b"isom", size: int = 64) -> SimpleUploadedFile:
    head = (24).to_bytes(4, "big") + b"ftyp" + brand + b"\x00\x00\x02\x00" + b"isomiso2"
    return SimpleUploadedFile("clip.mp4", head + b"\x00" * (size - len(head)), content_type="video/mp4")


def test_an_mp4_passes() -> None:
    validate_mp4(mp4())
    validate_mp4(mp4(b"mp42"))


@pytest.mark.parametrize(
    "upload",
    [
        SimpleUploadedFile("clip.mp4", b"<html><script>alert(1)</script></html>", content_type="video/mp4"),
        SimpleUploadedFile("clip.mp4", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, content_type="video/mp4"),
        SimpleUploadedFile("clip.mp4", b"", content_type="video/mp4"),
        mp4(b"qt  "),  # QuickTime, not MP4
    ],
)
def test_other_files_named_mp4_are_refused(upload: SimpleUploadedFile) -> None:
    with pytest.raises(ValidationError, match="not an MP4"):
        validate_mp4(upload)


@override_settings(FAQ_VIDEO_MAX_BYTES=1000)
def test_an_mp4_over_the_limit_is_refused() -> None:
    validate_mp4(mp4(size=1000))
    with pytest.raises(ValidationError, match="limit is 1000"):
        validate_mp4(mp4(size=1001))


@pytest.mark.parametrize(
    "head",
    [b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff\xe0", b"GIF89a", b"RIFF\x00\x00\x00\x00WEBPVP8 "],
)
def test_images_are_recognised_by_their_bytes(head: bytes) -> None:
    validate_image(SimpleUploadedFile("any.bin", head + b"\x00" * 32))


@pytest.mark.parametrize(
    "upload",
    [
        SimpleUploadedFile("a.png", b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'),
        SimpleUploadedFile("a.png", b"<html><body>hi</body></html>"),
    ],
)
def test_svg_and_html_are_not_images(upload: SimpleUploadedFile) -> None:
    with pytest.raises(ValidationError, match="PNG, JPEG, GIF or WebP"):
        validate_image(upload)


@pytest.mark.django_db
@override_settings(FAQ_IMAGE_MAX_BYTES=100)
def test_an_image_over_the_limit_does_not_validate() -> None:
    image = ArticleImage(alt="Too big", image=SimpleUploadedFile("a.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 200))
    with pytest.raises(ValidationError) as error:
        image.full_clean()
    assert "image" in error.value.message_dict


@pytest.mark.django_db
def test_categories_have_two_levels() -> None:
    top = CategoryFactory(slug="top")
    sub = CategoryFactory(slug="sub", parent=top)
    CategoryFactory(slug="other", parent=None).full_clean()
    deeper = CategoryFactory.build(slug="deeper", parent=sub)
    with pytest.raises(ValidationError, match="top-level"):
        deeper.full_clean()
    top.parent = CategoryFactory(slug="another")
    with pytest.raises(ValidationError, match="sub-categories"):
        top.full_clean()


@pytest.mark.django_db
def test_a_category_is_named_in_the_readers_language() -> None:
    category = CategoryFactory(slug="named", name="はじめに", name_en="Getting started")
    assert category.name_in("en") == "Getting started"
    assert category.name_in("ja") == "はじめに"
    assert CategoryFactory(slug="only-ja", name="請求", name_en="").name_in("en") == "請求"


@pytest.mark.django_db
def test_slugs_are_unique_per_language() -> None:
    ArticleFactory(slug="setup", language="ja")
    ArticleFactory(slug="setup", language="en").full_clean()
    duplicate = ArticleFactory.build(slug="setup", language="ja", category=CategoryFactory())
    with pytest.raises(ValidationError, match="already uses this slug"):
        duplicate.full_clean()


@pytest.mark.django_db
def test_an_article_has_one_kind_of_video_and_a_translation_in_the_other_language() -> None:
    original = ArticleFactory(language="ja")
    article = ArticleFactory.build(
        category=original.category,
        language="ja",
        translation_of=original,
        video_url="https://youtu.be/dQw4w9WgXcQ",
        video_file=mp4(),
    )
    with pytest.raises(ValidationError) as error:
        article.full_clean()
    assert set(error.value.message_dict) == {"video_file", "translation_of"}


@pytest.mark.django_db
def test_a_published_article_has_a_date() -> None:
    from django.db import IntegrityError

    with pytest.raises(IntegrityError):
        ArticleFactory(status=Article.Status.PUBLISHED, published_at=None)
