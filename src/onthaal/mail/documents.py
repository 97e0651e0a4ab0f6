"""The documents of mail items: checking uploads on their bytes, content-addressed storage,
reading with a SHA-256 check, and the work done after registration (a PDF rendition, a page-1
thumbnail, the text layer or OCR).

Storage: the Django storage ``STORAGES["mail"]`` (files under ``ONTHAAL_DATA_DIR/documents``
by default; any Django storage, S3-compatible through django-storages, by setting). A file is
stored under its own SHA-256 (``ab/cd/abcd...``): the same bytes are stored once, and a file
that changed on disk no longer matches its name's hash, which every read checks.

The tools (ocrmypdf with Tesseract, pdftotext, pdftoppm) are used where they are installed;
without them an item is still registered and says which step is not available.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import io
import logging
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import filetype
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import Storage, storages
from django.utils.translation import gettext as _

from onthaal.core.errors import DomainError

if TYPE_CHECKING:
    from onthaal.mail.models import Document, MailItem
    from onthaal.mail.services import Upload

log = logging.getLogger(__name__)

# The types a mail item's file may have, judged by its bytes, with the extension it is
# served with.
ALLOWED_TYPES: dict[str, str] = {
    "application/pdf": "pdf",
    "image/png": "png",
    "image/jpeg": "jpg",
    "image/tiff": "tif",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
    "application/vnd.oasis.opendocument.text": "odt",
    "text/plain": "txt",
    "message/rfc822": "eml",
}
IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/tiff"})
MAX_FILES = 20
# A page that takes Tesseract longer than this is left without text (a busy machine).
OCR_TIMEOUT_SECONDS = 900


class DocumentCorrupt(DomainError):
    """A stored file no longer matches its SHA-256: it is not served."""

    status_code = 409
    default_code = "document_corrupt"


def storage() -> Storage:
    return storages["mail"]


def max_bytes() -> int:
    return int(getattr(settings, "ONTHAAL_MAIL_MAX_BYTES", 50 * 1024 * 1024))


def max_request_bytes() -> int:
    """The largest upload request (all its files together): twice the file limit."""
    return 2 * max_bytes() + 1024 * 1024


@dataclasses.dataclass(frozen=True)
class CheckedFile:
    filename: str
    data: bytes
    content_type: str
    sha256: str
    pages: int | None


def _refuse(filename: str, message: str) -> DomainError:
    text = _("%(file)s: %(problem)s") % {"file": filename, "problem": message}
    return DomainError(text, code="invalid_file", fields={"files": [text]})


def _looks_like_text(data: bytes) -> bool:
    if b"\x00" in data[:8192]:
        return False
    try:
        data[:65536].decode("utf-8")
    except UnicodeDecodeError as error:
        # A multi-byte character cut at the end of the sample is still text.
        return error.start >= 65530
    return True


def _looks_like_email(data: bytes) -> bool:
    head = data[:4096].decode("utf-8", "replace").lower()
    return ("\nsubject:" in head or head.startswith("subject:")) and (
        "\nfrom:" in head or head.startswith("from:")
    )


def sniff(data: bytes) -> str:
    """The type the bytes say they are (never the file name's extension)."""
    if data.startswith(b"%PDF-"):
        return "application/pdf"
    kind = filetype.guess(data)
    if kind is not None:
        if kind.mime == "application/zip" and b"mimetypeapplication/vnd.oasis" in data[:200]:
            return "application/vnd.oasis.opendocument.text"
        return str(kind.mime)
    if _looks_like_text(data):
        return "message/rfc822" if _looks_like_email(data) else "text/plain"
    return "application/octet-stream"


def pdf_pages(data: bytes, filename: str = "") -> int:
    """The number of pages of a PDF; a clear refusal when it is encrypted or unreadable."""
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            raise _refuse(
                filename,
                _("this PDF is protected with a password. Ask the sender for an open copy."),
            )
        return len(reader.pages)
    except DomainError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError, RecursionError):
        raise _refuse(filename, _("this PDF is damaged and cannot be read.")) from None


