"""Mail register numbers under real concurrent connections on PostgreSQL: gapless and unique per
organisation, direction and year, also when a registration fails half-way."""

from __future__ import annotations

import threading

import pytest
from django.db import IntegrityError

from onthaal.accounts.models import Role
from onthaal.accounts.tests.factories import DepartmentFactory, OrganisationFactory, staff
from onthaal.audit import selectors as audit_selectors
from onthaal.audit.models import AuditEvent
from onthaal.mail import services
from onthaal.mail.models import Direction, DocumentType, MailItem, RegisterCounter
from onthaal.queue.models import Ticket
from tests.concurrency.threads import run_at_once

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.xdist_group("concurrency"),
]

THREADS, EACH = 16, 50


def test_16_threads_registering_50_items_each_get_800_gapless_numbers():
    department = DepartmentFactory(organisation=OrganisationFactory(), name="Burgerzaken")
    letter = DocumentType.objects.create(name="Brief", answer_days=30)
    lead = staff(Role.TEAM_LEAD, department)  # registers incoming and outgoing mail
    failed: list[str] = []
    lock = threading.Lock()

    def register(n: int, i: int, ticket: Ticket | None = None) -> None:
        services.register_item(
            actor=lead,
            direction=Direction.IN if (n + i) % 2 == 0 else Direction.OUT,
            department=department,
            document_type=letter,
            subject=f"Brief {n}-{i}",
            ticket=ticket,
        )

    def work(n: int) -> None:
        for i in range(EACH):
            if (n, i) == (7, 25):
                # In the middle, one more registration that fails at its commit, after
                # taking its number and writing its event: it names a ticket that does not
                # exist (a deferred foreign key).
                try:
                    register(n, i, ticket=Ticket(pk=10**12))
                except IntegrityError:
                    with lock:
                        failed.append(f"{n}-{i}")
            register(n, i)

    assert run_at_once(THREADS, work) == []
    assert failed == ["7-25"]
    items = MailItem.objects.all()
    assert items.count() == THREADS * EACH == 800
    for direction, prefix in ((Direction.IN, "IN"), (Direction.OUT, "UIT")):
        mine = items.filter(direction=direction)
        sequences = sorted(mine.values_list("sequence", flat=True))
        assert sequences == list(range(1, len(sequences) + 1))  # no gap, no duplicate
        numbers = set(mine.values_list("register_number", flat=True))
        assert numbers == {f"{prefix}-{mine[0].year}-{s:06d}" for s in sequences}
        assert RegisterCounter.objects.get(direction=direction).last == len(sequences)
    assert items.filter(direction=Direction.IN).count() == 400
    assert items.filter(direction=Direction.OUT).count() == 400
    # One event per registered item; none for the one that failed.
    events = AuditEvent.objects.filter(object_type="mail.item", action="create")
    assert sorted(events.values_list("object_id", flat=True)) == sorted(
        items.values_list("register_number", flat=True)
    )
    assert audit_selectors.verify().ok
