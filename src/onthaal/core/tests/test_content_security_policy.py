"""Content-Security-Policy: every response says that scripts and styles come from Onthaal's own
address only, and no template needs more (no inline script, event handler or style)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.test import Client

import onthaal

# Documents that are not pages: PDF sources and e-mail bodies carry their own style.
DOCUMENTS = {"mail/letter.html", "mail/email_body.html", "reporting/year.html"}
TEMPLATES = sorted(
    path
    for path in Path(onthaal.__file__).parent.rglob("templates/**/*.html")
    if str(path).split("/templates/")[-1] not in DOCUMENTS
)
# A <script> that runs code without a src; data blocks (JSON, JSON-LD) are not run.
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/(ld\+)?json\")")
EVENT_HANDLER = re.compile(r"\son[a-z]+\s*=", re.IGNORECASE)
INLINE_STYLE = re.compile(r"<style|\sstyle\s*=", re.IGNORECASE)


def test_the_templates_are_found() -> None:
    assert len(TEMPLATES) > 30


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: str(p).split("/onthaal/")[-1])
def test_no_template_has_inline_script_handler_or_style(template: Path) -> None:
    text = template.read_text()

    assert not INLINE_SCRIPT.search(text)
    assert not EVENT_HANDLER.search(text)
    assert "javascript:" not in text
    assert not INLINE_STYLE.search(text)


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/afspraak/", "/staff/login/", "/api/v1/docs/", "/api/v1/me/"])
def test_every_response_carries_the_policy(url: str) -> None:
    response = Client().get(url)

    policy = response["Content-Security-Policy"]
    assert "script-src 'self';" in policy
    assert "style-src 'self';" in policy
    assert "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy


@pytest.mark.django_db
def test_the_api_documentation_page_runs_no_inline_script() -> None:
    page = Client().get("/api/v1/docs/").content.decode()

    assert "<script src=" in page
    assert not INLINE_SCRIPT.search(page)
    assert "<style" not in page
