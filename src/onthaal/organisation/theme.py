"""Which organisation's theme a page wears, and the theme as templates use it.

The citizens' pages and the staff shell wear the *site's* theme: the first organisation with
one, the municipality before the OCMW (they are one local administration, and Flemish ones
mostly share one house style), then by name. A kiosk or a waiting-room screen wears the theme
of its location: the first organisation in that order with a department at the location, else
the site's. Nothing themed: Onthaal's own look (``onthaal.css``).

The same read holds whose site it is (:class:`Site`): every organisation's name in that order,
so that the headers, titles and footer name the install's own municipality (and OCMW).

The colours reach the pages as a small stylesheet of custom properties (``views.theme_css``),
since the pages' Content-Security-Policy allows no inline style; the logo and favicon through
``views.theme_file``. All of it is read once into :class:`Themes`, cached (``theme_cache``).
"""

from __future__ import annotations

import hashlib
import logging
import posixpath
from dataclasses import dataclass, field
from typing import Any

from django.core.cache import cache
from django.db import DatabaseError
from django.http import HttpRequest
from django.urls import reverse
from django.utils.functional import SimpleLazyObject
from django.utils.text import get_text_list
from django.utils.translation import gettext

from onthaal.organisation import palette, theme_cache, theme_files
from onthaal.organisation.models import Department, Organisation

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Theme:
    organisation_id: int
    name: str
    logo: str = ""  # the file's name in storage ("theme/<sha256>.<ext>"), or ""
    favicon: str = ""
    primary: str = ""
    accent: str = ""

    @property
    def palette(self) -> palette.Palette:
        return palette.palette(self.primary, self.accent)

    @property
    def css(self) -> str:
        return palette.css(self.palette)

    @property
    def version(self) -> str:
        return hashlib.sha256(self.css.encode()).hexdigest()[:16]

    @property
    def stylesheet_url(self) -> str:
        """The stylesheet of the colours ("" without colours of its own)."""
        if not (self.primary or self.accent):
            return ""
        return f"{reverse('theme:css', args=[self.organisation_id])}?v={self.version}"

    @property
    def logo_url(self) -> str:
        return _file_url(self.logo)

    @property
    def favicon_url(self) -> str:
        return _file_url(self.favicon)

    @property
    def favicon_type(self) -> str:
        return _content_type(self.favicon)


def _file_url(name: str) -> str:
    return reverse("theme:file", args=[posixpath.basename(name)]) if name else ""


def _content_type(name: str) -> str:
    return theme_files.CONTENT_TYPES.get(posixpath.splitext(name)[1].lstrip("."), "")


@dataclass(frozen=True)
class Site:
    """Whose site this is: the organisations' names, the municipality first, then by name
    (an install may have only one). No names on an empty install or when the database did
    not answer: the pages then say just "Onthaal"."""

    names: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        """The name the headers and titles show: the municipality's (or the first)."""
        return self.names[0] if self.names else ""

    @property
    def administration(self) -> str:
        """The organisations named together, "Gemeente X en OCMW X" (the footer's)."""
        return get_text_list(list(self.names), gettext("and"))


@dataclass(frozen=True)
class Themes:
    site: Theme | None = None
    by_organisation: dict[int, Theme] = field(default_factory=dict)
    by_location: dict[int, Theme] = field(default_factory=dict)
    names: tuple[str, ...] = ()  # every organisation's, in the site's order

    def file(self, basename: str) -> str | None:
        """The storage name of a current logo or favicon called ``basename``, else None."""
        for theme in self.by_organisation.values():
            for name in (theme.logo, theme.favicon):
                if name and posixpath.basename(name) == basename:
                    return name
        return None


def _build() -> Themes:
    organisations = sorted(
        Organisation.objects.all(),
        key=lambda o: (o.kind != Organisation.Kind.MUNICIPALITY, o.name),
    )
    ordered = [
        Theme(
            organisation_id=o.pk,
            name=o.name,
            logo=o.logo.name or "",
            favicon=o.favicon.name or "",
            primary=o.primary_colour,
            accent=o.accent_colour,
        )
        for o in organisations
        if o.has_theme
    ]
    names = tuple(o.name for o in organisations)
    if not ordered:
        return Themes(names=names)
    by_organisation = {t.organisation_id: t for t in ordered}
    rank = {t.organisation_id: i for i, t in enumerate(ordered)}
    through = Department.locations.through.objects.filter(
        department__organisation_id__in=by_organisation
    ).values_list("location_id", "department__organisation_id")
    by_location: dict[int, Theme] = {}
    for location_id, organisation_id in through:
        known = by_location.get(location_id)
        if known is None or rank[organisation_id] < rank[known.organisation_id]:
            by_location[location_id] = by_organisation[organisation_id]
    return Themes(
        site=ordered[0], by_organisation=by_organisation, by_location=by_location, names=names
    )


def _build_or_default() -> Themes | None:
    """``_build()``, or None when the database does not answer (or is not migrated yet): an
    error page (400, 403, 404, 500) must still render, in the default look, and that look is
    not kept in the cache."""
    try:
        return _build()
    except DatabaseError:
        log.warning("the themes could not be read: the database did not answer")
        return None


def themes() -> Themes:
    """Every organisation's theme, from the cache when it is there."""
    if not theme_cache.enabled():
        return _build_or_default() or Themes()
    try:
        cached = cache.get(theme_cache.KEY)
    except Exception:
        log.warning("the themes were read from the database: the cache did not answer")
        cached = None
    if isinstance(cached, Themes):
        return cached
    built = _build_or_default()
    if built is None:
        return Themes()
    try:
        cache.set(theme_cache.KEY, built, timeout=theme_cache.TTL)
    except Exception:
        log.warning("the themes were not cached: the cache did not answer")
    return built


def site_theme() -> Theme | None:
    return themes().site


def site() -> Site:
    """Whose site this is (read with the themes, and cached with them)."""
    return Site(names=themes().names)


def location_theme(location_id: int | None) -> Theme | None:
    """The theme of a kiosk or screen at ``location_id``."""
    found = themes()
    if location_id is not None and location_id in found.by_location:
        return found.by_location[location_id]
    return found.site


def context(request: HttpRequest) -> dict[str, Any]:
    """Context processor: ``theme``, the site's theme, and ``site``, whose site it is (each
    read when a template uses it)."""
    return {"theme": SimpleLazyObject(site_theme), "site": SimpleLazyObject(site)}
