"""Who is next at a desk: plain data in, an ordered list out. No Django here.

Order, best first (ties broken by ``(issued_at, id)``):

0. aged: waited ``policy.max_wait`` or longer, oldest first (anti-starvation bound);
1. personal: handed off to this desk's user or to this desk, oldest first;
2. appointment due: ``appointment_at`` within the punctuality window, earliest appointment first;
3. everyone else by effective wait, longest first; a priority ticket counts as having waited
   ``policy.priority_credit`` longer. Early or late appointments are walk-ins here.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

AGED = 0
PERSONAL = 1
APPOINTMENT_DUE = 2
OTHER = 3


@dataclass(frozen=True, slots=True)
class Candidate:
    """A waiting ticket."""

    id: int
    queue_id: int
    product_ids: frozenset[int]
    issued_at: datetime
    priority: bool = False
    appointment_at: datetime | None = None
    assigned_user_id: int | None = None
    assigned_desk_id: int | None = None


@dataclass(frozen=True, slots=True)
class DeskView:
    """A desk asking for its next ticket."""

    desk_id: int
    user_id: int | None
    queue_ids: frozenset[int]
    product_ids: frozenset[int] | None = None


@dataclass(frozen=True, slots=True)
class Policy:
    """Tuning of the order."""

    punctuality_before: timedelta = timedelta(minutes=10)
    punctuality_after: timedelta = timedelta(minutes=15)
    priority_credit: timedelta = timedelta(minutes=10)
    max_wait: timedelta = timedelta(minutes=45)


DEFAULT_POLICY = Policy()


def _is_handoff(candidate: Candidate) -> bool:
    return candidate.assigned_user_id is not None or candidate.assigned_desk_id is not None


def can_serve(desk: DeskView, candidate: Candidate) -> bool:
    """Whether ``desk`` may call ``candidate``.

    A hand-off (named user and/or desk) goes only to that user/desk, whatever their queues;
    otherwise the desk must serve the candidate's queue. A desk product restriction applies
    to every candidate that names products.
    """
    if candidate.assigned_user_id is not None and desk.user_id != candidate.assigned_user_id:
        return False
    if candidate.assigned_desk_id is not None and desk.desk_id != candidate.assigned_desk_id:
        return False
    if not _is_handoff(candidate) and candidate.queue_id not in desk.queue_ids:
        return False
    return (
        desk.product_ids is None
        or not candidate.product_ids
        or candidate.product_ids <= desk.product_ids
    )


def tier(candidate: Candidate, now: datetime, policy: Policy = DEFAULT_POLICY) -> int:
    """The tier of a serveable candidate (lower is called first)."""
    if now - candidate.issued_at >= policy.max_wait:
        return AGED
    if _is_handoff(candidate):
        return PERSONAL
    appointment_at = candidate.appointment_at
    if (
        appointment_at is not None
        and appointment_at - policy.punctuality_before
        <= now
        <= appointment_at + policy.punctuality_after
    ):
        return APPOINTMENT_DUE
    return OTHER


def _sort_key(
    candidate: Candidate, now: datetime, policy: Policy
) -> tuple[int, datetime, datetime, int]:
    level = tier(candidate, now, policy)
    primary = candidate.issued_at
    if level == APPOINTMENT_DUE:
        assert candidate.appointment_at is not None
        primary = candidate.appointment_at
    elif level == OTHER and candidate.priority:
        # Longest effective wait first == earliest (issued_at - credit) first.
        primary = candidate.issued_at - policy.priority_credit
    return (level, primary, candidate.issued_at, candidate.id)


def rank(
    desk: DeskView,
    candidates: Iterable[Candidate],
    now: datetime,
    policy: Policy = DEFAULT_POLICY,
) -> list[Candidate]:
    """The candidates ``desk`` can serve, best first."""
    serveable = [c for c in candidates if can_serve(desk, c)]
    return sorted(serveable, key=lambda c: _sort_key(c, now, policy))


def next_ticket(
    desk: DeskView,
    candidates: Iterable[Candidate],
    now: datetime,
    policy: Policy = DEFAULT_POLICY,
) -> Candidate | None:
    """The best candidate for ``desk``, or None when it can serve none."""
    ranked = rank(desk, candidates, now, policy)
    return ranked[0] if ranked else None
