"""The help pages under /staff/help/: the manual of each role rendered from its Markdown, a
search over every task (on the server, no script), the release notes, and the files that
``make manual`` built (screenshots, videos with their captions, PDFs)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

from onthaal.accounts import access
from onthaal.accounts.models import Role
from onthaal.help import manual

# What the help pages serve from the build, by file name ending.
SERVED = {
    ".png": "image/png",
    ".webm": "video/webm",
    ".vtt": "text/vtt; charset=utf-8",
    ".pdf": "application/pdf",
}


def language() -> str:
    lang = (get_language() or "nl")[:2]
    return lang if lang in manual.LANGUAGES else "nl"


def role_slug(role: str) -> str:
    return role.replace("_", "-")


def built(relative: str) -> Path | None:
    path = Path(settings.MANUAL_BUILD_DIR) / relative
    return path if path.is_file() else None


def file_url(relative: str) -> str | None:
    """The URL of a file ``make manual`` built, or None when it is not there."""
    if built(relative) is None:
        return None
    return reverse("help:file", args=[relative])


def shot_url(name: str) -> str | None:
    return file_url(f"shots/{name}.png")


@dataclass
class RoleLink:
    role: str
    slug: str
    label: str
    title: str
    mine: bool


def role_links(user_roles: set[str], manuals: list[manual.Manual]) -> list[RoleLink]:
    labels = dict(Role.choices)
    return [
        RoleLink(
            m.role,
            role_slug(m.role),
            str(labels.get(m.role, m.role)),
            m.title,
            m.role in user_roles,
        )
        for m in manuals
    ]


@login_required
def index(request: HttpRequest) -> HttpResponse:
    lang = language()
    manuals = manual.load_all(Path(settings.MANUAL_SOURCE_DIR), lang=lang)
    user_roles = access.roles(request.user)
    query = request.GET.get("q", "").strip()[:200]
    hits: list[manual.Hit] = []
    if query:
        # The user's own roles first, then the others.
        ordered = sorted(manuals, key=lambda m: m.role not in user_roles)
        hits = manual.search(ordered, query)
    labels = dict(Role.choices)
    context = {
        "roles": role_links(user_roles, manuals),
        "query": query,
        "hits": [
            {
                "title": hit.task.title,
                "role": str(labels.get(hit.task.role, hit.task.role)),
                "url": reverse("help:role", args=[role_slug(hit.task.role)]) + "#" + hit.task.id,
                "snippet": hit.snippet,
            }
            for hit in hits
        ],
        "release_notes": (Path(settings.MANUAL_SOURCE_DIR) / lang / "release-notes.md").is_file(),
    }
    return render(request, "help/index.html", context)


def _video(task: manual.Task, lang: str) -> SafeString:
    video = file_url(f"videos/{task.id}.webm")
    captions = file_url(f"videos/{task.id}.nl.vtt")
    if not video or not captions:
        return mark_safe("")
    return format_html(
        '<video class="manual-video" controls preload="none" aria-label="{}" src="{}">'
        '<track kind="captions" srclang="nl" label="Nederlands" src="{}" default></video>',
        task.title,
        video,
        captions,
    )


@login_required
def role_page(request: HttpRequest, slug: str) -> HttpResponse:
    role = slug.replace("-", "_")
    if role not in manual.ROLES:
        raise Http404
    lang = language()
    source = Path(settings.MANUAL_SOURCE_DIR)
    document = manual.load(source, lang=lang, role=role) or manual.load(
        source, lang="nl", role=role
    )
    if document is None:
        raise Http404
    tasks = []
    for task in document.tasks:
        tasks.append(
            {
                "id": task.id,
                "title": task.title,
                # Trusted: the manual is a file of the repository, not user input.
                "html": mark_safe(manual.render(task.markdown, shot_url)),  # noqa: S308
                "video": _video(task, lang),
                "sheet": file_url(f"sheets/{lang}/{task.id}.pdf"),
            }
        )
    manuals = manual.load_all(source, lang=lang)
    context = {
        "manual": document,
        "intro": mark_safe(manual.render(document.intro, shot_url)),  # noqa: S308 -- repo file
        "tasks": tasks,
        "pdf": file_url(f"pdf/{lang}/{role_slug(role)}.pdf"),
        "roles": role_links(access.roles(request.user), manuals),
        "current": role,
    }
    return render(request, "help/role.html", context)


@login_required
def release_notes(request: HttpRequest) -> HttpResponse:
    lang = language()
    path = Path(settings.MANUAL_SOURCE_DIR) / lang / "release-notes.md"
    if not path.is_file():
        raise Http404
    text = path.read_text(encoding="utf-8")
    body = mark_safe(manual.render(text, shot_url))  # noqa: S308 -- a file of the repository
    return render(request, "help/release_notes.html", {"body": body})


_RANGE = re.compile(r"bytes=(\d*)-(\d*)$")


@login_required
def built_file(request: HttpRequest, path: str) -> HttpResponseBase:
    """A file of the built manual. Only the kinds above, only under the build directory.
    One byte range (``Range: bytes=a-b``) is answered with 206: a video can be sought."""
    root = Path(settings.MANUAL_BUILD_DIR).resolve()
    target = (root / path).resolve()
    content_type = SERVED.get(target.suffix)
    if content_type is None or not target.is_relative_to(root) or not target.is_file():
        raise Http404
    size = target.stat().st_size
    asked = _RANGE.match(request.headers.get("Range", "").strip())
    if asked and any(asked.groups()):
        first, last = asked.groups()
        start = int(first) if first else max(0, size - int(last))
        end = min(int(last), size - 1) if first and last else size - 1
        if start > end:
            refused = HttpResponse(status=416)
            refused["Content-Range"] = f"bytes */{size}"
            return refused
        with target.open("rb") as stream:
            stream.seek(start)
            part = HttpResponse(stream.read(end - start + 1), status=206, content_type=content_type)
        part["Content-Range"] = f"bytes {start}-{end}/{size}"
        part["Accept-Ranges"] = "bytes"
        return part
    response = FileResponse(target.open("rb"), content_type=content_type)
    response["Accept-Ranges"] = "bytes"
    if target.suffix == ".pdf":
        response["Content-Disposition"] = f'inline; filename="{target.name}"'
    return response


def help_link(request: HttpRequest) -> dict[str, str]:
    """Context processor: ``help_url``, the manual's section about the current staff page."""
    from onthaal.help.sections import section_for

    if not request.path.startswith("/staff/") or not request.user.is_authenticated:
        return {}
    match = getattr(request, "resolver_match", None)
    found = section_for(match.view_name, access.roles(request.user)) if match else None
    if found is None:
        return {"help_url": reverse("help:index")}
    role, task = found
    url = reverse("help:role", args=[role_slug(role)])
    return {"help_url": url + (f"#{task}" if task else "")}
