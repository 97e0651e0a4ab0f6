"""A year of mail for Zonnedoorn: document types, intake rules, correspondents and a few
thousand register lines (incoming and outgoing, answered and open, some overdue, a few
confidential OCMW letters), some with a letter or a scanned page whose text the worker
recognises where the tools are installed; and closed mail of earlier years, some of it due for
this year's destruction list. Made in bulk, so ``make demo`` stays quick."""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from typing import Any

from django.contrib.auth import get_user_model
from django.db import connection, transaction

from onthaal.audit.models import Action
from onthaal.audit.services import record_event
from onthaal.core import clock
from onthaal.mail import documents, samples, search
from onthaal.mail.models import (
    Channel,
    Confidentiality,
    Correspondent,
    Direction,
    Document,
    DocumentType,
    FinalAction,
    MailItem,
    MailRule,
    RegisterCounter,
    Status,
    register_number,
)
from onthaal.organisation.models import Department

ITEMS = 2000
SEED = 20270323

# (name, confidentiality, answer days, retention years, final action)
TYPES = [
    ("Brief van een burger", Confidentiality.INTERNAL, 30, 10, FinalAction.DESTROY),
    ("Klacht", Confidentiality.INTERNAL, 14, 10, FinalAction.DESTROY),
    ("Factuur", Confidentiality.INTERNAL, None, 7, FinalAction.DESTROY),
    (
        "Aanvraag omgevingsvergunning",
        Confidentiality.CASE_CONFIDENTIAL,
        60,
        30,
        FinalAction.TRANSFER,
    ),
    ("Uitnodiging of informatie", Confidentiality.PUBLIC, None, 2, FinalAction.DESTROY),
    ("Sociaal dossier", Confidentiality.CONFIDENTIAL, 14, 10, FinalAction.DESTROY),
]

FIRST = ["Jan", "Els", "Pieter", "An", "Koen", "Lies", "Marc", "Sofie", "Wim", "Fatima", "Ahmed",
         "Inge", "Bram", "Nele", "Tom", "Yasmine", "Luc", "Hilde", "Joris", "Emma"]  # fmt: skip
LAST = ["Peeters", "Janssens", "Maes", "Jacobs", "Mertens", "Willems", "Claes", "Goossens",
        "Wouters", "De Smet", "Dubois", "Lambert", "El Amrani", "Vermeulen", "Hermans"]  # fmt: skip
COMPANIES = ["Bouwbedrijf Verstraete bv", "Fluvius", "De Lijn", "Drukkerij Zonnedoorn",
             "Aannemer Van Damme", "Telenet", "Groendienst Moens"]  # fmt: skip
GOVERNMENT = ["Vlaamse Belastingdienst", "FOD Binnenlandse Zaken", "Provincie Oost-Vlaanderen",
              "Agentschap Binnenlands Bestuur", "POD Maatschappelijke Integratie"]  # fmt: skip

SUBJECTS = {
    "burgerzaken": ["Vraag over een adreswijziging", "Aanvraag uittreksel geboorteakte",
                    "Verlies identiteitskaart", "Vraag over een reispas voor een minderjarige",
                    "Klacht over de wachttijd aan de balie", "Naamswijziging na huwelijk"],
    "omgeving": ["Aanvraag omgevingsvergunning voor een carport", "Bezwaar tegen bouwproject",
                 "Vraag over een stedenbouwkundig uittreksel", "Melding van een illegale kap",
                 "Aanvraag voor een terras op het openbaar domein"],
    "onthaal": ["Uitnodiging voor de opening van de bibliotheek", "Vraag over de afvalkalender",
                "Factuur drukwerk gemeentelijk infoblad", "Bedanking voor de hulp aan het onthaal"],
    "sociale-dienst": ["Aanvraag leefloon", "Vraag om energie-ondersteuning",
                       "Bezwaar tegen een beslissing van het bijzonder comité",
                       "Vraag om budgetbegeleiding", "Aanvraag stookoliefonds"],
}  # fmt: skip

