"""Audit log: appends per second (one writer; four on PostgreSQL) and seconds to verify
100,000 events."""

from __future__ import annotations

import threading
import time

from django.db import connection, transaction

from bench.stats import line, timed
from onthaal.audit import chain, selectors
from onthaal.audit.models import AuditEvent
from onthaal.audit.services import record_event
from onthaal.core import clock

APPENDS = 500
VERIFY_EVENTS = 100_000


def _append_rate(writers: int) -> float:
    barrier = threading.Barrier(writers)
    per_writer = APPENDS // writers

    def work() -> None:
        barrier.wait()
        for i in range(per_writer):
            with transaction.atomic():
                record_event(action="create", object_type="bench", object_id=i, details={"i": i})
        if writers > 1:
            connection.close()

    start = time.perf_counter()
    if writers == 1:
        barrier = threading.Barrier(1)
        work()
    else:
        threads = [threading.Thread(target=work) for _ in range(writers)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    return per_writer * writers / (time.perf_counter() - start)


def _fill_chain(total: int) -> None:
    """Bulk-insert a properly chained log of ``total`` events (hashes computed here)."""
    head = (
        AuditEvent.objects.order_by("-pk").values_list("hash", flat=True).first() or chain.GENESIS
    )
    have = AuditEvent.objects.count()
    batch: list[AuditEvent] = []
    now = clock.now()
    for n in range(have, total):
        fields = {
            "at": now,
            "actor_type": "staff",
            "actor_id": str(n % 50),
            "actor_label": f"user{n % 50}",
            "role": "desk_agent",
            "action": "view",
            "object_type": "mailitem",
            "object_id": str(n),
            "organisation_id": 1,
            "department_id": n % 4,
            "request_id": f"{n:032x}",
            "ip": "127.0.0.1",
            "user_agent": "bench",
            "details": {"n": n},
            "prev_hash": head,
        }
        fields["hash"] = head = chain.event_hash(fields)
        batch.append(AuditEvent(**fields))
        if len(batch) == 5000:
            AuditEvent.objects.bulk_create(batch)
            batch = []
    AuditEvent.objects.bulk_create(batch)


def main() -> None:
    rates = [_append_rate(1) for _ in range(3)]
    print(line("audit_appends_per_s (1 writer)", rates, "events/s", digits=0))
    if connection.vendor == "postgresql":
        rates = [_append_rate(4) for _ in range(3)]
        print(line("audit_appends_per_s (4 writers)", rates, "events/s", digits=0))
    _fill_chain(VERIFY_EVENTS)
    count = AuditEvent.objects.count()
    results: list[chain.VerifyResult] = []
    seconds = timed(lambda: results.append(selectors.verify()), 3)
    assert all(r.ok for r in results), results[-1].message
    print(line(f"audit_verify_seconds ({count:,} events)", seconds, "s", digits=2))
