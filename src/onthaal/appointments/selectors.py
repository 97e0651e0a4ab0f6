"""Reading appointments as anonymous figures (for ``reporting``): no name, no contact."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Q

from onthaal.appointments.models import ACTIVE_STATUSES, Appointment, AppointmentProduct, Status

CLOSED = (Status.DONE, Status.CANCELLED, Status.NO_SHOW)


def _products(ids: list[int]) -> dict[int, list[tuple[int, int]]]:
    out: dict[int, list[tuple[int, int]]] = {}
    for appointment_id, product_id, quantity in AppointmentProduct.objects.filter(
        appointment_id__in=ids
    ).values_list("appointment_id", "product_id", "quantity"):
        out.setdefault(appointment_id, []).append((product_id, quantity))
    return out


def closed_appointments(*, pk_from: int, limit: int) -> list[dict[str, Any]]:
    """Closed appointments that never became a ticket (cancelled, no-show, or finished
    without one), with an id from ``pk_from`` on, in id order, at most ``limit``."""
    rows: list[dict[str, Any]] = [
        dict(row)
        for row in Appointment.objects.filter(
            pk__gte=pk_from, status__in=[s.value for s in CLOSED], ticket__isnull=True
        )
        .order_by("pk")
        .values(
            "pk", "location_id", "department_id", "status", "channel", "start", "end", "persons"
        )[:limit]
    ]
    products = _products([r["pk"] for r in rows])
    for row in rows:
        row["products"] = products.get(row["pk"], [])
    return rows


def first_open_appointment(*, pk_from: int, settled_before: dt.datetime) -> int | None:
    """The lowest id from ``pk_from`` on of an appointment that may still close (or still
    gain a ticket): active, or created after ``settled_before``."""
    return (
        Appointment.objects.filter(pk__gte=pk_from)
        .filter(
            Q(status__in=[s.value for s in ACTIVE_STATUSES]) | Q(created_at__gte=settled_before)
        )
        .order_by("pk")
        .values_list("pk", flat=True)
        .first()
    )


def last_appointment_id() -> int:
    return Appointment.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def for_tickets(ticket_ids: list[int]) -> dict[int, dict[str, Any]]:
    """Persons and booked minutes of the appointments that the given tickets checked in for."""
    return {
        row["ticket_id"]: {
            "persons": row["persons"],
            "booked_minutes": round((row["end"] - row["start"]).total_seconds() / 60),
        }
        for row in Appointment.objects.filter(ticket_id__in=ticket_ids).values(
            "ticket_id", "persons", "start", "end"
        )
    }
