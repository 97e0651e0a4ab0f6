"""Reads of e-loket requests for staff. Every read of a request is an audit event, and so is
every refusal. A request is visible to the members of its department with ``eloket.view``;
an administration-wide role sees the requests of departments that are not confidential (the
OCMW social service's requests stay with its own members) — the mail register's rule. The
access condition is part of every query: a list or a count never shows a request the reader
may not see, and a request that is not visible answers as if it did not exist."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from onthaal.accounts import access
from onthaal.audit.models import Action
from onthaal.audit.services import record_event, record_refusal
from onthaal.core import clock
from onthaal.core.errors import NotFound
from onthaal.eloket.models import Payment, Request, Status
from onthaal.eloket.services import OBJECT_TYPE

MAX_PAGE = 100


def visible_requests(user: Any) -> QuerySet[Request]:
    departments = access.departments_with(user, "eloket.view")
    return Request.objects.filter(department__in=departments, anonymised_at__isnull=True)


def work_list(
    user: Any,
    *,
    status: str = "",
    department: int | None = None,
    mine: bool = False,
    limit: int = MAX_PAGE,
) -> list[Request]:
    """The open requests of the reader's departments, overdue first (then by due date); one
    ``search`` event naming what was listed."""
    found = visible_requests(user).select_related("product", "department", "assignee")
    if status in Status.values:
        found = found.filter(status=status)
    else:
        # Open is "not finished" (a check constraint holds the two alike): the work list's
        # partial index covers exactly these rows, in due order.
        found = found.filter(finished_at__isnull=True)
    if department is not None:
        found = found.filter(department_id=department)
    if mine:
        found = found.filter(assignee=user)
    # By due date: what is overdue (due before today) comes first by itself.
    page: list[Request] = list(found.order_by("due_on", "pk")[: max(1, min(limit, MAX_PAGE))])
    today = clock.today()
    for request in page:
        request.overdue = 0 if request.due_on < today else 1  # type: ignore[attr-defined]
    record_event(
        action=Action.SEARCH,
        actor=user,
        object_type=OBJECT_TYPE,
        details={
            "status": status,
            "department": department,
            "results": [r.reference for r in page],
        },
    )
    return page


def get_request(user: Any, reference: Any, *, what: str = "detail") -> Request:
    """The request, for reading: one ``view`` event naming it and the reader. Unknown and not
    visible answer alike (404); the try is recorded as a refusal."""
    text = str(reference or "")[:12].upper()
    found = (
        visible_requests(user)
        .select_related("product", "department", "assignee", "form_version", "mail_item")
        .filter(reference=text)
        .first()
    )
    if found is None:
        record_refusal(
            actor=user,
            capability="eloket.view",
            object_type=OBJECT_TYPE,
            object_id=text,
            details={"what": what, "reason": "not visible or not found"},
        )
        raise NotFound(_("No such request."))
    record_event(
        action=Action.VIEW,
        actor=user,
        object_type=OBJECT_TYPE,
        object_id=found.reference,
        department=found.department,
        details={"what": what},
    )
    return found


def request_of_mail_item(user: Any, mail_item: Any) -> Request | None:
    """The request a mail item was registered for (its incoming item, or the document
    produced for it), when ``user`` may see that request; None otherwise. No event: the
    caller has just read the mail item (its own event), only the request's reference is
    shown, and opening the request is its own read."""
    return (
        visible_requests(user)
        .filter(Q(mail_item=mail_item) | Q(document_item=mail_item))
        .only("pk", "reference")
        .first()
    )


def payments_to_resolve(user: Any) -> list[Payment]:
    access.require(user, "eloket.payments", object_type="eloket.payment")
    return list(
        Payment.objects.filter(
            outcome__in=[Payment.Outcome.PARTIAL, Payment.Outcome.DOUBLE, Payment.Outcome.UNMATCHED]
        ).select_related("request", "statement")[:200]
    )


def finished_requests(*, pk_from: int, limit: int) -> list[dict[str, Any]]:
    """Closed and rejected requests with an id from ``pk_from`` on, in id order, as plain
    data for the figures (nothing personal): with the first location of their department."""
    rows: list[dict[str, Any]] = [
        dict(row)
        for row in Request.objects.filter(pk__gte=pk_from, finished_at__isnull=False)
        .order_by("pk")
        .values("pk", "department_id", "product_id", "status", "submitted_at", "finished_at")[
            :limit
        ]
    ]
    from onthaal.organisation.models import Department

    departments = {r["department_id"] for r in rows}
    first: dict[int, int] = {}
    for department_id, location_id in (
        Department.locations.through.objects.filter(department_id__in=departments)
        .order_by("department_id", "location_id")
        .values_list("department_id", "location_id")
    ):
        first.setdefault(department_id, location_id)
    for row in rows:
        row["location_id"] = first.get(row["department_id"])
    return rows


def first_open_request(*, pk_from: int) -> int | None:
    """The lowest id from ``pk_from`` on of a request that is not finished."""
    return (
        Request.objects.filter(pk__gte=pk_from, finished_at__isnull=True)
        .order_by("pk")
        .values_list("pk", flat=True)
        .first()
    )


def last_request_id() -> int:
    return Request.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