def check_upload(upload: Upload) -> CheckedFile:
    """Check a file on its bytes: not empty, not too large, of an allowed type (an executable
    named .pdf is refused), a PDF not encrypted and readable. Raises a DomainError whose
    message names the file."""
    filename = Path(upload.filename.replace("\\", "/")).name.strip()[:255] or "document"
    size = len(upload.data)
    if size == 0:
        raise _refuse(filename, _("the file is empty."))
    if size > max_bytes():
        raise _refuse(
            filename,
            _("the file is %(size)d MB; at most %(max)d MB is accepted.")
            % {"size": size // (1024 * 1024), "max": max_bytes() // (1024 * 1024)},
        )
    content_type = sniff(upload.data)
    if content_type not in ALLOWED_TYPES:
        raise _refuse(
            filename,
            _(
                "this kind of file is not accepted (its contents are %(type)s). Accepted are "
                "PDF, PNG, JPEG, TIFF, Word (.docx), OpenDocument text, plain text and e-mails."
            )
            % {"type": content_type},
        )
    pages = pdf_pages(upload.data, filename) if content_type == "application/pdf" else None
    return CheckedFile(
        filename=filename,
        data=upload.data,
        content_type=content_type,
        sha256=hashlib.sha256(upload.data).hexdigest(),
        pages=pages,
    )


def blob_name(sha256: str) -> str:
    return f"{sha256[:2]}/{sha256[2:4]}/{sha256}"


def put(data: bytes, sha256: str | None = None) -> str:
    """Store ``data`` under its SHA-256 (once: the same bytes are not written again)."""
    digest = sha256 or hashlib.sha256(data).hexdigest()
    name = blob_name(digest)
    store = storage()
    if not store.exists(name):
        saved = store.save(name, ContentFile(data))
        if saved != name:  # another process stored the same bytes at the same instant
            store.delete(saved)
    return digest


def get(sha256: str) -> bytes:
    """The stored bytes of ``sha256``, checked against it. ``DocumentCorrupt`` otherwise."""
    try:
        with storage().open(blob_name(sha256), "rb") as handle:
            data: bytes = handle.read()
    except (FileNotFoundError, OSError):
        raise DocumentCorrupt(_("The stored file is missing.")) from None
    if hashlib.sha256(data).hexdigest() != sha256:
        log.error("mail document %s: stored bytes do not match their hash", sha256)
        raise DocumentCorrupt(_("The stored file was changed since it was registered."))
    return data


def remove(sha256: str) -> bool:
    """Delete the stored bytes of ``sha256`` unless a document that is not destroyed still
    uses them (as original, rendition or thumbnail)."""
    from django.db.models import Q

    from onthaal.mail.models import Document

    still_used = (
        Document.objects.filter(destroyed_at__isnull=True)
        .filter(Q(sha256=sha256) | Q(rendition_sha256=sha256) | Q(thumbnail_sha256=sha256))
        .exists()
    )
    if still_used:
        return False
    name = blob_name(sha256)
    if storage().exists(name):
        storage().delete(name)
    return True


def add_documents(
    item: MailItem, files: Sequence[CheckedFile], *, now: dt.datetime
) -> list[Document]:
    """Store ``files`` and add them to ``item`` after its existing documents, in the caller's
    transaction. The bytes are written first (content-addressed, so a rollback leaves at most
    an unreferenced copy, never a reference without bytes)."""
    from django.db.models import Max

    from onthaal.mail.models import Document

    if not files:
        return []
    if len(files) > MAX_FILES:
        message = _("At most %(max)d files per item.") % {"max": MAX_FILES}
        raise DomainError(message, fields={"files": [message]})
    start = item.documents.aggregate(last=Max("position"))["last"] or 0
    rows = []
    for offset, checked in enumerate(files, start=1):
        put(checked.data, checked.sha256)
        rows.append(
            Document(
                item=item,
                position=start + offset,
                filename=checked.filename,
                content_type=checked.content_type,
                size=len(checked.data),
                sha256=checked.sha256,
                pages=checked.pages,
                created_at=now,
            )
        )
    return Document.objects.bulk_create(rows)


def schedule_processing(item: MailItem) -> None:
    """Queue the rendition, thumbnail and text of the item's new documents (the worker)."""
    from onthaal.mail.tasks import process_document

    for pk in item.documents.filter(text_status="pending").values_list("pk", flat=True):
        process_document.enqueue(pk)


# --- after registration: rendition, thumbnail, text ---------------------------------------


def tool(name: str) -> str | None:
    return shutil.which(name)


def ocr_available() -> bool:
    return tool("ocrmypdf") is not None and tool("tesseract") is not None


def _run(args: list[str], timeout: int = OCR_TIMEOUT_SECONDS) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(args, capture_output=True, timeout=timeout, check=True)  # noqa: S603


def image_to_pdf(data: bytes) -> bytes:
    from PIL import Image

    with Image.open(io.BytesIO(data)) as image:
        frames = []
        for index in range(getattr(image, "n_frames", 1)):
            image.seek(index)
            frames.append(image.convert("RGB"))
    out = io.BytesIO()
    frames[0].save(out, format="PDF", save_all=True, append_images=frames[1:], resolution=200)
    return out.getvalue()


def thumbnail(pdf: bytes | None, image: bytes | None) -> bytes | None:
    """A PNG of page 1, at most 300 pixels wide (None when no tool can draw it)."""
    from PIL import Image

    if image is not None:
        with Image.open(io.BytesIO(image)) as picture:
            picture.seek(0)
            small = picture.convert("RGB")
            small.thumbnail((300, 424))
            out = io.BytesIO()
            small.save(out, format="PNG")
            return out.getvalue()
    if pdf is None or tool("pdftoppm") is None:
        return None
    with tempfile.TemporaryDirectory() as work:
        source = Path(work) / "in.pdf"
        source.write_bytes(pdf)
        _run(["pdftoppm", "-png", "-f", "1", "-l", "1", "-scale-to-x", "300", "-scale-to-y", "-1", "-singlefile", str(source), str(Path(work) / "page")], timeout=60)  # fmt: skip
        return (Path(work) / "page.png").read_bytes()


def pdf_text(pdf: bytes) -> str:
    """The text layer of a PDF (pdftotext when installed, else pypdf)."""
    if tool("pdftotext") is not None:
        with tempfile.TemporaryDirectory() as work:
            source = Path(work) / "in.pdf"
            source.write_bytes(pdf)
            result = _run(["pdftotext", "-enc", "UTF-8", str(source), "-"], timeout=120)
            return result.stdout.decode("utf-8", "replace")
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(pdf), strict=False)
    return "\n".join(page.extract_text() or "" for page in reader.pages)


