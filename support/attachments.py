"""What a customer may attach to an inquiry, judged by the file's bytes (never by its name or the
browser's content type, both of which the uploader controls): images, PDF, and plain text such as
CSV and logs."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from faq.validators import image_kind

HEAD_BYTES = 8192
SIGNATURES = {b"%PDF-": "application/pdf"}


def attachment_type(head: bytes) -> str | None:
    """The content type a file's first bytes show, or None for a kind the desk does not take."""
    image = image_kind(head)
    if image is not None:
        return f"image/{image}"
    for signature, content_type in SIGNATURES.items():
        if head.startswith(signature):
            return content_type
    if b"\x00" in head:
        return None
    for encoding in ("utf-8", "cp932"):  # what Excel and Japanese tools save text as
        try:
            # A cut in the middle of a character at the end of the head is no reason to refuse.
            head.decode(encoding) if len(head) < HEAD_BYTES else head[:-4].decode(encoding)
        except UnicodeDecodeError:
            continue
        return "text/plain"
    return None


def checked_attachments(files: list[UploadedFile]) -> list[tuple[UploadedFile, str]]:
    """The files with their content types, or a ValidationError naming what is wrong."""
    if len(files) > settings.SUPPORT_ATTACHMENTS_PER_MESSAGE:
        raise ValidationError(
            _("Attach at most %(count)s files.") % {"count": settings.SUPPORT_ATTACHMENTS_PER_MESSAGE},
            code="too_many_files",
        )
    checked = []
    for file in files:
        if file.size is not None and file.size > settings.SUPPORT_ATTACHMENT_MAX_BYTES:
            raise ValidationError(
                _("%(name)s is %(size)s; the limit is %(limit)s.")
                % {"name": file.name, "size": filesizeformat(file.size),
                   "limit": filesizeformat(settings.SUPPORT_ATTACHMENT_MAX_BYTES)},
                code="file_too_large",
            )  # fmt: skip
        file.seek(0)
        head = file.read(HEAD_BYTES)
        file.seek(0)
        content_type = attachment_type(head) if head else None
        if content_type is None:
            raise ValidationError(
                _("%(name)s is not a file we take: attach an image (PNG, JPEG, GIF), a PDF or a text file.")
                % {"name": file.name},
                code="file_type",
            )
        checked.append((file, content_type))
    return checked
