"""Mail register figures: registrations per second (one connection, and 8 at once on
PostgreSQL), search p50/p95 over BENCH_MAIL_ITEMS generated items with Dutch-like text, and OCR
pages per minute (ocrmypdf + Tesseract, where installed).

Search is measured as a mail clerk would use it, for two readers: a Burgerzaken team lead
(municipality: Burgerzaken's items only) and a social worker of the OCMW's Sociale Dienst (its
confidential items only). Per reader, 60 queries of each kind: one word, two words, a word and
a period (a month, a quarter or a year), a correspondent's name (a full name or a surname) and
a register number. Each search is what the page and the API do: the access filter, the capped
count and the first page in the database, plus the search's audit event. BENCH_MAIL_ROUNDS
(default 3) rounds; each figure is the median of the rounds' (the rounds' own in brackets).

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
from typing import Any

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


FIRST_NAMES = [
    "Jan", "Marie", "Luc", "Anne", "Peter", "Els", "Tom", "Sofie", "Koen", "An", "Bart",
    "Katrien", "Wim", "Lieve", "Dirk", "Hilde", "Jef", "Lotte", "Noah", "Emma", "Mohamed",
    "Fatima", "Pieter", "Ine", "Geert", "Nathalie", "Stijn", "Veerle", "Kris", "Ilse", "Arne",
    "Sara", "Filip", "Leen", "Jonas", "Hanne", "Rik", "Elke", "Wout", "Griet",
]  # fmt: skip
SURNAMES = [
    "Peeters", "Janssens", "Maes", "Jacobs", "Mertens", "Willems", "Claes", "Goossens",
    "Wouters", "De Smet", "Dubois", "Lambert", "Dupont", "Hermans", "Aerts", "Michiels",
    "Desmet", "Van den Broeck", "Vermeulen", "Pauwels", "Verstraete", "De Clercq", "Leclercq",
    "Smets", "Cools", "Van Damme", "Coppens", "Stevens", "Martens", "Claeys", "Van Dyck",
    "Declercq", "Verhoeven", "Vandenberghe", "Hendrickx", "Lemmens", "Bogaert", "De Backer",
    "Segers", "Geerts", "Wuyts", "Van Acker", "Thys", "Vos", "Verbeke", "De Wilde", "Nys",
    "Bosmans", "Lenaerts", "Simons", "Vandamme", "Verlinden", "Van de Velde", "Heylen",
    "Vanhove", "Mahieu", "Baert", "Dewulf", "Luyten", "Vervoort",
]  # fmt: skip
CORRESPONDENTS = 50_000  # citizens; a full name is shared by about 21 of them


def _setup() -> tuple[object, object, object, object]:
    from onthaal.accounts.models import Membership, Role
    from onthaal.accounts.tests.factories import DepartmentFactory, OrganisationFactory, UserFactory
    from onthaal.mail.models import Confidentiality, DocumentType
    from onthaal.organisation.models import Department, Organisation

    kept = Department.objects.filter(organisation__name__in=["Gemeente Bench", "OCMW Bench"])
    if kept.exists():  # a kept database (BENCH_KEEP_DB=1): the same set-up as before
        from django.contrib.auth import get_user_model

        users = get_user_model().objects
        return (
            list(kept.order_by("pk")),
            DocumentType.objects.get(name="Brief"),
            users.get(username="bench-lead"),
            users.get(username="bench-sw"),
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
    social_worker = UserFactory(username="bench-sw")
    Membership.objects.create(
        user=social_worker, department=departments[3], role=Role.SOCIAL_WORKER
    )
    return departments, letter, lead, social_worker


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


# Item i: department (i % 10) // 3 (BZ, OMG, ONT, and every tenth the OCMW's SD), registered
# on day i % 700 from 2024-01-01, register number IN-<2020 + i % 5>-<100000 + i>, correspondent
# _correspondent(i) of the generated ones (a name is not tied to a department or a day). Its
# text vector is the one search.reindex makes: register number, subject and correspondent's
# name (weight A), no document text (weight B).
CORRESPONDENTS_PG = """
INSERT INTO mail_correspondent (kind, name, email, street, postal_code, city, created_at)
SELECT 'citizen', (%(first)s::text[])[1 + c %% %(nf)s] || ' '
                  || (%(last)s::text[])[1 + (c / %(nf)s) %% %(nl)s],
       '', '', '', '', now()
  FROM generate_series(0, %(count)s - 1) AS c
 ORDER BY c
