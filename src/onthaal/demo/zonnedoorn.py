"""Build Gemeente Zonnedoorn and OCMW Zonnedoorn: locations, departments, products, desks,
opening hours, the municipality's theme and one demo user per role. Idempotent: a second run changes nothing."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import transaction

from onthaal.accounts.backends import DEMO_PASSWORD
from onthaal.accounts.models import Membership, Role
from onthaal.appointments.models import BookingPolicy
from onthaal.audit.models import Action
from onthaal.audit.services import record_event
from onthaal.catalogue.models import Channel, Product, ProductChannel
from onthaal.core import clock
from onthaal.hours.compute import to_instant
from onthaal.organisation.models import (
    Department,
    Desk,
    DeskAbsence,
    DeskSchedule,
    Location,
    Organisation,
)

A, W, Q, E, P = (
    Channel.APPOINTMENT,
    Channel.WALK_IN,
    Channel.QUICK_COUNTER,
    Channel.ELOKET,
    Channel.PHONE,
)

# The quick-counter products (channel Q: identity card and passport pick-ups, the extracts,
# refuse bags) are served within 5 minutes; refuse bags have a target of their own.
QUICK_TARGETS = {"huisvuilzakken": 3}

# (department, slug, nl, fr, en, {channel: minutes}, documents, price, IPDC concept id)
PRODUCTS: list[tuple[str, str, str, str, str, dict[str, int], list[str], str, str]] = [
    (
        "burgerzaken",
        "eid-aanvragen",
        "Identiteitskaart aanvragen",
        "Demander une carte d'identité",
        "Apply for an identity card",
        {A: 15, W: 15},
        ["Huidige identiteitskaart", "Recente pasfoto (ICAO-norm)"],
        "€ 25,80 (spoedprocedure duurder)",
        "1b5d7a7e-eid",
    ),
    (
        "burgerzaken",
        "eid-afhalen",
        "Identiteitskaart afhalen",
        "Retirer une carte d'identité",
        "Collect an identity card",
        {A: 5, Q: 5},
        ["Oproepingsbrief met PIN- en PUK-code", "Oude identiteitskaart"],
        "",
        "1b5d7a7e-eid-afhalen",
    ),
    (
        "burgerzaken",
        "kids-id",
        "Kids-ID aanvragen",
        "Demander une Kids-ID",
        "Apply for a Kids-ID",
        {A: 10},
        ["Recente pasfoto van het kind", "Het kind komt mee"],
        "€ 8,30",
        "",
    ),
    (
        "burgerzaken",
        "reispas-aanvragen",
        "Reispas aanvragen",
        "Demander un passeport",
        "Apply for a passport",
        {A: 20},
        ["Identiteitskaart", "Oude reispas (indien je er een had)"],
        "€ 75 (volwassene, normale procedure)",
        "",
    ),
    (
        "burgerzaken",
        "reispas-afhalen",
        "Reispas afhalen",
        "Retirer un passeport",
        "Collect a passport",
        {A: 5, Q: 5},
        ["Identiteitskaart", "Ontvangstbewijs"],
        "",
        "",
    ),
    (
        "burgerzaken",
        "rijbewijs",
        "Rijbewijs aanvragen",
        "Demander un permis de conduire",
        "Apply for a driving licence",
        {A: 15},
        ["Identiteitskaart", "Slaagbewijs examen", "Pasfoto"],
        "€ 30",
        "",
    ),
    (
        "burgerzaken",
        "internationaal-rijbewijs",
        "Internationaal rijbewijs",
        "Permis de conduire international",
        "International driving permit",
        {A: 10},
        ["Identiteitskaart", "Belgisch rijbewijs", "Pasfoto"],
        "€ 20",
        "",
    ),
    (
        "burgerzaken",
        "strafregister",
        "Uittreksel uit het strafregister",
        "Extrait du casier judiciaire",
        "Extract from the criminal record",
        {E: 5, Q: 5},
        ["Identiteitskaart"],
        "Gratis",
        "",
    ),
    (
        "burgerzaken",
        "adreswijziging",
        "Adreswijziging",
        "Changement d'adresse",
        "Change of address",
        {A: 15, E: 10},
        ["Identiteitskaart van alle verhuizende personen"],
        "Gratis",
        "",
    ),
    (
        "burgerzaken",
        "huwelijksaangifte",
        "Huwelijksaangifte",
        "Déclaration de mariage",
        "Declaration of marriage",
        {A: 45},
        ["Identiteitskaarten van beide partners", "Afschrift geboorteakte (indien niet in DABS)"],
        "Gratis",
        "",
    ),
    (
        "burgerzaken",
        "uittreksel-burgerlijke-stand",
        "Uittreksel of afschrift burgerlijke stand",
        "Extrait ou copie d'acte d'état civil",
        "Extract from the civil registry",
        {E: 5, Q: 5},
        ["Identiteitskaart"],
        "Gratis",
        "",
    ),
    (
        "sociale-dienst",
        "sociale-intake",
        "Intakegesprek sociale dienst",
        "Entretien d'accueil au service social",
        "Intake with a social worker",
        {A: 60, P: 20},
        ["Identiteitskaart", "Bewijs van inkomsten", "Huurcontract"],
        "Gratis",
        "",
    ),
    (
        "sociale-dienst",
        "leefloon",
        "Leefloon aanvragen",
        "Demander le revenu d'intégration",
        "Apply for the living wage (leefloon)",
        {A: 60},
        ["Identiteitskaart", "Bankuittreksels van de laatste 3 maanden", "Huurcontract"],
        "Gratis",
        "",
    ),
    (
        "sociale-dienst",
        "energie-ondersteuning",
        "Energie-ondersteuning en stookoliefonds",
        "Aide énergie et fonds mazout",
        "Energy support and heating-oil allowance",
        {A: 30, P: 15},
        ["Identiteitskaart", "Factuur energie of stookolie"],
        "Gratis",
        "",
    ),
    (
        "omgeving",
        "omgevingsvergunning-info",
        "Informatie over een omgevingsvergunning",
        "Information sur un permis d'environnement",
        "Information on a building permit",
        {A: 30, W: 20, P: 15},
        ["Plannen of schetsen van je project", "Kadastrale gegevens"],
        "Gratis",
        "",
    ),
    (
        "omgeving",
        "stedenbouwkundig-uittreksel",
        "Stedenbouwkundig uittreksel",
        "Extrait urbanistique",
        "Planning extract",
        {E: 10},
        ["Kadastrale gegevens van het perceel"],
        "€ 75",
        "",
    ),
    (
        "onthaal",
        "huisvuilzakken",
        "Huisvuilzakken en afvalkalender",
        "Sacs poubelle et calendrier des déchets",
        "Refuse bags and waste calendar",
        {Q: 5, W: 5},
        [],
        "€ 1,50 per zak",
        "",
    ),
]


@dataclass(frozen=True)
class DemoUser:
    username: str
    first_name: str
    last_name: str
    role: str
    department: str | None


DEMO_USERS: list[DemoUser] = [
    DemoUser("onthaal", "Ilse", "Onthaal", Role.RECEPTIONIST, "onthaal"),
    DemoUser("balie", "Bart", "Balie", Role.DESK_AGENT, "burgerzaken"),
    DemoUser("mw", "Mira", "Maatschappelijk", Role.SOCIAL_WORKER, "sociale-dienst"),
    DemoUser("teamlead", "Tom", "Teamleider", Role.TEAM_LEAD, "burgerzaken"),
    DemoUser("post", "Paula", "Post", Role.MAIL_CLERK, None),
    DemoUser("manager", "Marc", "Manager", Role.MANAGER, None),
    DemoUser("auditor", "Anna", "Auditor", Role.AUDITOR, None),
    DemoUser("admin", "Ali", "Admin", Role.ADMIN, None),
]


def credentials() -> list[tuple[str, str, str]]:
    """(user name, password, role) of each demo user, for printing at start-up."""
    return [(u.username, DEMO_PASSWORD, str(Role(u.role).label)) for u in DEMO_USERS]


def is_loaded() -> bool:
    return Organisation.objects.filter(name="Gemeente Zonnedoorn").exists()


def _load_desk_schedules(balies: dict[int, Desk]) -> None:
    """Balie 4 is staffed part-time: every morning and on Monday to Wednesday afternoons (not
    on Thursday and Friday afternoons, nor the late Thursday evening). Balie 3 is away for a
    training all of next Tuesday. Balies 1 to 3 have no schedule: they take appointments
    whenever Burgerzaken does."""
    mornings = [(day, "08:30", "12:00") for day in range(5)]
    afternoons = [(day, "13:30", "16:00") for day in range(3)]
    DeskSchedule.objects.bulk_create(
        DeskSchedule(
            desk=balies[4],
            weekday=day,
            start=dt.time.fromisoformat(start),
            end=dt.time.fromisoformat(end),
        )
        for day, start, end in mornings + afternoons
    )
    today = clock.today()
    next_tuesday = today + dt.timedelta(days=7 - today.weekday() + 1)
    DeskAbsence.objects.create(
        desk=balies[3],
        start=to_instant(next_tuesday, dt.time(8), clock.BRUSSELS),
        end=to_instant(next_tuesday, dt.time(17), clock.BRUSSELS),
        reason="Opleiding",
    )


@transaction.atomic
def load() -> bool:
    """Build the demo. Returns False when it was already there."""
    if is_loaded():
        return False
    gemeente = Organisation.objects.create(
        name="Gemeente Zonnedoorn", kind=Organisation.Kind.MUNICIPALITY
    )
    ocmw = Organisation.objects.create(name="OCMW Zonnedoorn", kind=Organisation.Kind.OCMW)
    ac = Location.objects.create(
        name="Administratief Centrum",
        slug="administratief-centrum",
        street="Marktplein 1",
        postal_code="9999",
        city="Zonnedoorn",
        phone="+32 9 000 00 00",
        email="onthaal@zonnedoorn.example",
    )
    sh = Location.objects.create(
        name="Sociaal Huis",
        slug="sociaal-huis",
        street="Zonnestraat 12",
        postal_code="9999",
        city="Zonnedoorn",
        phone="+32 9 000 00 50",
        email="sociaalhuis@zonnedoorn.example",
    )
    departments = {
        "burgerzaken": Department.objects.create(
            organisation=gemeente, name="Burgerzaken", slug="burgerzaken"
        ),
        "onthaal": Department.objects.create(organisation=gemeente, name="Onthaal", slug="onthaal"),
        "omgeving": Department.objects.create(
            organisation=gemeente, name="Omgeving", slug="omgeving"
        ),
        "sociale-dienst": Department.objects.create(
            organisation=ocmw, name="Sociale Dienst", slug="sociale-dienst", confidential=True
        ),
    }
    for slug in ("burgerzaken", "onthaal", "omgeving"):
        departments[slug].locations.add(ac)
    departments["onthaal"].locations.add(sh)
    departments["sociale-dienst"].locations.add(sh)
    # Picking up a card or passport (5 minutes) can be booked the same day, 30 minutes ahead.
    BookingPolicy.objects.create(department=departments["burgerzaken"], short_max_minutes=5)

    for dept, slug, nl, fr, en, channels, documents, price, ipdc in PRODUCTS:
        product = Product.objects.create(
            department=departments[dept],
            slug=slug,
            name_nl=nl,
            name_fr=fr,
            name_en=en,
            required_documents="\n".join(documents),
            price_text=price,
            ipdc_concept_id=ipdc,
        )
        ProductChannel.objects.bulk_create(
            ProductChannel(
                product=product,
                channel=channel,
                duration_minutes=minutes,
                target_minutes=QUICK_TARGETS.get(slug) if channel == Q else None,
            )
            for channel, minutes in channels.items()
        )

    def desk(location: Location, name: str, kind: str, *served: str) -> Desk:
        d = Desk.objects.create(location=location, name=name, kind=kind)
        d.departments.set([departments[s] for s in served])
        return d

    desk(ac, "Onthaal", Desk.Kind.RECEPTION, "onthaal")
    desk(ac, "Snelbalie", Desk.Kind.QUICK, "onthaal", "burgerzaken")
    balies = {n: desk(ac, f"Balie {n}", Desk.Kind.DESK, "burgerzaken") for n in range(1, 5)}
    desk(ac, "Balie 5", Desk.Kind.DESK, "omgeving")
    desk(sh, "Onthaal Sociaal Huis", Desk.Kind.RECEPTION, "onthaal")
    for n in range(1, 4):
        desk(sh, f"Spreekkamer {n}", Desk.Kind.PRIVATE_OFFICE, "sociale-dienst")

    _load_desk_schedules(balies)

    user_model = get_user_model()
    for demo_user in DEMO_USERS:
        user = user_model.objects.create_user(
            username=demo_user.username,
            password=DEMO_PASSWORD,
            first_name=demo_user.first_name,
            last_name=demo_user.last_name,
            email=f"{demo_user.username}@zonnedoorn.example",
        )
        department = departments[demo_user.department] if demo_user.department else None
        Membership.objects.create(user=user, department=department, role=demo_user.role)

    from onthaal.hours.demo import load_demo_hours

    load_demo_hours(locations={"ac": ac, "sh": sh}, departments=departments)
    from onthaal.queue.demo import load_demo_queues

    load_demo_queues()
    from onthaal.mail.demo import load_demo_mail

    load_demo_mail()
    from onthaal.eloket.demo import load_demo_eloket

    load_demo_eloket()
    from onthaal.staffing.demo import load_demo_staff

    load_demo_staff()
    from onthaal.demo.theme import load_demo_theme

    load_demo_theme(gemeente)
    record_event(
        action=Action.CREATE,
        object_type="demo",
        object_id="zonnedoorn",
        details={"what": "demo municipality loaded"},
    )
    return True
