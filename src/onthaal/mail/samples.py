"""Sample files for the demo and the tests: a born-digital PDF with a text layer, a scanned
page (an image of Dutch text, without a text layer), an encrypted PDF. Made with Pillow and
pypdf, no other tool."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")


def text_pdf(*lines: str) -> bytes:
    """A one-page PDF whose text layer holds ``lines`` (Helvetica, WinAnsi)."""
    stream = (
        "BT /F1 14 Tf 72 760 Td 18 TL "
        + " ".join(
            "({}) '".format(line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)"))
            for line in lines
        )
        + " ET"
    )
    content = stream.encode("cp1252")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(
        b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    )
    return out.getvalue()


def scan_image(*lines: str, fmt: str = "PNG") -> bytes:
    """A page of ``lines`` as a 200 dpi greyscale image, as a scanner makes it (DejaVu Sans
    where installed, else Pillow's own font)."""
    from PIL import Image, ImageDraw, ImageFont

    page = Image.new("L", (1654, 2339), 255)  # A4 at 200 dpi
    draw = ImageDraw.Draw(page)
    font: Any = (
        ImageFont.truetype(str(FONT), 44) if FONT.exists() else ImageFont.load_default(size=44)
    )
    for n, line in enumerate(lines):
        draw.text((150, 200 + n * 80), line, fill=0, font=font)
    out = io.BytesIO()
    page.save(out, format=fmt, dpi=(200, 200))
    return out.getvalue()


def scan_pdf(*lines: str) -> bytes:
    """An image-only PDF (no text layer) of ``lines``."""
    from PIL import Image

    image = Image.open(io.BytesIO(scan_image(*lines)))
    out = io.BytesIO()
    image.save(out, format="PDF", resolution=200)
    return out.getvalue()


def encrypted_pdf() -> bytes:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    for page in PdfReader(io.BytesIO(text_pdf("Geheim"))).pages:
        writer.add_page(page)
    writer.encrypt("wachtwoord")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