"""
INSERT_PG = """
INSERT INTO mail_mailitem (public_id, organisation_id, direction, year, sequence,
    register_number, channel, received_on, subject, document_type_id, department_id,
    routing_note, due_date, status, handler_id, confidential, registered_at,
    correspondent_id, search_vector)
SELECT gen_random_uuid(), d.organisation_id, 'in', 2020 + i %% 5, 100000 + i, s.number,
       'post', DATE '2024-01-01' + i %% 700,
       s.subject, %(type)s, d.id, '', DATE '2024-02-01' + i %% 700,
       (ARRAY['registered','assigned','in_progress','closed','closed'])[1 + i %% 5],
       CASE WHEN i %% 5 = 0 THEN NULL ELSE %(handler)s END,
       d.confidential, TIMESTAMPTZ '2024-01-01' + (i %% 700) * INTERVAL '1 day',
       c.id,
       setweight(to_tsvector('onthaal_dutch', concat_ws(' ', s.number, s.subject, c.name)), 'A')
       || setweight(to_tsvector('onthaal_dutch', ''), 'B')
  FROM generate_series(%(first)s, %(last)s) AS i
  JOIN LATERAL (SELECT id, organisation_id, confidential FROM organisation_department
                 WHERE id = ANY(%(departments)s)
                 ORDER BY id OFFSET (i %% 10) / 3 LIMIT 1) d ON true
  JOIN LATERAL (SELECT (%(words)s::text[])[1 + (i * 7) %% %(n)s] || ' '
                    || (%(words)s::text[])[1 + (i * 13 + 5) %% %(n)s] || ' '
                    || (%(words)s::text[])[1 + (i * 31 + 11) %% %(n)s] || ' '
                    || (%(words)s::text[])[1 + (i / 7) %% %(n)s] AS subject,
                       'IN-' || (2020 + i %% 5) || '-' || (100000 + i) AS number) s ON true
  JOIN mail_correspondent c
    ON c.id = %(correspondent)s + (i::bigint * 2654435761) %% 4294967291 %% %(correspondents)s
"""


def _correspondent(i: int) -> int:
    """Item ``i``'s correspondent, as INSERT_PG picks it (a multiplicative hash)."""
    return (i * 2654435761) % 4294967291 % CORRESPONDENTS


def _name(c: int) -> str:
    """The generated correspondent number ``c``'s name (as CORRESPONDENTS_PG makes it)."""
    first = FIRST_NAMES[c % len(FIRST_NAMES)]
    return f"{first} {SURNAMES[(c // len(FIRST_NAMES)) % len(SURNAMES)]}"


def _generate(count: int, departments: list, letter: object, handler: object) -> None:
    from django.db import connection

    from onthaal.mail.models import MailItem

    done = MailItem.objects.filter(sequence__gt=100000).count()  # generated by an earlier run
    if done >= count:
        print(f"generated items: {done:,} (kept from an earlier run)")
        return
    start = time.perf_counter()
    ids = [d.pk for d in departments]
    first_correspondent = _correspondents()
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
                        "correspondent": first_correspondent,
                        "correspondents": CORRESPONDENTS,
                    },
                )
        # What autovacuum does in a while on a real register: the statistics, and the
        # visibility map that index-only scans read.
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE mail_mailitem")
            cursor.execute("VACUUM ANALYZE mail_correspondent")
    else:
        import datetime as dt

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
                    registered_at=dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
                    + dt.timedelta(days=i % 700),
                    correspondent_id=first_correspondent + _correspondent(i),
                )
            )
        MailItem.objects.bulk_create(rows, batch_size=5000)
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO mail_search (rowid, heading, body)"
                " SELECT m.id, m.register_number || ' ' || m.subject || ' ' || c.name, ''"
                " FROM mail_mailitem m JOIN mail_correspondent c ON c.id = m.correspondent_id"
                " WHERE m.sequence > %s",
                [100000 + done],
            )
    _check_text(first_correspondent)
    print(f"generated {count - done:,} items in {time.perf_counter() - start:.0f} s")


