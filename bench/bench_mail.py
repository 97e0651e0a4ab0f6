"""Mail register figures: registrations per second (one connection, and 8 at once on
PostgreSQL), search p50/p95 over BENCH_MAIL_ITEMS generated items with Dutch-like text as a
Burgerzaken member (access filtering, count and page in the query, plus the search's audit
event), and OCR pages per minute (ocrmypdf + Tesseract, where installed).

BENCH_MAIL_ITEMS: 1,000,000 on PostgreSQL, 100,000 on SQLite by default. With
``BENCH_KEEP_DB=1`` (``bench/run.py``) the generated items stay in the kept database and a later
run only adds what is missing, so the 1,000,000 are built once (give that run its own
DATABASE_URL name: pytest reuses ``test_<name>``). BENCH_MAIL_PARTS: a comma-separated subset
of ``registration,search,ocr`` (default all three).
"""

from __future__ import annotations

import os
import statistics
import time

WORDS = [
    "aanvraag",
    "verhuis",
    "adreswijziging",
    "identiteitskaart",
    "reispas",
    "rijbewijs",
    "bouwvergunning",
    "omgevingsvergunning",
    "carport",
    "terras",
    "bezwaar",
    "klacht",
    "wachttijd",
    "factuur",
    "belasting",
    "afval",
    "huisvuil",
    "containerpark",
    "parkeerkaart",
    "bewonerskaart",
    "leefloon",
    "energie",
    "stookolie",
    "budget",
    "begeleiding",
    "huurwaarborg",
    "kinderopvang",
    "school",
    "sport",
    "subsidie",
    "evenement",
    "markt",
    "kermis",
    "straatfeest",
    "fietspad",
    "riolering",
    "overstroming",
    "boom",
    "kapvergunning",
    "geluidshinder",
    "buren",
    "hond",
    "kat",
    "uittreksel",
    "geboorteakte",
    "huwelijk",
    "echtscheiding",
    "nationaliteit",
    "begraafplaats",
]


def _setup() -> tuple[object, object, object]:
    from onthaal.accounts.models import Membership, Role
    from onthaal.accounts.tests.factories import DepartmentFactory, OrganisationFactory, UserFactory
    from onthaal.mail.models import Confidentiality, DocumentType
    from onthaal.organisation.models import Department, Organisation

    kept = Department.objects.filter(organisation__name__in=["Gemeente Bench", "OCMW Bench"])
    if kept.exists():  # a kept database (BENCH_KEEP_DB=1): the same set-up as before
        from django.contrib.auth import get_user_model

        return (
            list(kept.order_by("pk")),
            DocumentType.objects.get(name="Brief"),
            get_user_model().objects.get(username="bench-lead"),
        )
    gemeente = OrganisationFactory(name="Gemeente Bench")
    ocmw = OrganisationFactory(name="OCMW Bench", kind=Organisation.Kind.OCMW)
    departments = [
        DepartmentFactory(organisation=gemeente, name=name) for name in ("BZ", "OMG", "ONT")
    ] + [DepartmentFactory(organisation=ocmw, name="SD", confidential=True)]
    letter = DocumentType.objects.create(name="Brief", answer_days=30)
    DocumentType.objects.create(
        name="Sociaal", answer_days=14, confidentiality=Confidentiality.CONFIDENTIAL
    )
    lead = UserFactory(username="bench-lead")
    Membership.objects.create(user=lead, department=departments[0], role=Role.TEAM_LEAD)
    return departments, letter, lead


def _registrations(departments: list, letter: object, lead: object) -> None:
    from django.db import connection

    from onthaal.mail import services
    from onthaal.mail.models import Direction

    def register(n: int) -> None:
        services.register_item(
            actor=lead,
            direction=Direction.IN,
            department=departments[0],
            document_type=letter,
            subject=f"Aanvraag {WORDS[n % len(WORDS)]}",
        )

    runs = []
    for run in range(3):
        start = time.perf_counter()
        for n in range(200):
            register(run * 200 + n)
        runs.append(200 / (time.perf_counter() - start))
    print(
        f"registration, one connection: {statistics.median(runs):.0f} req/s "
        f"(median of 3 x 200; min {min(runs):.0f}, max {max(runs):.0f})"
    )
    if connection.vendor != "postgresql":
        return
    from tests.concurrency.threads import run_at_once

    start = time.perf_counter()
    errors = run_at_once(8, lambda n: [register(n * 100 + i) for i in range(100)])
    elapsed = time.perf_counter() - start
    assert not errors, errors
    print(f"registration, 8 connections at once: {800 / elapsed:.0f} req/s (800 registrations)")


