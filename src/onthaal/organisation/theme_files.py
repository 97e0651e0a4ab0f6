"""The checks on an organisation's logo and favicon: what the bytes are, not what the name or
the browser says.

Accepted: PNG, WebP and ICO that Pillow decodes in full, and SVG that is plain drawing: no
script, no ``foreignObject``, no event handler attribute, no link or style that reaches
outside the file, no document type declaration (so no entities). An SVG that has any of these
is refused with the reason, not cleaned: a logo does not need them, and what a cleaner leaves
is not what the administrator looked at. The files are also served with a policy that runs
nothing (``onthaal.organisation.views.theme_file``), and pages show them with ``<img>``.
"""

from __future__ import annotations

import hashlib
import io
import re
import xml.etree.ElementTree as ET  # no DTD is let through to the parser (_check_svg)
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils.translation import gettext_lazy as _
from PIL import Image, UnidentifiedImageError

PNG, WEBP, ICO, SVG = "png", "webp", "ico", "svg"
CONTENT_TYPES = {
    PNG: "image/png",
    WEBP: "image/webp",
    ICO: "image/x-icon",
    SVG: "image/svg+xml",
}
LABELS = {PNG: "PNG", WEBP: "WebP", ICO: "ICO", SVG: "SVG"}
MAX_SIDE = 4096  # pixels, of a raster image
# What each field of an organisation's theme accepts.
RULES: dict[str, dict[str, Any]] = {
    "logo": {"allowed": (PNG, SVG, WEBP), "max_bytes": 512 * 1024},
    "favicon": {"allowed": (PNG, SVG, ICO), "max_bytes": 128 * 1024},
}

SVG_NS = "{http://www.w3.org/2000/svg}"
XLINK_HREF = "{http://www.w3.org/1999/xlink}href"
# Elements that run code, embed another document or listen for events.
FORBIDDEN_ELEMENTS = {
    "script",
    "foreignobject",
    "iframe",
    "embed",
    "object",
    "handler",
    "listener",
    "audio",
    "video",
}
ANIMATIONS = {"set", "animate", "animatetransform", "animatemotion", "animatecolor"}
# A link inside the file (#id) or an embedded raster image; nothing else.
SAFE_HREF = re.compile(r"^(#|data:image/(png|jpeg|gif|webp);base64,)", re.IGNORECASE)
XML_ENCODING = re.compile(rb"""(?:\xef\xbb\xbf)?\s*<\?xml[^>]*?\bencoding\s*=\s*["']([^"']+)""")
OUTSIDE_URL = re.compile(r"url\(\s*['\"]?\s*(?!#)", re.IGNORECASE)


@dataclass(frozen=True)
class Checked:
    kind: str  # PNG, WEBP, ICO or SVG

    @property
    def extension(self) -> str:
        return self.kind

    @property
    def content_type(self) -> str:
        return CONTENT_TYPES[self.kind]


def put(data: bytes, checked: Checked) -> str:
    """Store checked ``data`` under its SHA-256 in Django's default storage (the
    organisation's FileFields'), once: the same bytes are not written again. Returns the
    name ("theme/<sha256>.<ext>"): a URL made of it never changes meaning."""
    name = f"theme/{hashlib.sha256(data).hexdigest()}.{checked.extension}"
    if not default_storage.exists(name):
        saved = default_storage.save(name, ContentFile(data))
        if saved != name:  # another process stored the same bytes at the same instant
            default_storage.delete(saved)
    return name


