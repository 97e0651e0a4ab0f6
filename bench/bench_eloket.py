"""E-loket: requests filed per second with the proof of work checked (the server's part: the
proof's check, the form's check, the mail register number, the request and its audit event;
the citizen's browser solves the proof beforehand), and the staff work list's p95 over many
requests (BENCH_ELOKET_REQUESTS; default 100,000 on PostgreSQL, 20,000 on SQLite)."""

from __future__ import annotations

import datetime as dt
import os
import statistics
import time
from decimal import Decimal

from bench.stats import line, timed

SUBMISSIONS = int(os.environ.get("BENCH_ELOKET_SUBMISSIONS", "100"))


def _setup() -> tuple[object, object]:
    from onthaal.accounts.models import Membership, Role
    from onthaal.accounts.tests.factories import DepartmentFactory, OrganisationFactory, UserFactory
    from onthaal.eloket.tests.conftest import make_product

    department = DepartmentFactory(organisation=OrganisationFactory(name="Gemeente Bench"))
    product = make_product(
        department,
        "bench-attest",
        [
            {"key": "naam", "kind": "text", "required": True},
            {"key": "soort", "kind": "choice", "required": True, "choices": "woonst\ngezin"},
            {"key": "rrn", "kind": "national_number"},
        ],
        price="5.00",
        needs_nn=True,
    )
    agent = UserFactory(username="bench-agent")
    Membership.objects.create(user=agent, department=department, role=Role.DESK_AGENT)
    return product, agent


def _submissions(product: object) -> None:
    from django.conf import settings

    from onthaal.appointments import proof
    from onthaal.eloket import services

    solved = [proof.solve(proof.challenge()) for _ in range(SUBMISSIONS)]
    durations = []
    for n, payload in enumerate(solved):
        start = time.perf_counter()
        proof.require(payload)
        services.submit_request(
            product=product,  # type: ignore[arg-type]
            answers={"naam": f"Burger {n}", "soort": "woonst", "rrn": "85.07.30-033.28"},
            email=f"burger{n}@example.org",
        )
        durations.append(time.perf_counter() - start)
    per_second = [1 / d for d in durations]
    print(line("submission with proof of work checked", durations, "ms", 1000))
    print(
        f"submissions per second (one process, sequential): {statistics.median(per_second):.0f} "
        f"(proof of work up to {settings.ONTHAAL_ALTCHA_MAX_NUMBER}, solved by the client)"
    )


def _generate(count: int, product: object) -> None:
    """``count`` requests with their incoming mail items, in bulk (what years of filing leave)."""
    from onthaal.core import clock
    from onthaal.eloket import ogm, services
    from onthaal.eloket.models import Request, Status
    from onthaal.mail.models import Channel, Direction, MailItem

    version = services.current_version(product)  # type: ignore[arg-type]
    department = product.department  # type: ignore[attr-defined]
    now = clock.now()
    statuses = [Status.RECEIVED, Status.IN_PROGRESS, Status.WAITING, Status.READY]
    start = MailItem.objects.filter(direction=Direction.IN).count() + 1
    doc_type = services._document_type()
    batch = 5000
    for first in range(0, count, batch):
        items = MailItem.objects.bulk_create(
            MailItem(
                organisation_id=department.organisation_id,
                direction=Direction.IN,
                year=2025,
                sequence=start + n,
                register_number=f"IN-2025-{start + n:06d}",
                channel=Channel.ELOKET,
                received_on=now.date(),
                subject="bench",
                document_type=doc_type,
                department=department,
                registered_at=now,
            )
            for n in range(first, min(first + batch, count))
        )
        Request.objects.bulk_create(
            Request(
                reference=f"B{first + n:07d}",
                token_hash="-",
                product=product,
                form_version=version,
                department=department,
                status=statuses[(first + n) % 4],
                answers={"naam": "x"},
                email="x@example.org",
                mail_item=item,
                register_number=item.register_number,
                amount=Decimal("5.00"),
                communication=ogm.make(7_000_000_000 + first + n),
                submitted_at=now,
                due_on=(now - dt.timedelta(days=(first + n) % 20)).date(),
                changed_at=now,
            )
            for n, item in enumerate(items)
        )


def _work_list(agent: object) -> None:
    from django.db import transaction

    from onthaal.eloket import selectors

    def one() -> None:
        with transaction.atomic():
            selectors.work_list(agent)

    one()
    runs = timed(one, 40)
    runs.sort()
    p95 = runs[int(len(runs) * 0.95) - 1]
    print(line("work list (100 requests of the department, overdue first)", runs, "ms", 1000))
    print(f"work list p95: {p95 * 1000:.1f} ms")


def main() -> None:
    from django.db import connection

    from onthaal.eloket.models import Request

    product, agent = _setup()
    _submissions(product)
    default = 100_000 if connection.vendor == "postgresql" else 20_000
    count = int(os.environ.get("BENCH_ELOKET_REQUESTS", default))
    _generate(count, product)
    print(f"requests in the database: {Request.objects.count()}")
    _work_list(agent)