INSERT_PG = """
INSERT INTO mail_mailitem (public_id, organisation_id, direction, year, sequence,
    register_number, channel, received_on, subject, document_type_id, department_id,
    routing_note, due_date, status, handler_id, confidential, registered_at, search_vector)
SELECT gen_random_uuid(), d.organisation_id, 'in', 2020 + i %% 5, 100000 + i,
       'IN-' || (2020 + i %% 5) || '-' || (100000 + i), 'post', DATE '2024-01-01' + i %% 700,
       s.subject, %(type)s, d.id, '', DATE '2024-02-01' + i %% 700,
       (ARRAY['registered','assigned','in_progress','closed','closed'])[1 + i %% 5],
       CASE WHEN i %% 5 = 0 THEN NULL ELSE %(handler)s END,
       d.confidential, TIMESTAMPTZ '2024-01-01' + (i %% 700) * INTERVAL '1 day',
       setweight(to_tsvector('onthaal_dutch', s.subject), 'A')
  FROM generate_series(%(first)s, %(last)s) AS i
  JOIN LATERAL (SELECT id, organisation_id, confidential FROM organisation_department
                 WHERE id = ANY(%(departments)s)
                 ORDER BY id OFFSET (i %% 10) / 3 LIMIT 1) d ON true
  JOIN LATERAL (SELECT (%(words)s::text[])[1 + (i * 7) %% %(n)s] || ' '
                    || (%(words)s::text[])[1 + (i * 13 + 5) %% %(n)s] || ' '
                    || (%(words)s::text[])[1 + (i * 31 + 11) %% %(n)s] || ' '
                    || (%(words)s::text[])[1 + (i / 7) %% %(n)s] AS subject) s ON true
"""


def _generate(count: int, departments: list, letter: object, handler: object) -> None:
    from django.db import connection

    from onthaal.mail.models import MailItem

    done = MailItem.objects.filter(sequence__gt=100000).count()  # generated by an earlier run
    if done >= count:
        print(f"generated items: {done:,} (kept from an earlier run)")
        return
    start = time.perf_counter()
    ids = [d.pk for d in departments]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for first in range(done + 1, count + 1, 100_000):
                cursor.execute(
                    INSERT_PG,
                    {
                        "type": letter.pk,
                        "handler": handler.pk,  # type: ignore[attr-defined]
                        "first": first,
                        "last": min(count, first + 99_999),
                        "departments": ids,
                        "words": WORDS,
                        "n": len(WORDS),
                    },
                )
            cursor.execute("ANALYZE mail_mailitem")
    else:
        import datetime as dt

        from onthaal.core import clock

        rows = []
        for i in range(done + 1, count + 1):
            department = departments[min(3, (i % 10) // 3)]
            subject = " ".join(
                WORDS[(i * k + j) % len(WORDS)] for k, j in ((7, 0), (13, 5), (31, 11))
            )
            rows.append(
                MailItem(
                    organisation_id=department.organisation_id,
                    direction="in",
                    year=2020 + i % 5,
                    sequence=100000 + i,
                    register_number=f"IN-{2020 + i % 5}-{100000 + i}",
                    channel="post",
                    subject=subject,
                    document_type=letter,
                    department=department,
                    status="closed",
                    handler=handler,
                    confidential=department.confidential,
                    registered_at=clock.now() - dt.timedelta(days=i % 700),
                )
            )
        MailItem.objects.bulk_create(rows, batch_size=5000)
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO mail_search (rowid, heading, body)"
                " SELECT id, register_number || ' ' || subject, '' FROM mail_mailitem"
            )
    print(f"generated {count - done:,} items in {time.perf_counter() - start:.0f} s")


def _search(lead: object) -> None:
    from onthaal.mail import selectors

    for words in (1, 2):
        timings = []
        for n in range(60):
            query = " ".join(WORDS[(n * 17 + k * 5) % len(WORDS)] for k in range(words))
            start = time.perf_counter()
            page = selectors.search_items(lead, selectors.Filters(query=query), limit=25)
            timings.append((time.perf_counter() - start) * 1000)
            assert all(i.department_id == page.items[0].department_id for i in page.items)
        timings.sort()
        p95 = timings[int(0.95 * len(timings)) - 1]
        print(
            f"search, {words} word(s), as a Burgerzaken member: p50 {statistics.median(timings):.1f} ms, "
            f"p95 {p95:.1f} ms (60 queries; count + first page + audit event)"
        )


def _ocr() -> None:
    from onthaal.mail import documents, samples

    if not documents.ocr_available():
        print("OCR: not available (install ocrmypdf tesseract-ocr-nld tesseract-ocr-fra)")
        return
    pages = [
        samples.scan_pdf("Geachte burgemeester,", f"Brief nummer {n}", "Met vriendelijke groeten")
        for n in range(3)
    ]
    start = time.perf_counter()
    for page in pages:
        assert "burgemeester" in documents.pdf_text(documents.ocr(page)).lower()
    minutes = (time.perf_counter() - start) / 60
    print(f"OCR: {len(pages) / minutes:.1f} pages per minute (3 A4 pages, nld+fra, one worker)")


def main() -> None:
    from django.db import connection

    parts = os.environ.get("BENCH_MAIL_PARTS", "") or "registration,search,ocr"
    departments, letter, lead = _setup()
    if "registration" in parts:
        _registrations(departments, letter, lead)
    if "search" in parts:
        default = 1_000_000 if connection.vendor == "postgresql" else 100_000
        _generate(int(os.environ.get("BENCH_MAIL_ITEMS", default)), departments, letter, lead)
        _search(lead)
    if "ocr" in parts:
        _ocr()