SCANS = [
    ("burgerzaken", ["Zonnedoorn, 12 maart", "Beste dienst Burgerzaken,",
                     "Graag meld ik mijn verhuis naar de Kerkstraat 14.",
                     "Mijn identiteitskaart moet dus aangepast worden.",
                     "Met vriendelijke groeten, Els Maes"]),
    ("omgeving", ["Aan het college van burgemeester en schepenen,",
                  "Hierbij dien ik bezwaar in tegen de bouw van",
                  "een loods naast de Molenbeek.",
                  "Het perceel overstroomt elke winter.", "Koen Wouters"]),
    ("sociale-dienst", ["Beste maatschappelijk werker,",
                        "Ik kan mijn energiefactuur deze maand niet betalen.",
                        "Kan ik een afspraak maken voor ondersteuning?",
                        "Dank u wel, Fatima El Amrani"]),
    ("burgerzaken", ["Geachte mevrouw, geachte heer,",
                     "Ik vraag een uittreksel uit het strafregister",
                     "voor een sollicitatie als begeleider in de jeugdwerking.",
                     "Met dank, Bram Jacobs"]),
]  # fmt: skip


def _types() -> dict[str, DocumentType]:
    return {
        name: DocumentType.objects.create(
            name=name,
            confidentiality=level,
            answer_days=days,
            retention_years=years,
            final_action=action,
        )
        for name, level, days, years, action in TYPES
    }


def _type_for(slug: str, subject: str, types: dict[str, DocumentType]) -> DocumentType:
    if slug == "sociale-dienst":
        return types["Sociaal dossier"]
    if "Factuur" in subject:
        return types["Factuur"]
    if "Klacht" in subject or "Bezwaar" in subject:
        return types["Klacht"]
    if "omgevingsvergunning" in subject:
        return types["Aanvraag omgevingsvergunning"]
    if "Uitnodiging" in subject or "Bedanking" in subject:
        return types["Uitnodiging of informatie"]
    return types["Brief van een burger"]


def _rules(departments: dict[str, Department], types: dict[str, DocumentType], users: Any) -> None:
    MailRule.objects.bulk_create(
        [
            MailRule(name="Leefloon naar de Sociale Dienst", match=MailRule.Match.KEYWORD,
                     pattern="leefloon", department=departments["sociale-dienst"],
                     document_type=types["Sociaal dossier"], handler=users.get("mw"), priority=10),
            MailRule(name="Energie naar de Sociale Dienst", match=MailRule.Match.REGEX,
                     pattern=r"energie(factuur|-ondersteuning)|stookolie",
                     department=departments["sociale-dienst"],
                     document_type=types["Sociaal dossier"], handler=users.get("mw"), priority=20),
            MailRule(name="Bouwen naar Omgeving", match=MailRule.Match.KEYWORD,
                     pattern="omgevingsvergunning", department=departments["omgeving"],
                     document_type=types["Aanvraag omgevingsvergunning"], priority=30),
            MailRule(name="Belastingdienst: factuur", match=MailRule.Match.SENDER,
                     pattern="Belastingdienst", department=departments["onthaal"],
                     document_type=types["Factuur"], priority=40),
            MailRule(name="Verhuis naar Burgerzaken", match=MailRule.Match.REGEX,
                     pattern=r"verhui[sz]|adreswijziging|identiteitskaart",
                     department=departments["burgerzaken"],
                     document_type=types["Brief van een burger"], handler=users.get("balie"),
                     priority=50),
        ]
    )  # fmt: skip


