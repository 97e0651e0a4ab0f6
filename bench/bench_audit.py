"""Audit log: appends per second and seconds to verify the log.

* appends/s with 1 writer, and on PostgreSQL with 8 writer processes at once (each its own
  process and connection, as app processes are), each append in its own transaction, as a
  page view that logs a consultation writes it;
* seconds to verify 1,000,000 events (``BENCH_AUDIT_EVENTS``), spread over the chains as
  concurrent writers leave them.

The goals of issue #5 (item 14): >= 2,000 appends/s with 8 writers on PostgreSQL and verify of
1,000,000 events in < 10 s. ADR 0010 has the figures that chose the design.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import multiprocessing
import os
import time
from collections.abc import Iterator
from typing import Any

from django.db import connection

from bench import audit_writer
from bench.stats import line, timed
from onthaal.audit import chain, selectors
from onthaal.audit.models import AuditEvent
from onthaal.audit.services import CHAINS, SERIAL_CHAIN
from onthaal.core import clock

# Each writer's measured appends: with 8 writers, some 5 s of appending, so that the writers'
# start and end (when fewer than 8 are still writing) weigh little.
APPENDS_PER_WRITER = 1500
WRITER_PROCESSES = 8
VERIFY_EVENTS = int(os.environ.get("BENCH_AUDIT_EVENTS", "1000000"))


def _database_url() -> str:
    s = connection.settings_dict
    return f"postgres://{s['USER']}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def _rate_in_processes(writers: int, per_writer: int) -> float:
    context = multiprocessing.get_context("spawn")
    ready, start = context.Semaphore(0), context.Event()
    processes = [
        context.Process(target=audit_writer.run, args=(_database_url(), per_writer, ready, start))
        for _ in range(writers)
    ]
    for process in processes:
        process.start()
    for _ in processes:
        ready.acquire()
    began = time.perf_counter()
    start.set()
    for process in processes:
        process.join()
        assert process.exitcode == 0, process.exitcode
    return writers * per_writer / (time.perf_counter() - began)


def _rate_in_this_process() -> float:
    audit_writer.append(audit_writer.WARM_UP)
    began = time.perf_counter()
    audit_writer.append(APPENDS_PER_WRITER)
    return APPENDS_PER_WRITER / (time.perf_counter() - began)


def _events(have: int, total: int) -> Iterator[dict[str, Any]]:
    """Properly chained events ``have`` to ``total``, hashed here, spread over the chains that
    record_event uses (after whatever the log already holds).

    The chains' heads are read now, not when the first event is asked for: the caller then
    has the connection in a COPY, and a query on it would wait for the COPY for ever."""
    heads = selectors.heads()
    numbers = [n for n in range(CHAINS) if n != SERIAL_CHAIN]
    if connection.vendor != "postgresql":
        numbers = [SERIAL_CHAIN]
    previous = {n: heads[n][1] if n in heads else chain.genesis(n) for n in numbers}
    return _chained(have, total, numbers, previous)


def _chained(
    have: int, total: int, numbers: list[int], previous: dict[int, str]
) -> Iterator[dict[str, Any]]:
    at = clock.now()
    for n in range(have, total):
        number = numbers[n % len(numbers)]
        fields: dict[str, Any] = {
            "at": at + dt.timedelta(microseconds=n),
            "actor_type": "staff",
            "actor_id": str(n % 50),
            "actor_label": f"user{n % 50}",
            "role": "desk_agent",
            "action": "view",
            "object_type": "mail.item",
            "object_id": str(n),
            "organisation_id": 1,
            "department_id": n % 4,
            "request_id": f"{n:032x}",
            "ip": "192.0.2.1",
            "user_agent": "bench",
            "details": {"n": n},
            "prev_hash": previous[number],
        }
        fields["hash"] = previous[number] = chain.event_hash(fields)
        fields["chain"] = number
        yield fields


def _fill(total: int) -> None:
    """Fill the log up to ``total`` events: COPY on PostgreSQL, batches on SQLite."""
    events = _events(AuditEvent.objects.count(), total)
    if connection.vendor != "postgresql":
        while batch := [AuditEvent(**fields) for fields in itertools.islice(events, 5000)]:
            AuditEvent.objects.bulk_create(batch)
        return
    columns = [*chain.CHAINED_FIELDS, "hash", "chain"]
    copy_sql = "COPY audit_auditevent ({}) FROM STDIN".format(", ".join(f'"{c}"' for c in columns))
    with connection.cursor() as cursor, cursor.cursor.copy(copy_sql) as copy:
        for fields in events:
            fields["details"] = json.dumps(fields["details"])
            copy.write_row([fields[c] for c in columns])
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE audit_auditevent")


def main() -> None:
    rates = [_rate_in_this_process() for _ in range(3)]
    print(line("audit_appends_per_s (1 writer)", rates, "events/s", digits=0))
    if connection.vendor == "postgresql":
        rates = [_rate_in_processes(WRITER_PROCESSES, APPENDS_PER_WRITER) for _ in range(3)]
        print(
            line(
                f"audit_appends_per_s ({WRITER_PROCESSES} writer processes)",
                rates,
                "events/s",
                digits=0,
            )
        )
    # SQLite, the embedded install, verifies a tenth (a small municipality's log).
    _fill(VERIFY_EVENTS if connection.vendor == "postgresql" else VERIFY_EVENTS // 10)
    count = AuditEvent.objects.count()
    results: list[chain.VerifyResult] = []
    seconds = timed(lambda: results.append(selectors.verify()), 3)
    assert all(r.ok and r.count == count for r in results), results[-1].message
    print(line(f"audit_verify_seconds ({count:,} events)", seconds, "s", digits=2))