def ocr(pdf: bytes) -> bytes:
    """The PDF with a recognised text layer (ocrmypdf, Tesseract's Dutch and French)."""
    with tempfile.TemporaryDirectory() as work:
        source, target = Path(work) / "in.pdf", Path(work) / "out.pdf"
        source.write_bytes(pdf)
        _run(["ocrmypdf", "--quiet", "--skip-text", "--output-type", "pdf", "--optimize", "0", "--tesseract-timeout", str(OCR_TIMEOUT_SECONDS), "-l", "nld+fra", str(source), str(target)], timeout=OCR_TIMEOUT_SECONDS + 120)  # fmt: skip
        return target.read_bytes()


@dataclasses.dataclass
class Processed:
    rendition_sha256: str = ""
    thumbnail_sha256: str = ""
    text: str = ""
    text_status: str = "none"
    text_error: str = ""
    pages: int | None = None


def process(content_type: str, data: bytes) -> Processed:
    """Make the rendition, thumbnail and text of one file's bytes."""
    done = Processed()
    pdf: bytes | None = None
    if content_type == "application/pdf":
        pdf = data
    elif content_type in IMAGE_TYPES:
        pdf = image_to_pdf(data)
    elif content_type in ("text/plain", "message/rfc822"):
        done.text = data.decode("utf-8", "replace")
        done.text_status = "done" if done.text.strip() else "none"
        return done
    else:
        return done  # Word and OpenDocument: kept and served as they are
    try:
        picture = thumbnail(pdf, data if content_type in IMAGE_TYPES else None)
        if picture is not None:
            done.thumbnail_sha256 = put(picture)
    except (OSError, subprocess.SubprocessError, ValueError) as error:
        log.warning("thumbnail failed: %s", error)
    text = pdf_text(pdf).strip() if content_type == "application/pdf" else ""
    if text:
        done.text, done.text_status = text, "done"
    elif not ocr_available():
        done.text_status = "unavailable"
    else:
        try:
            pdf = ocr(pdf)
            done.text = pdf_text(pdf).strip()
            done.text_status = "done" if done.text else "none"
        except (OSError, subprocess.SubprocessError) as error:
            detail = getattr(error, "stderr", b"") or b""
            done.text_status = "failed"
            done.text_error = (str(error) + " " + detail.decode("utf-8", "replace"))[-300:]
    done.rendition_sha256 = put(pdf)
    done.pages = pdf_pages(pdf)
    return done


def process_document(document: Document) -> Document:
    """Process one stored document and save what came of it."""
    from onthaal.mail import search

    data = get(document.sha256)
    try:
        done = process(document.content_type, data)
    except Exception as error:  # a tool that crashed: the item says so, nothing is lost
        log.exception("processing document %s failed", document.pk)
        done = Processed(text_status="failed", text_error=str(error)[:300])
    document.rendition_sha256 = done.rendition_sha256
    document.thumbnail_sha256 = done.thumbnail_sha256
    document.text = done.text
    document.text_status = done.text_status
    document.text_error = done.text_error
    if done.pages is not None:
        document.pages = done.pages
    document.save(
        update_fields=[
            "rendition_sha256",
            "thumbnail_sha256",
            "text",
            "text_status",
            "text_error",
            "pages",
        ]
    )
    search.reindex(document.item_id)
    return document


def describe(document: Any) -> str:
    return f"{document.filename} ({document.content_type}, {document.size} bytes)"