def load_demo_mail() -> None:
    """Build the demo's mail (called once by the demo loader, inside its transaction)."""
    rng = random.Random(SEED)  # noqa: S311 - demo data, not security
    now = clock.now()
    today = clock.today()
    departments = {d.slug: d for d in Department.objects.select_related("organisation")}
    users = {u.username: u for u in get_user_model().objects.all()}
    handlers = {
        "burgerzaken": [users[n] for n in ("balie", "teamlead") if n in users],
        "omgeving": [],
        "onthaal": [],
        "sociale-dienst": [users[n] for n in ("mw",) if n in users],
    }
    types = _types()
    _rules(departments, types, users)
    people = [
        Correspondent(name=f"{f} {last}", kind=Correspondent.Kind.CITIZEN, created_at=now,
                      street=f"Dorpstraat {rng.randint(1, 120)}", postal_code="9999",
                      city="Zonnedoorn",
                      email=f"{f.lower()}.{last.lower().replace(' ', '')}@example.be")
        for f in FIRST for last in LAST
    ] + [Correspondent(name=n, kind=Correspondent.Kind.COMPANY, created_at=now) for n in COMPANIES] + [
        Correspondent(name=n, kind=Correspondent.Kind.GOVERNMENT, created_at=now) for n in GOVERNMENT
    ]  # fmt: skip
    correspondents = Correspondent.objects.bulk_create(people)
    weights = {"burgerzaken": 5, "omgeving": 3, "onthaal": 2, "sociale-dienst": 1}
    slugs = [s for s in weights if s in departments]
    start = now - dt.timedelta(days=365)
    planned = []
    for _ in range(ITEMS):
        slug = rng.choices(slugs, [weights[s] for s in slugs])[0]
        at = start + dt.timedelta(seconds=rng.randint(0, 365 * 86400))
        if at.astimezone(clock.BRUSSELS).weekday() >= 5:
            at -= dt.timedelta(days=2)
        planned.append((at, slug, rng.choice(SUBJECTS[slug])))
    planned.sort()
    counters: dict[tuple[int, str, int], int] = defaultdict(int)
    items: list[MailItem] = []
    answers: list[tuple[MailItem, MailItem]] = []

    def make(at: dt.datetime, slug: str, direction: str, subject: str, **fields: Any) -> MailItem:
        department = departments[slug]
        day = at.astimezone(clock.BRUSSELS).date()
        key = (department.organisation_id, direction, day.year)
        counters[key] += 1
        document_type = fields.pop("document_type", None) or _type_for(slug, subject, types)
        item = MailItem(
            organisation_id=department.organisation_id,
            direction=direction,
            year=day.year,
            sequence=counters[key],
            register_number=register_number(direction, day.year, counters[key]),
            channel=fields.pop("channel", Channel.POST),
            subject=subject,
            document_type=document_type,
            department=department,
            confidential=department.confidential or document_type.restricted,
            registered_at=at,
            registered_by=users.get("post"),
            received_on=day if direction == Direction.IN else None,
            sent_on=day if direction == Direction.OUT else None,
            due_date=(
                day + dt.timedelta(days=document_type.answer_days)
                if direction == Direction.IN and document_type.answer_days
                else None
            ),
            **fields,
        )
        items.append(item)
        return item

    for at, slug, subject in planned:
        age = (today - at.astimezone(clock.BRUSSELS).date()).days
        handler = rng.choice(handlers[slug]) if handlers[slug] else None
        sender = rng.choice(correspondents)
        # Not the e-loket: its items are the e-loket demo's requests, each with its request.
        channel = rng.choices([Channel.POST, Channel.EMAIL, Channel.COUNTER], [6, 3, 1])[0]
        if handler is None or age < 2:
            status = Status.REGISTERED if age < 30 else Status.CLOSED
            handler = None if status == Status.REGISTERED else handler
        elif age < 25:
            status = rng.choice([Status.ASSIGNED, Status.IN_PROGRESS])
        elif age < 60:
            status = rng.choices([Status.CLOSED, Status.ANSWERED, Status.IN_PROGRESS], [6, 2, 1])[0]
        else:
            status = rng.choices([Status.CLOSED, Status.ANSWERED], [4, 1])[0]
        item = make(at, slug, Direction.IN, subject, correspondent=sender, channel=channel,
                    handler=handler, status=status)  # fmt: skip
        if status in (Status.ANSWERED, Status.CLOSED) and handler and rng.random() < 0.4:
            reply_at = at + dt.timedelta(days=rng.randint(3, 20))
            if reply_at < now:
                reply = make(reply_at, slug, Direction.OUT, f"Antwoord: {subject}",
                             correspondent=sender, status=Status.CLOSED,
                             document_type=item.document_type, handler=handler)  # fmt: skip
                answers.append((reply, item))
    # Closed mail of earlier years, so that retention has something to do: the invitations
    # (kept 2 years) and the oldest letters and invoices are due on this year's list.
    kept = {
        "burgerzaken": "Brief van een burger",
        "omgeving": "Factuur",
        "onthaal": "Uitnodiging of informatie",
    }
    for years_ago in range(12, 2, -1):
        for slug, name in kept.items():
            if slug not in departments:
                continue
            at = now - dt.timedelta(days=365 * years_ago + rng.randint(0, 300))
            subject = rng.choice(SUBJECTS[slug])
            make(at, slug, Direction.IN, subject, correspondent=rng.choice(correspondents),
                 status=Status.CLOSED, document_type=types[name])  # fmt: skip
    # Numbers follow the registration time within each register.
    items.sort(key=lambda i: i.registered_at)
    renumber: dict[tuple[int, str, int], int] = defaultdict(int)
    for item in items:
        key = (item.organisation_id, item.direction, item.year)
        renumber[key] += 1
        item.sequence = renumber[key]
        item.register_number = register_number(item.direction, item.year, item.sequence)
    # Incoming first, so that each answer can name the item it answers.
    MailItem.objects.bulk_create([i for i in items if i.direction == Direction.IN], batch_size=1000)
    for reply, original in answers:
        reply.answers = original
    MailItem.objects.bulk_create(
        [i for i in items if i.direction == Direction.OUT], batch_size=1000
    )
    RegisterCounter.objects.bulk_create(
        RegisterCounter(organisation_id=o, direction=d, year=y, last=n)
        for (o, d, y), n in renumber.items()
    )
    document_ids = _documents(items, rng, now)
    _reindex()
    record_event(
        action=Action.CREATE,
        object_type="mail.item",
        object_id=f"{len(items)} demo items",
        details={"what": "demo mail loaded", "items": len(items), "documents": len(document_ids)},
    )
    transaction.on_commit(lambda: _schedule(document_ids))