def sniff(data: bytes) -> str | None:
    """The kind of file the bytes start like, or None."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return WEBP
    if data[:4] == b"\x00\x00\x01\x00":
        return ICO
    head = data[:512].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith((b"<?xml", b"<svg", b"<!--")):
        return SVG
    return None


def check(data: bytes, *, allowed: tuple[str, ...], max_bytes: int) -> Checked:
    """The checked kind of ``data``, or a ValidationError that says what is wrong."""
    kinds = ", ".join(LABELS[k] for k in allowed)
    if len(data) > max_bytes:
        raise ValidationError(
            _("The file is %(size)s kB; at most %(max)s kB is accepted."),
            code="too_large",
            params={"size": -(-len(data) // 1024), "max": max_bytes // 1024},
        )
    kind = sniff(data)
    if kind is None or kind not in allowed:
        raise ValidationError(
            _("This file is not an image of an accepted type (%(kinds)s)."),
            code="file_type",
            params={"kinds": kinds},
        )
    if kind == SVG:
        _check_svg(data)
    else:
        _check_raster(data, kind, kinds)
    return Checked(kind)


def _check_raster(data: bytes, kind: str, kinds: str) -> None:
    unreadable = ValidationError(
        _("This file is not an image of an accepted type (%(kinds)s)."),
        code="file_type",
        params={"kinds": kinds},
    )
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.format != LABELS[kind].upper():
                raise unreadable
            width, height = image.size
            if width > MAX_SIDE or height > MAX_SIDE:
                raise ValidationError(
                    _("The image is %(width)s by %(height)s pixels; at most %(max)s by %(max)s."),
                    code="too_large",
                    params={"width": width, "height": height, "max": MAX_SIDE},
                )
            image.verify()
        with Image.open(io.BytesIO(data)) as image:
            image.load()
    except ValidationError:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise unreadable from None


def _refuse_svg(what: str) -> ValidationError:
    return ValidationError(
        _(
            "This SVG contains %(what)s, which a logo does not need and which could run code. "
            "Save it without, or upload a PNG."
        ),
        code="svg_unsafe",
        params={"what": what},
    )


def _local(name: str) -> str:
    return name.rsplit("}", 1)[-1].lower()


def _utf8(data: bytes) -> bool:
    """Whether ``data`` is UTF-8 (or ASCII) and declares no other encoding."""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    declared = XML_ENCODING.match(data[:200])
    return declared is None or declared.group(1).lower() in (b"utf-8", b"utf8", b"us-ascii")


def _check_svg(data: bytes) -> None:
    if not _utf8(data):  # the checks on the bytes below must read what the parser reads
        raise ValidationError(_("This SVG is not well-formed XML."), code="file_type")
    lowered = data.lower()
    if b"<!doctype" in lowered or b"<!entity" in lowered:
        raise _refuse_svg("<!DOCTYPE>")
    if b"<?xml-stylesheet" in lowered:
        raise _refuse_svg("<?xml-stylesheet?>")
    if re.search(rb"javascript\s*:", lowered):
        raise _refuse_svg("javascript:")
    try:
        root = ET.fromstring(data)  # noqa: S314 - no DTD, so no entities (checked above)
    except ET.ParseError:
        raise ValidationError(_("This SVG is not well-formed XML."), code="file_type") from None
    if root.tag != f"{SVG_NS}svg":
        raise ValidationError(_("This file is not an SVG image."), code="file_type")
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        name = _local(element.tag)
        if name in FORBIDDEN_ELEMENTS:
            raise _refuse_svg(f"<{name}>")
        if name == "style" and _reaches_outside(element.text or ""):
            raise _refuse_svg("<style> with @import or url()")
        for attribute, value in element.attrib.items():
            attr = _local(attribute)
            if attr.startswith("on"):
                raise _refuse_svg(f'{attr}="…"')
            if (attr == "href" or attribute == XLINK_HREF) and not SAFE_HREF.match(value.strip()):
                raise _refuse_svg(f'{attr}="{value[:40]}"')
            if attr == "style" and _reaches_outside(value):
                raise _refuse_svg('style="… url() …"')
            if name in ANIMATIONS and attr == "attributename":
                target = value.strip().lower().rsplit(":", 1)[-1]
                if target == "href" or target.startswith("on"):
                    raise _refuse_svg(f"<{name} attributeName={value!r}>")


def _reaches_outside(style: str) -> bool:
    return "@import" in style.lower() or bool(OUTSIDE_URL.search(style))
