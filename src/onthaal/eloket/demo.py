"""The demo's e-loket (Zonnedoorn): what Flemish towns offer online, each with its form, and
requests in every state. Called once by the demo loader, inside its transaction."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model

from onthaal.catalogue.models import Channel, Product, ProductChannel
from onthaal.core import clock
from onthaal.eloket import formspec, services
from onthaal.eloket.identity import Identity
from onthaal.eloket.models import Delivery, Form, FormField, FormVersion, ProductSettings, Status
from onthaal.organisation.models import Department

# The demo's requests of strong-login products were "signed in" here: it has no provider.
DEMO_ISSUER = "https://login.demo.invalid"
PHOTO = (  # a 1x1 PNG: the demo's "photo" of a pothole
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\x00\x05\x00\x01\xff\x89\x99"
    b"=\x1d\x00\x00\x00\x00IEND\xaeB`\x82"
)

NAME = {"key": "naam", "kind": "text", "required": True, "label_nl": "Uw naam",
        "label_fr": "Votre nom", "label_en": "Your name"}  # fmt: skip
ADDRESS = {"key": "adres", "kind": "address", "required": True, "label_nl": "Adres",
           "label_fr": "Adresse", "label_en": "Address"}  # fmt: skip
NN = {"key": "rijksregisternummer", "kind": "national_number", "required": True,
      "label_nl": "Rijksregisternummer", "label_fr": "Numéro de registre national",
      "label_en": "National register number",
      "help_nl": "Achteraan op uw identiteitskaart."}  # fmt: skip

# slug -> (department, names nl/fr/en, new product?, settings, fields)
OFFERS: list[tuple[str, str, tuple[str, str, str], dict[str, Any], list[dict[str, Any]]]] = [
    (
        "attest-woonst",
        "burgerzaken",
        ("Attest van woonst of gezinssamenstelling", "Certificat de résidence ou de composition de ménage", "Certificate of residence or household composition"),
        {"delivery": Delivery.DOWNLOAD, "lead_days": 2,
         "document_text": "Hierbij verklaart het college dat {naam} ingeschreven is op het adres {adres}.\n\nDit attest ({soort}) wordt afgeleverd voor: {doel}.\n\nReferentie {reference}."},
        [NAME, ADDRESS,
         {"key": "soort", "kind": "choice", "required": True, "label_nl": "Welk attest?", "label_fr": "Quel certificat ?", "label_en": "Which certificate?", "choices": "woonst\ngezinssamenstelling"},
         {"key": "doel", "kind": "text", "label_nl": "Waarvoor dient het?", "label_fr": "À quoi sert-il ?", "label_en": "What is it for?"}],
    ),
    (
        "strafregister",
        "burgerzaken",
        ("", "", ""),
        {"delivery": Delivery.DOWNLOAD, "lead_days": 3, "needs_national_number": True,
         "strong_login": True,
         "document_text": "Uittreksel uit het strafregister van {naam}.\n\nReferentie {reference}."},
        [NAME, NN,
         {"key": "model", "kind": "choice", "required": True, "label_nl": "Model", "label_fr": "Modèle", "label_en": "Model", "choices": "model 1\nmodel 2 (onderwijs, jeugd)"}],
    ),
    (
        "recyclageparkkaart",
        "onthaal",
        ("Recyclageparkkaart of huisvuilzakken", "Carte du parc à conteneurs ou sacs poubelle", "Recycling park card or refuse bags"),
        {"delivery": Delivery.PICKUP, "lead_days": 2, "price": "10.00"},
        [NAME, ADDRESS,
         {"key": "wat", "kind": "choice", "required": True, "label_nl": "Wat vraagt u aan?", "label_fr": "Que demandez-vous ?", "label_en": "What do you request?", "choices": "recyclageparkkaart\nrol huisvuilzakken"}],
    ),
    (
        "bewonersparkeerkaart",
        "burgerzaken",
        ("Bewonersparkeerkaart", "Carte de stationnement riverain", "Residents' parking permit"),
        {"delivery": Delivery.POST, "lead_days": 5, "price": "25.00",
         "bring_nl": "Inschrijvingsbewijs van de wagen"},
        [NAME, ADDRESS,
         {"key": "nummerplaat", "kind": "text", "required": True, "label_nl": "Nummerplaat", "label_fr": "Plaque d'immatriculation", "label_en": "Number plate"},
         {"key": "inschrijvingsbewijs", "kind": "file", "required": True, "label_nl": "Inschrijvingsbewijs (pdf of foto)", "label_fr": "Certificat d'immatriculation (PDF ou photo)", "label_en": "Registration certificate (PDF or photo)"}],
    ),
    (
        "melding-openbaar-domein",
        "omgeving",
        ("Melding openbaar domein (put, zwerfvuil)", "Signalement sur le domaine public (nid-de-poule, déchets)", "Report on public space (pothole, litter)"),
        {"delivery": Delivery.DOWNLOAD, "lead_days": 10},
        [{"key": "wat", "kind": "choice", "required": True, "label_nl": "Wat meldt u?", "label_fr": "Que signalez-vous ?", "label_en": "What do you report?", "choices": "put in de weg\nzwerfvuil\nander"},
         {"key": "uitleg", "kind": "text", "required": True, "label_nl": "Wat is er?", "label_fr": "De quoi s'agit-il ?", "label_en": "What is it?", "show_when_key": "wat", "show_when_value": "ander"},
         {"key": "waar", "kind": "address", "required": True, "label_nl": "Waar?", "label_fr": "Où ?", "label_en": "Where?"},
         {"key": "foto", "kind": "file", "label_nl": "Foto", "label_fr": "Photo", "label_en": "Photo"},
         {"key": "telefoon", "kind": "phone", "label_nl": "Telefoon (als we u iets willen vragen)", "label_fr": "Téléphone", "label_en": "Phone"}],
    ),
    (
        "renovatiepremie",
        "omgeving",
        ("Renovatiepremie", "Prime à la rénovation", "Renovation grant"),
        {"delivery": Delivery.POST, "lead_days": 30,
         "bring_nl": "Facturen van de werken\nFoto's voor en na"},
        [NAME, ADDRESS,
         {"key": "werken", "kind": "long_text", "required": True, "label_nl": "Welke werken?", "label_fr": "Quels travaux ?", "label_en": "Which works?"},
         {"key": "bedrag", "kind": "number", "required": True, "label_nl": "Bedrag van de facturen (euro)", "label_fr": "Montant des factures (euros)", "label_en": "Amount of the invoices (euro)"},
         {"key": "einde", "kind": "date", "label_nl": "Einddatum van de werken", "label_fr": "Date de fin des travaux", "label_en": "End date of the works"},
         {"key": "facturen", "kind": "file", "required": True, "label_nl": "Facturen", "label_fr": "Factures", "label_en": "Invoices"},
         {"key": "akkoord", "kind": "checkbox", "required": True, "label_nl": "Ik verklaar dit naar waarheid ingevuld te hebben", "label_fr": "Je déclare avoir rempli ceci sincèrement", "label_en": "I declare this is true"}],
    ),
    (
        "hulpvraag-sociale-dienst",
        "sociale-dienst",
        ("Hulpvraag aan de sociale dienst", "Demande d'aide au service social", "Ask the social service for help"),
        {"delivery": Delivery.POST, "lead_days": 5},
        [NAME,
         {"key": "vraag", "kind": "long_text", "required": True, "label_nl": "Waarmee kunnen we u helpen?", "label_fr": "Comment pouvons-nous vous aider ?", "label_en": "How can we help you?"},
         {"key": "telefoon", "kind": "phone", "label_nl": "Telefoon", "label_fr": "Téléphone", "label_en": "Phone"}],
    ),
]  # fmt: skip

# Requests in every state: (product slug, answers, final status, with a photo or document).
# Requests in every state: (product slug, answers, status). Omgeving and Onthaal have no
# handler among the demo's people: their requests wait as received.
REQUESTS: list[tuple[str, dict[str, Any], str]] = [
    ("attest-woonst", {"naam": "An Peeters", "adres": "Dorpstraat 3, 9999 Zonnedoorn", "soort": "woonst", "doel": "werkgever"}, Status.RECEIVED),
    ("attest-woonst", {"naam": "Jan Janssens", "adres": "Kerkstraat 8, 9999 Zonnedoorn", "soort": "gezinssamenstelling"}, Status.IN_PROGRESS),
    ("attest-woonst", {"naam": "Tom Claes", "adres": "Molenweg 2, 9999 Zonnedoorn", "soort": "woonst"}, Status.READY),
    ("strafregister", {"naam": "Els Maes", "rijksregisternummer": "85.07.30-033.28", "model": "model 1"}, Status.CLOSED),
    ("strafregister", {"naam": "Piet Pieters", "rijksregisternummer": "85.07.30-033.28", "model": "model 2 (onderwijs, jeugd)"}, Status.REJECTED),
    ("bewonersparkeerkaart", {"naam": "Sara Wouters", "adres": "Marktplein 4, 9999 Zonnedoorn", "nummerplaat": "1-ABC-123"}, Status.WAITING),
    ("recyclageparkkaart", {"naam": "Wim Goossens", "adres": "Veldstraat 7, 9999 Zonnedoorn", "wat": "recyclageparkkaart"}, Status.RECEIVED),
    ("melding-openbaar-domein", {"wat": "put in de weg", "waar": "Zonnestraat 20"}, Status.RECEIVED),
    ("renovatiepremie", {"naam": "Lies Mertens", "adres": "Beekstraat 1", "werken": "dakisolatie", "bedrag": "4200", "akkoord": True}, Status.RECEIVED),
    ("hulpvraag-sociale-dienst", {"naam": "Karel Smet", "vraag": "Ik kan mijn energiefactuur niet betalen."}, Status.IN_PROGRESS),
]  # fmt: skip

STEPS: dict[str, list[tuple[str, str]]] = {
    Status.RECEIVED: [],
    Status.IN_PROGRESS: [(Status.IN_PROGRESS, "")],
    Status.WAITING: [(Status.WAITING, "Stuur ons een leesbare kopie van het inschrijvingsbewijs.")],
    Status.READY: [(Status.IN_PROGRESS, ""), (Status.READY, "Uw attest is klaar.")],
    Status.CLOSED: [(Status.IN_PROGRESS, ""), (Status.READY, ""), (Status.CLOSED, "")],
    Status.REJECTED: [(Status.REJECTED, "Voor model 2 komt u met uw identiteitskaart langs.")],
}


def _offer(slug: str, dept: Department, names: tuple[str, str, str], settings: dict[str, Any],
           fields: list[dict[str, Any]]) -> Product:  # fmt: skip
    product = Product.objects.filter(slug=slug).first()
    if product is None:
        product = Product.objects.create(
            department=dept, slug=slug, name_nl=names[0], name_fr=names[1], name_en=names[2]
        )
    ProductChannel.objects.get_or_create(
        product=product, channel=Channel.ELOKET, defaults={"duration_minutes": 10}
    )
    ProductSettings.objects.create(
        product=product, **{k: Decimal(v) if k == "price" else v for k, v in settings.items()}
    )
    version = FormVersion.objects.create(
        form=Form.objects.create(product=product), number=1, published=True, created_at=clock.now()
    )
    FormField.objects.bulk_create(
        FormField(version=version, position=n, **spec) for n, spec in enumerate(fields, start=1)
    )
    return product


def load_demo_eloket() -> None:
    departments = {d.slug: d for d in Department.objects.all()}
    users = {u.username: u for u in get_user_model().objects.all()}
    products = {
        slug: _offer(slug, departments[dept], names, settings, fields)
        for slug, dept, names, settings, fields in OFFERS
        if dept in departments
    }
    for n, (slug, answers, status) in enumerate(REQUESTS, start=1):
        uploads = []
        if slug == "bewonersparkeerkaart":
            uploads = [services.Upload("inschrijvingsbewijs", "inschrijving.png", PHOTO)]
        if slug == "renovatiepremie":
            uploads = [services.Upload("facturen", "factuur.png", PHOTO)]
        if slug == "melding-openbaar-domein":
            uploads = [services.Upload("foto", "put.png", PHOTO)]
        login = None
        if products[slug].eloket.strong_login:
            # As if signed in with itsme/eID (the demo has no citizens' provider).
            login = Identity(
                issuer=DEMO_ISSUER,
                subject=f"demo-{n}",
                name=str(answers.get("naam", "")),
                national_number=formspec.national_number(
                    str(answers.get("rijksregisternummer", ""))
                )
                or "",
                signed_in_at=clock.now(),
            )
        filed, _token = services.submit_request(
            product=products[slug],
            answers=answers,
            email=f"burger{n}@example.be",
            uploads=uploads,
            identity=login,
        )
        actor = users["mw"] if filed.department.slug == "sociale-dienst" else users["teamlead"]
        for to, message in STEPS[status]:
            services.transition(actor=actor, request=filed, to=to, message=message)
