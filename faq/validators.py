"""Checks on what an admin puts into an article: video links and uploaded files.

Uploaded files are judged by their bytes, never by their name or the browser's
content type, both of which the uploader controls.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import File
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

YOUTUBE_ID = re.compile(r"^[A-Za-z0-9_-]{11}$")
VIMEO_ID = re.compile(r"^[0-9]{1,12}$")
YOUTUBE_HOSTS = {"youtube.com", "www.youtube.com", "m.youtube.com", "youtube-nocookie.com", "www.youtube-nocookie.com"}
VIMEO_HOSTS = {"vimeo.com", "www.vimeo.com", "player.vimeo.com"}

# ISO base media file format brands of MP4 video (ISO/IEC 14496-12 and -14, and the common
# encoder brands). QuickTime ("qt  "), HEIF images and 3GP are not MP4 video for a browser.
MP4_BRANDS = {
    b"isom", b"iso2", b"iso3", b"iso4", b"iso5", b"iso6", b"mp41", b"mp42", b"avc1", b"M4V ", b"dash", b"mmp4",
}  # fmt: skip

# Magic numbers of the raster images an article may show. SVG is refused: it can carry script.
IMAGE_SIGNATURES = {
    "png": (b"\x89PNG\r\n\x1a\n",),
    "jpeg": (b"\xff\xd8\xff",),
    "gif": (b"GIF87a", b"GIF89a"),
}


@dataclass(frozen=True)
class VideoEmbed:
    provider: str  # "youtube" or "vimeo"
    video_id: str

    @property
    def embed_url(self) -> str:
        """A privacy-enhanced player: no tracking cookies until the visitor plays the video."""
        if self.provider == "youtube":
            return f"https://www.youtube-nocookie.com/embed/{self.video_id}"
        return f"https://player.vimeo.com/video/{self.video_id}?dnt=1"


def parse_video_url(url: str) -> VideoEmbed:
    """The YouTube or Vimeo video a page address points to; ValidationError for anything else."""
    invalid = ValidationError(
        _(
            "Enter the address of a YouTube or Vimeo video, e.g. https://www.youtube.com/watch?v=… or https://vimeo.com/…"
        ),
        code="invalid_video_url",
    )
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        raise invalid from None
    if parts.scheme not in {"http", "https"} or parts.username or parts.password or parts.port:
        raise invalid
    host = (parts.hostname or "").lower()
    segments = [s for s in parts.path.split("/") if s]
    candidate = ""
    if host == "youtu.be" and len(segments) == 1:
        candidate = segments[0]
    elif host in YOUTUBE_HOSTS:
        if segments == ["watch"]:
            candidate = (parse_qs(parts.query).get("v") or [""])[0]
        elif len(segments) == 2 and segments[0] in {"embed", "shorts", "live", "v"}:
            candidate = segments[1]
    elif host in VIMEO_HOSTS:
        if host == "player.vimeo.com" and len(segments) == 2 and segments[0] == "video":
            candidate = segments[1]
        elif host != "player.vimeo.com" and len(segments) == 1:
            candidate = segments[0]
        if VIMEO_ID.match(candidate):
            return VideoEmbed(provider="vimeo", video_id=candidate)
        raise invalid
    if YOUTUBE_ID.match(candidate):
        return VideoEmbed(provider="youtube", video_id=candidate)
    raise invalid


def validate_video_url(url: str) -> None:
    if url:
        parse_video_url(url)


def _head(file: File, length: int) -> bytes:
    file.seek(0)
    head = file.read(length)
    file.seek(0)
    return head


def _check_size(file: File, limit: int) -> None:
    if file.size is not None and file.size > limit:
        raise ValidationError(
            _("This file is %(size)s; the limit is %(limit)s.")
            % {"size": filesizeformat(file.size), "limit": filesizeformat(limit)},
            code="file_too_large",
        )


def validate_mp4(file: File) -> None:
    """An MP4 video no larger than FAQ_VIDEO_MAX_BYTES: its first box is an ISO BMFF ``ftyp`` with an MP4 brand."""
    _check_size(file, settings.FAQ_VIDEO_MAX_BYTES)
    head = _head(file, 12)
    if len(head) < 12 or head[4:8] != b"ftyp" or head[8:12] not in MP4_BRANDS:
        raise ValidationError(_("This file is not an MP4 video."), code="not_mp4")


def image_kind(head: bytes) -> str | None:
    for kind, signatures in IMAGE_SIGNATURES.items():
        if head.startswith(signatures):
            return kind
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    return None


def validate_image(file: File) -> None:
    """A PNG, JPEG, GIF or WebP image no larger than FAQ_IMAGE_MAX_BYTES, judged by its first bytes."""
    _check_size(file, settings.FAQ_IMAGE_MAX_BYTES)
    if image_kind(_head(file, 16)) is None:
        raise ValidationError(_("Upload a PNG, JPEG, GIF or WebP image."), code="not_image")