def _documents(items: list[MailItem], rng: random.Random, now: dt.datetime) -> list[int]:
    """A letter on some recent items, and a scanned page on a few open ones."""
    recent = [i for i in items if i.direction == Direction.IN and i.status != Status.CLOSED]
    rows = []
    by_department = defaultdict(list)
    for item in recent:
        by_department[item.department.slug].append(item)
    scanned = set()
    for n, (slug, lines) in enumerate(SCANS):
        if len(by_department[slug]) > n:
            item = by_department[slug][-1 - n]
            scanned.add(id(item))
            scan = samples.scan_image(*lines)
            rows.append(_document(item, f"scan-{n + 1}.png", "image/png", scan, now))
    others = [i for i in recent if id(i) not in scanned]
    for item in rng.sample(others, min(40, len(others))):
        name = item.correspondent.name if item.correspondent else ""
        pdf = samples.text_pdf(
            "Zonnedoorn", "Beste,", item.subject + ".", "Met vriendelijke groeten,", name
        )
        rows.append(_document(item, "brief.pdf", "application/pdf", pdf, now, pages=1))
    return [d.pk for d in Document.objects.bulk_create(rows)]


def _document(
    item: MailItem, name: str, kind: str, data: bytes, now: dt.datetime, **extra: Any
) -> Document:
    digest = documents.put(data)
    return Document(item=item, position=1, filename=name, content_type=kind,
                    size=len(data), sha256=digest, created_at=now, **extra)  # fmt: skip


def _reindex() -> None:
    if connection.vendor == "postgresql":
        search.reindex_all()
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO mail_search (rowid, heading, body)"
            " SELECT m.id, m.register_number || ' ' || m.subject || ' ' || coalesce(c.name, ''), ''"
            " FROM mail_mailitem m LEFT JOIN mail_correspondent c ON c.id = m.correspondent_id"
        )


def _schedule(document_ids: list[int]) -> None:
    from onthaal.mail.tasks import process_document

    for pk in document_ids:
        process_document.enqueue(pk)