def _correspondents() -> int:
    """Generate the correspondents once; the first one's id (they are consecutive)."""
    from django.db import connection

    from onthaal.core import clock
    from onthaal.mail.models import Correspondent

    names = Correspondent.objects.filter(name=_name(0)).order_by("pk")
    if not names.exists():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    CORRESPONDENTS_PG,
                    {
                        "first": FIRST_NAMES,
                        "last": SURNAMES,
                        "nf": len(FIRST_NAMES),
                        "nl": len(SURNAMES),
                        "count": CORRESPONDENTS,
                    },
                )
        else:
            Correspondent.objects.bulk_create(
                [
                    Correspondent(name=_name(c), created_at=clock.now())
                    for c in range(CORRESPONDENTS)
                ],
                batch_size=5000,
            )
    first = names.values_list("pk", flat=True)[0]
    assert Correspondent.objects.get(pk=first + CORRESPONDENTS - 1).name == _name(
        CORRESPONDENTS - 1
    )
    return first


def _check_text(first_correspondent: int) -> None:
    """The generated items are found as registered ones are: a few generated items' search
    entries are what search.reindex makes of them."""
    from django.db import connection

    from onthaal.mail import search
    from onthaal.mail.models import MailItem

    sample = MailItem.objects.filter(sequence__gt=100000).order_by("pk")
    picked = [sample[0], sample[sample.count() // 2], sample.last()]
    for item in picked:
        assert item is not None
        assert item.correspondent_id is not None
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute(
                    "SELECT search_vector::text FROM mail_mailitem WHERE id = %s", [item.pk]
                )
                generated = cursor.fetchone()
                search.reindex(item.pk)
                cursor.execute(
                    "SELECT search_vector::text FROM mail_mailitem WHERE id = %s", [item.pk]
                )
            else:
                cursor.execute("SELECT heading, body FROM mail_search WHERE rowid = %s", [item.pk])
                generated = cursor.fetchone()
                search.reindex(item.pk)
                cursor.execute("SELECT heading, body FROM mail_search WHERE rowid = %s", [item.pk])
            assert cursor.fetchone() == generated, (item.register_number, generated)


def _queries(kind: str, n: int, department: int, count: int) -> tuple[str, dict[str, Any]]:
    """The ``n``-th query of ``kind`` for a reader of generated department number
    ``department`` (0 Burgerzaken, 3 the Sociale Dienst): the text and the other filters."""
    import datetime as dt

    if kind == "one word":
        return WORDS[(n * 17) % len(WORDS)], {}
    if kind == "two words":
        return " ".join(WORDS[(n * 17 + k * 5) % len(WORDS)] for k in range(2)), {}
    if kind == "word and period":
        word = WORDS[(n * 17 + 3) % len(WORDS)]
        month = dt.date(2024 + (n % 23) // 12, 1 + (n % 23) % 12, 1)  # the data's 23 months
        if n % 3 == 0:  # a month
            end = (month + dt.timedelta(days=31)).replace(day=1)
        elif n % 3 == 1:  # a quarter
            month = month.replace(month=1 + (month.month - 1) // 3 * 3)
            end = (month + dt.timedelta(days=92)).replace(day=1)
        else:  # a year
            month, end = month.replace(month=1), month.replace(year=month.year + 1, month=1)
        return word, {"start": month, "end": end - dt.timedelta(days=1)}
    if kind == "name":
        name = _name((n * 7919 + 13) % CORRESPONDENTS)
        return (name if n % 2 == 0 else name.split(" ", 1)[1]), {}
    assert kind == "register number"
    # An item of the reader's department: i % 10 is 0-2 for Burgerzaken, 9 for the SD.
    i = 10 * (1 + (n * 104_729) % (count // 10 - 1)) + (9 if department == 3 else n % 3)
    return f"IN-{2020 + i % 5}-{100000 + i}", {}


KINDS = ("one word", "two words", "word and period", "name", "register number")


def _search(readers: list[tuple[str, Any, Any]], count: int) -> None:
    from onthaal.mail import selectors

    rounds = int(os.environ.get("BENCH_MAIL_ROUNDS", "3"))
    # (reader, kind) -> one list of timings per round
    timings: dict[tuple[str, str], list[list[float]]] = {}
    for number in range(rounds):
        print(
            f"search round {number + 1}: load average before "
            f"{', '.join(f'{x:.2f}' for x in os.getloadavg())}",
            flush=True,
        )
        for label, reader, department in readers:
            position = [d.pk for d in _departments()].index(department.pk)
            for kind in KINDS:
                measured = []
                for n in range(60):
                    query, extra = _queries(kind, n, position, count)
                    filters = selectors.Filters(query=query, **extra)
                    start = time.perf_counter()
                    page = selectors.search_items(reader, filters, limit=25)
                    measured.append((time.perf_counter() - start) * 1000)
                    assert all(i.department_id == department.pk for i in page.items)
                    if kind in ("register number", "name"):  # one item, or a name of the reader's
                        assert page.items, (label, kind, query)
                    if kind == "register number":
                        assert [i.register_number for i in page.items] == [query]
                timings.setdefault((label, kind), []).append(sorted(measured))

    def p95(values: list[float]) -> float:
        return values[int(0.95 * len(values)) - 1]

    for label, _reader, _department in readers:
        every: list[list[float]] = [[] for _ in range(rounds)]
        for kind in KINDS:
            runs = timings[(label, kind)]
            for n, run in enumerate(runs):
                every[n].extend(run)
            print(
                f"search, {kind}, as {label}: p50 "
                f"{statistics.median(statistics.median(r) for r in runs):.1f} ms, p95 "
                f"{statistics.median(p95(r) for r in runs):.1f} ms "
                f"(p95 per round {', '.join(f'{p95(r):.0f}' for r in runs)}; 60 queries a round)"
            )
        every = [sorted(r) for r in every]
        print(
            f"search, all kinds, as {label}: p50 "
            f"{statistics.median(statistics.median(r) for r in every):.1f} ms, p95 "
            f"{statistics.median(p95(r) for r in every):.1f} ms "
            f"(p95 per round {', '.join(f'{p95(r):.0f}' for r in every)}; "
            f"{len(every[0])} queries a round: count + first page + audit event)"
        )


def _departments() -> list[Any]:
    from onthaal.organisation.models import Department

    names = ["Gemeente Bench", "OCMW Bench"]
    return list(Department.objects.filter(organisation__name__in=names).order_by("pk"))


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
    departments, letter, lead, social_worker = _setup()
    if "registration" in parts:
        _registrations(departments, letter, lead)
    if "search" in parts:
        default = 1_000_000 if connection.vendor == "postgresql" else 100_000
        count = int(os.environ.get("BENCH_MAIL_ITEMS", default))
        _generate(count, departments, letter, lead)
        readers = [
            ("a Burgerzaken team lead", lead, departments[0]),
            ("an OCMW social worker", social_worker, departments[3]),
        ]
        _search(readers, count)
    if "ocr" in parts:
        _ocr()
