"""Reads of the mail register. Every read is an audit event, and so is every refusal.

Who sees an item (``visible``): members of its department with ``mail.view``; holders of an
administration-wide ``mail.view`` role for items that are not confidential; a colleague with a
grant that has not expired. A confidential item (the OCMW social service's mail, or a
restricted document type) is never visible to administration-wide roles: deny by default.

The access condition is part of every query (lists, search, counts, exports), so a count or a
page never reveals an item the reader may not see. An item that is not visible answers as if
it did not exist (404), and the try is recorded as a refusal.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from collections.abc import Iterable
from typing import Any

from django.db.models import Count, F, Q, QuerySet
from django.utils.translation import gettext as _

from onthaal.accounts import access
from onthaal.audit.models import Action
from onthaal.audit.services import record_event, record_refusal
from onthaal.core import clock
from onthaal.core.errors import AccessDenied, NotFound
from onthaal.mail import documents, search
from onthaal.mail.models import OPEN_STATUSES, AccessGrant, Document, MailItem, Status
from onthaal.mail.services import OBJECT_TYPE
from onthaal.organisation.models import Department

MAX_PAGE = 100
MAX_EXPORT = 5000


def visible(user: Any) -> Q:
    """The condition "``user`` may read the item"."""
    now = clock.now()
    roles = access.CAPABILITIES["mail.view"]
    scoped = [m for m in access.memberships(user) if m.role in roles]
    condition = Q(department_id__in=[m.department_id for m in scoped if m.department_id])
    if any(m.department_id is None for m in scoped):
        condition |= Q(confidential=False)
    if getattr(user, "is_authenticated", False):
        # The reader's few grants are read first, and only their items' ids go into the
        # condition (none, for most readers): so the condition is the department's column
        # alone, which the indexes that lead with it serve (newest first within the
        # department, ``mail_item_department_recent``), and a grant is a lookup by id
        # beside it rather than a subquery that would keep the planner from those indexes.
        granted = list(
            AccessGrant.objects.filter(
                grantee=user, revoked_at__isnull=True, expires_at__gt=now
            ).values_list("item_id", flat=True)
        )
        if granted:
            condition |= Q(pk__in=granted)
    return condition


def visible_items(user: Any) -> QuerySet[MailItem]:
    if not access.memberships(user) and not getattr(user, "is_authenticated", False):
        return MailItem.objects.none()
    return MailItem.objects.filter(visible(user))


def _parse_id(value: Any) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except (ValueError, TypeError, AttributeError):
        return None


def _refuse(actor: Any, requested: str, what: str) -> NotFound:
    record_refusal(
        actor=actor,
        object_type=OBJECT_TYPE,
        object_id=requested[:100],
        details={"what": what, "reason": "not visible or not found"},
    )
    return NotFound(_("No such mail item."))


def _item(actor: Any, public_id: Any, what: str) -> MailItem:
    parsed = _parse_id(public_id)
    item = None
    if parsed is not None:
        item = (
            visible_items(actor)
            .select_related("department", "document_type", "correspondent", "handler", "answers")
            .filter(public_id=parsed)
            .first()
        )
    if item is None:
        raise _refuse(actor, str(public_id), what)
    return item


def get_item(actor: Any, public_id: Any, *, what: str = "detail") -> MailItem:
    """The item, for reading: one ``view`` event naming it and the reader."""
    item = _item(actor, public_id, what)
    record_event(
        action=Action.VIEW,
        actor=actor,
        object_type=OBJECT_TYPE,
        object_id=item.register_number,
        department=item.department,
        details={"id": str(item.public_id), "what": what},
    )
    return item


def item_for_change(actor: Any, public_id: Any, *, what: str) -> MailItem:
    """The item, to change it (the change's own service records the event; a refused try is
    recorded here)."""
    return _item(actor, public_id, what)


KINDS = ("original", "rendition", "thumbnail")


def read_document(
    actor: Any, public_id: Any, position: Any, *, kind: str = "original"
) -> tuple[MailItem, Document, bytes]:
    """A document's bytes (checked against their SHA-256), for a download (``original``) or a
    preview (``rendition``, ``thumbnail``): one event naming the item, the document and the
    reader."""
    item = _item(actor, public_id, f"document:{kind}")
    number = position if isinstance(position, int) else None
    if number is None and str(position).isdigit() and len(str(position)) < 6:
        number = int(str(position))
    document = (
        item.documents.filter(position=number, destroyed_at__isnull=True).first()
        if number is not None and kind in KINDS
        else None
    )
    digest = ""
    if document is not None:
        digest = {
            "original": document.sha256,
            "rendition": document.rendition_sha256,
            "thumbnail": document.thumbnail_sha256,
        }[kind]
    if document is None or not digest:
        raise _refuse(actor, f"{item.register_number}/{position}", f"document:{kind}")
    data = documents.get(digest)
    record_event(
        action=Action.DOWNLOAD if kind == "original" else Action.VIEW,
        actor=actor,
        object_type=OBJECT_TYPE,
        object_id=item.register_number,
        department=item.department,
        details={
            "id": str(item.public_id),
            "document": document.position,
            "kind": kind,
            "sha256": digest,
        },
    )
    return item, document, data


@dataclasses.dataclass(frozen=True)
class Filters:
    """What a list or search asks for (all optional)."""

    query: str = ""
    direction: str = ""
    department: Department | None = None
    status: str = ""
    handler_id: int | None = None
    document_type_id: int | None = None
    start: dt.date | None = None
    end: dt.date | None = None
    open_only: bool = False
    overdue_only: bool = False

    def described(self) -> dict[str, Any]:
        values = {
            "q": self.query,
            "direction": self.direction,
            "department": self.department.pk if self.department else None,
            "status": self.status,
            "handler": self.handler_id,
            "document_type": self.document_type_id,
            "from": self.start.isoformat() if self.start else None,
            "to": self.end.isoformat() if self.end else None,
            "open": self.open_only or None,
            "overdue": self.overdue_only or None,
        }
        return {k: v for k, v in values.items() if v not in (None, "")}


def _check_department(actor: Any, filters: Filters, what: str) -> None:
    """Asking for a department whose mail one may not read is refused (and recorded)."""
    department = filters.department
    if department is None:
        return
    allowed = visible_items(actor).filter(department=department).exists() or access.can(
        actor, "mail.view", department
    )
    if not allowed:
        record_refusal(
            actor=actor,
            capability="mail.view",
            department=department,
            object_type=OBJECT_TYPE,
            details={"what": what},
        )
        raise AccessDenied(_("You do not have access to this department's mail."))


def _filtered(actor: Any, filters: Filters) -> QuerySet[MailItem]:
    items = visible_items(actor)
    if filters.direction:
        items = items.filter(direction=filters.direction)
    if filters.department is not None:
        items = items.filter(department=filters.department)
    if filters.status:
        items = items.filter(status=filters.status)
    if filters.open_only:
        items = items.filter(status__in=OPEN_STATUSES)
    if filters.overdue_only:
        items = items.filter(status__in=OPEN_STATUSES, due_date__lt=clock.today())
    if filters.handler_id is not None:
        items = items.filter(handler_id=filters.handler_id)
    if filters.document_type_id is not None:
        items = items.filter(document_type_id=filters.document_type_id)
    if filters.start is not None:
        items = items.filter(registered_at__gte=_start_of(filters.start))
    if filters.end is not None:
        items = items.filter(registered_at__lt=_start_of(filters.end + dt.timedelta(days=1)))
    if filters.query and search.words(filters.query):
        items = items.filter(search.matches(filters.query))
    return items


def _start_of(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=clock.BRUSSELS)


# A list or search counts its hits up to COUNT_AT_MOST and then says "more than 1,000": an
# exact count of a common word's matches would read every one of them (about 80,000 of
# 1,000,000 items in bench_mail), and so would ranking them. Up to that many hits, a search is
# ranked by relevance; above it, the newest come first, read in date order from an index
# (``mail_item_department_recent`` for a reader of one department, else
# ``mail_item_recent``) until a page is full.
COUNT_AT_MOST = 1000

RELATED = ("department", "document_type", "correspondent", "handler", "answers")


@dataclasses.dataclass
class Page:
    items: list[MailItem]
    total: int  # the number of hits, at most COUNT_AT_MOST
    offset: int
    limit: int
    more: bool = False  # more than ``total`` items match
    ranked: bool = False  # ordered by relevance (a search with few enough hits)


def _ranked_page(
    items: QuerySet[MailItem], query: str, offset: int, limit: int
) -> tuple[int, list[MailItem] | None]:
    """A search's hits counted up to COUNT_AT_MOST + 1 and, when there are no more than
    COUNT_AT_MOST, the page of them by relevance; ``None`` for a search with more hits.

    One query reads the hits' ids with their rank and date (the count, and what a ranked page
    is ordered by), and a second reads the page's rows by id: not a count and then a ranked
    query that both find every hit again."""
    hits = list(
        items.annotate(rank=search.rank(query))
        .order_by()
        .values_list("pk", "rank", "registered_at")[: COUNT_AT_MOST + 1]
    )
    if len(hits) > COUNT_AT_MOST:
        return len(hits), None
    # As ORDER BY rank DESC, registered_at DESC, pk DESC would.
    hits.sort(key=lambda hit: (hit[1], hit[2], hit[0]), reverse=True)
    wanted = [pk for pk, _rank, _at in hits[offset : offset + limit]]
    rows = MailItem.objects.select_related(*RELATED).in_bulk(wanted)
    return len(hits), [rows[pk] for pk in wanted]


def search_items(
    actor: Any,
    filters: Filters,
    *,
    offset: int = 0,
    limit: int = 25,
    order: str = "recent",
    what: str = "list",
) -> Page:
    """A page of the items ``actor`` may see that match ``filters``, and how many there are
    (up to COUNT_AT_MOST): one ``search`` event with the query, the filters, the number of
    hits and the items shown. The access condition is part of the count and of the page's
    query, so neither ever counts or shows an item the reader may not see."""
    _check_department(actor, filters, what)
    limit = max(1, min(limit, MAX_PAGE))
    offset = max(0, min(offset, 10**9))
    items = _filtered(actor, filters)
    searching = bool(filters.query and search.words(filters.query))
    found: list[MailItem] | None = None
    if searching:
        total, found = _ranked_page(items, filters.query, offset, limit)
    else:
        total = items.order_by()[: COUNT_AT_MOST + 1].count()
    more = total > COUNT_AT_MOST
    total = min(total, COUNT_AT_MOST)
    ranked = found is not None
    if found is None:
        if order == "due":
            items = items.order_by(F("due_date").asc(nulls_last=True), "registered_at", "pk")
        else:
            items = items.order_by("-registered_at", "-pk")
        found = list(items.select_related(*RELATED)[offset : offset + limit])
    record_event(
        action=Action.SEARCH,
        actor=actor,
        object_type=OBJECT_TYPE,
        details={
            "what": what,
            "filters": filters.described(),
            "hits": total,
            **({"more_hits": True} if more else {}),
            "items": [i.register_number for i in found],
            "ids": [str(i.public_id) for i in found],
        },
    )
    return Page(items=found, total=total, offset=offset, limit=limit, more=more, ranked=ranked)


def inbox_counts(actor: Any) -> list[dict[str, Any]]:
    """Open items per department and handler that ``actor`` may see, with how many are
    overdue (for the inbox's overview; part of the inbox read's event)."""
    today = clock.today()
    rows = (
        visible_items(actor)
        .filter(status__in=OPEN_STATUSES)
        .values("department_id", "department__name", "handler_id", "handler__username")
        .annotate(
            open=Count("pk"),
            overdue=Count("pk", filter=Q(due_date__lt=today)),
            unassigned=Count("pk", filter=Q(status=Status.REGISTERED)),
        )
        .order_by("department__name", "handler__username")
    )
    return [dict(row) for row in rows]


def export_items(actor: Any, filters: Filters) -> list[MailItem]:
    """The register lines ``actor`` may see that match ``filters`` (at most MAX_EXPORT): one
    ``export`` event naming them."""
    access.require(actor, "mail.export", object_type=OBJECT_TYPE)
    _check_department(actor, filters, "export")
    items = list(
        _filtered(actor, filters)
        .select_related(*RELATED)
        .order_by("organisation_id", "direction", "year", "sequence")[:MAX_EXPORT]
    )
    record_event(
        action=Action.EXPORT,
        actor=actor,
        object_type=OBJECT_TYPE,
        details={
            "filters": filters.described(),
            "rows": len(items),
            "items": [i.register_number for i in items],
            "ids": [str(i.public_id) for i in items],
        },
    )
    return items


def has_active_grant(user: Any) -> bool:
    """Has ``user`` been granted any item that they may still read?"""
    return AccessGrant.objects.filter(
        grantee=user, revoked_at__isnull=True, expires_at__gt=clock.now()
    ).exists()


def grants_of(item: MailItem) -> Iterable[AccessGrant]:
    return item.grants.select_related("grantee", "granted_by").order_by("-created_at")
