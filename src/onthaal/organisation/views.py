"""The theme's stylesheet and files, for every page (no session needed)."""

from __future__ import annotations

import posixpath

from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from onthaal.organisation import theme, theme_files

YEAR = 365 * 24 * 60 * 60
# A logo opened on its own runs nothing and loads nothing (an SVG's inline styles apply).
FILE_POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; sandbox"


@require_GET
def theme_css(request: HttpRequest, organisation_id: int) -> HttpResponse:
    """The organisation's colours as onthaal.css's custom properties. Cached for a year under
    its version (the page links ``?v=<version>``); any other version is the current one,
    not cached."""
    found = theme.themes().by_organisation.get(organisation_id)
    if found is None:
        raise Http404
    response = HttpResponse(found.css, content_type="text/css; charset=utf-8")
    if request.GET.get("v") == found.version:
        response["Cache-Control"] = f"public, max-age={YEAR}, immutable"
    else:
        response["Cache-Control"] = "no-cache"
    return response


@require_GET
def theme_file(request: HttpRequest, name: str) -> FileResponse:
    """A current logo or favicon. Its name is its content's hash: cached for a year. Only the
    files organisations use now are served, never another file of the storage."""
    stored = theme.themes().file(name)
    content_type = theme_files.CONTENT_TYPES.get(posixpath.splitext(name)[1].lstrip("."))
    if stored is None or content_type is None:
        raise Http404
    try:
        handle = default_storage.open(stored, "rb")  # the FileFields' storage
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(handle, content_type=content_type)
    response["Cache-Control"] = f"public, max-age={YEAR}, immutable"
    response["Content-Security-Policy"] = FILE_POLICY
    return response
