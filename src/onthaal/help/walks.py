"""The walks behind the manual: each task of the manual as the steps a person takes in the
product, which ``make manual`` (``onthaal.help.build``) replays in Chromium to take the
screenshots that the manual's steps name.

A step finds its element the way a person does, by its role and visible name (a button called
"Ticket uitgeven", a field labelled "Wachtrij"), outlines it, takes the screenshot, and then acts
on it. So when a screen changes (a button renamed, a field gone), the walk of every task that
uses it stops, and the build fails naming the task and the step: the manual breaks, not the
trainee.

A step without a screenshot sets the scene (a colleague issues the ticket that the desk then
calls). Paths and names are those of the demo municipality (``onthaal load-demo``).
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Target:
    """An element by its accessible role and name (``role`` is an ARIA role), by its label
    (``role="label"``), or, where a person sees no name, by a CSS selector (``role="css"``)."""

    role: str
    name: str
    exact: bool = True
    within: str = ""  # a CSS selector that scopes the search
    nth: int = 0

    def describe(self) -> str:
        where = f" inside {self.within}" if self.within else ""
        if self.role == "label":
            return f"the field labelled '{self.name}'{where}"
        if self.role == "css":
            return f"the element {self.name}{where}"
        return f"the {self.role} '{self.name}'{where}"


@dataclass(frozen=True)
class Step:
    shot: str | None  # the screenshot the manual's step names; None for a step of the set-up
    target: Target | None = None  # outlined in the screenshot, then acted on
    do: str = ""  # "", "click", "fill", "select", "check", "upload"
    value: str = ""
    goto: str = ""  # open this path before the step
    user: str = ""  # act in this colleague's browser (a set-up step), not the walker's
    wait_for: str = ""  # after acting: wait until the URL matches this glob


@dataclass(frozen=True)
class Walk:
    task: str  # the task's id in the manual of ``role``
    role: str
    user: str  # the demo account that walks it ("" for a device: the kiosk)
    steps: tuple[Step, ...]
    video: bool = False  # one of the ten most common tasks: recorded, with captions
    device: str = ""  # the walk runs on a kiosk of this location, enrolled first
    extra_roles: tuple[str, ...] = field(default=())  # other manuals that hold the task


def button(name: str, **kw: object) -> Target:
    return Target("button", name, **kw)  # type: ignore[arg-type]


def link(name: str, **kw: object) -> Target:
    return Target("link", name, **kw)  # type: ignore[arg-type]


def label(name: str, **kw: object) -> Target:
    return Target("label", name, **kw)  # type: ignore[arg-type]


def heading(name: str, **kw: object) -> Target:
    return Target("heading", name, **kw)  # type: ignore[arg-type]


def css(selector: str, **kw: object) -> Target:
    return Target("css", selector, **kw)  # type: ignore[arg-type]


AC = "/staff/reception/administratief-centrum/"
SH = "/staff/reception/sociaal-huis/"
NAV = "nav.staff-nav"
HANDOFF_NOTE = "Vraagt naar de energiepremie; spreekt weinig Nederlands."

WALKS: tuple[Walk, ...] = (
    Walk(
        "reception-ticket",
        "receptionist",
        "onthaal",
        video=True,
        steps=(
            Step("reception-ticket-1", Target("text", "Onthaal", within=NAV), goto="/staff/"),
            Step("reception-ticket-2", label("Wachtrij"), "select", "B — Burgerzaken", goto=AC),
            Step("reception-ticket-3", label("Voorrang (bv. beperkte mobiliteit)")),
            Step("reception-ticket-4", button("Ticket uitgeven"), "click"),
            Step("reception-ticket-5", link("Het ticket afdrukken")),
        ),
    ),
    Walk(
        "reception-handoff",
        "receptionist",
        "onthaal",
        video=True,
        steps=(
            Step("reception-handoff-1", label("Wachtrij"), "select", "A — Onthaal", goto=SH),
            Step("reception-handoff-2", button("Ticket uitgeven"), "click"),
            Step("reception-handoff-3", css("details.transfer summary"), "click"),
            Step(None, label("een collega", within="details.transfer form"), "check"),
            Step(
                "reception-handoff-4",
                label("Collega", within="details.transfer form"),
                "select",
                "Mira Maatschappelijk",
            ),
            Step(
                "reception-handoff-5",
                label(
                    "Notitie voor de ontvangende dienst (optioneel)", within="details.transfer form"
                ),
                "fill",
                HANDOFF_NOTE,
            ),
            Step(
                "reception-handoff-6",
                button("Overdragen", within="details.transfer form"),
                "click",
            ),
        ),
    ),
    Walk(
        "kiosk-ticket",
        "receptionist",
        "",
        video=True,
        device="administratief-centrum",
        steps=(
            Step(
                "kiosk-ticket-1",
                label("Typ de referentie van uw afspraak, of scan de QR-code"),
                goto="/kiosk/administratief-centrum/",
            ),
            Step(
                "kiosk-ticket-2", css("form.kiosk-choices button"), "click", wait_for="**/ticket/**"
            ),
            Step("kiosk-ticket-3", css(".ticket-code")),
        ),
    ),
    Walk(
        "desk-open",
        "desk_agent",
        "balie",
        video=True,
        steps=(
            Step(
                "desk-open-1",
                label("Balie 1 — Administratief Centrum"),
                "check",
                goto="/staff/desk/",
            ),
            Step("desk-open-2", button("Deze balie openen"), "click", wait_for="**/staff/desk/*/"),
            Step("desk-open-3", button("Volgende oproepen")),
        ),
    ),
    Walk(
        "desk-serve",
        "desk_agent",
        "balie",
        video=True,
        steps=(
            Step(None, label("Wachtrij"), "select", "B — Burgerzaken", goto=AC, user="onthaal"),
            Step(None, button("Ticket uitgeven"), "click", user="onthaal"),
            Step(None, label("Balie 2 — Administratief Centrum"), "check", goto="/staff/desk/"),
            Step(None, button("Deze balie openen"), "click", wait_for="**/staff/desk/*/"),
            Step("desk-serve-1", button("Volgende oproepen"), "click"),
            Step("desk-serve-2", button("Starten"), "click"),
            Step("desk-serve-3", label("Identiteitskaart aanvragen"), "fill", "2"),
            Step("desk-serve-4", button("Afronden"), "click"),
            Step("desk-serve-5", button("Volgende oproepen")),
        ),
    ),
    Walk(
        "desk-agenda",
        "desk_agent",
        "balie",
        steps=(
            Step("desk-agenda-1", label("Dag"), goto="/staff/agenda/administratief-centrum/"),
            Step("desk-agenda-2", link("Afspraak maken voor een beller")),
        ),
    ),
    Walk(
        "eloket-list",
        "desk_agent",
        "balie",
        steps=(
            Step("eloket-list-1", Target("text", "E-loket", within=NAV), goto="/staff/e-loket/"),
            Step("eloket-list-2", label("Status"), "select", "alle open"),
            Step(None, button("Filteren"), "click"),
        ),
    ),
    Walk(
        "planning-mine",
        "desk_agent",
        "balie",
        steps=(
            Step("planning-mine-1", heading("Mijn week"), goto="/staff/planning/mine/"),
            Step("planning-mine-2", label("Soort"), "select", "telewerk"),
            Step(None, label("Van"), "fill", "{next-week 4 08:00}"),
            Step(None, label("Tot en met"), "fill", "{next-week 4 17:00}"),
            Step("planning-mine-3", button("Aanvraag versturen"), "click"),
            Step("planning-mine-4", heading("Mijn aanvragen")),
        ),
    ),
    Walk(
        "social-handoff",
        "social_worker",
        "mw",
        video=True,
        steps=(
            Step(None, label("Wachtrij"), "select", "A — Onthaal", goto=SH, user="onthaal"),
            Step(None, button("Ticket uitgeven"), "click", user="onthaal"),
            Step(None, css("details.transfer summary"), "click", user="onthaal"),
            Step(
                None, label("een collega", within="details.transfer form"), "check", user="onthaal"
            ),
            Step(
                None,
                label("Collega", within="details.transfer form"),
                "select",
                "Mira Maatschappelijk",
                user="onthaal",
            ),
            Step(
                None,
                label(
                    "Notitie voor de ontvangende dienst (optioneel)", within="details.transfer form"
                ),
                "fill",
                HANDOFF_NOTE,
                user="onthaal",
            ),
            Step(
                None,
                button("Overdragen", within="details.transfer form"),
                "click",
                user="onthaal",
            ),
            Step(
                "social-handoff-1",
                label("Spreekkamer 1 — Sociaal Huis"),
                "check",
                goto="/staff/desk/",
            ),
            Step(
                "social-handoff-2",
                button("Deze balie openen"),
                "click",
                wait_for="**/staff/desk/*/",
            ),
            Step("social-handoff-3", button("Volgende oproepen"), "click"),
            Step("social-handoff-4", css(".note")),
            Step("social-handoff-5", button("Starten"), "click"),
        ),
    ),
    Walk(
        "lead-view",
        "team_lead",
        "teamlead",
        video=True,
        steps=(
            Step(
                "lead-view-1",
                heading("Wachtrijen"),
                goto="/staff/lead/administratief-centrum/",
            ),
            Step("lead-view-2", heading("Balies")),
            Step(
                "lead-view-3",
                label("Aankondiging"),
                "fill",
                "De snelbalie sluit vandaag om 12 uur.",
            ),
            Step(None, button("Op de schermen zetten"), "click"),
        ),
    ),
    Walk(
        "lead-figures",
        "team_lead",
        "teamlead",
        steps=(
            Step(
                "lead-figures-1", label("Dienst"), "select", "Burgerzaken", goto="/staff/reports/"
            ),
            Step("lead-figures-2", button("Tonen"), "click"),
            Step(
                "lead-figures-3",
                heading("Wachttijd (mediaan en 90e percentiel) en serviceniveau per wachtrij"),
            ),
        ),
    ),
    Walk(
        "planning-board",
        "team_lead",
        "teamlead",
        steps=(
            Step(
                "planning-board-1",
                link("Volgende week"),
                "click",
                goto="/staff/planning/administratief-centrum/",
                wait_for="**/?week=*",
            ),
            Step("planning-board-2", css("#coverage table.coverage")),
            Step("planning-board-3", css("#requests li")),
            Step("planning-board-4", button("Goedkeuren", within="#requests li"), "click"),
            Step("planning-board-5", css("ul.messages")),
        ),
    ),
    Walk(
        "mail-register",
        "mail_clerk",
        "post",
        video=True,
        steps=(
            Step(
                "mail-register-1",
                label("Scans of bestanden"),
                "upload",
                "brief-verhuis.pdf",
                goto="/staff/mail/intake/",
            ),
            Step("mail-register-2", label("Afzender"), "fill", "Jan Peeters"),
            Step(None, label("Onderwerp"), "fill", "Verhuis naar de Kerkstraat"),
            Step("mail-register-3", label("Dienst"), "select", "Burgerzaken"),
            Step(None, label("Documenttype"), "select", "Brief van een burger"),
            Step("mail-register-4", button("Registreren"), "click"),
            Step("mail-register-5", css("#registered-list a")),
        ),
    ),
    Walk(
        "mail-route",
        "mail_clerk",
        "post",
        video=True,
        steps=(
            Step(
                "mail-route-1",
                css("table.mail-table a[href^='/staff/mail/']"),
                "click",
                goto="/staff/mail/",
                wait_for="**/staff/mail/*-*/",
            ),
            Step("mail-route-2", label("Behandelaar *"), "select", "balie"),
            Step("mail-route-3", label("Notitie"), "fill", "Graag tegen vrijdag beantwoorden."),
            Step("mail-route-4", button("Toewijzen"), "click"),
        ),
    ),
    Walk(
        "manager-figures",
        "manager",
        "manager",
        steps=(
            Step("manager-figures-1", label("Van"), goto="/staff/reports/"),
            Step("manager-figures-2", label("Locatie"), "select", "Administratief Centrum"),
            Step(None, button("Tonen"), "click"),
            Step("manager-figures-3", link("Downloaden (Excel)")),
        ),
    ),
    Walk(
        "manager-what-if",
        "manager",
        "manager",
        steps=(
            Step(
                "manager-what-if-1",
                link("Wat als? Rekenhulp"),
                "click",
                goto="/staff/reports/",
                wait_for="**/what-if/**",
            ),
            Step("manager-what-if-2", label("Bezoekers per dag"), "fill", "180"),
            Step(None, label("Openingsuren per dag"), "fill", "7"),
            Step(None, label("Gemiddelde bedieningstijd (minuten)"), "fill", "9"),
            Step("manager-what-if-3", button("Bereken"), "click"),
        ),
    ),
    Walk(
        "audit-search",
        "auditor",
        "auditor",
        video=True,
        steps=(
            # The mail clerk opens a letter first: a consultation for the auditor to find,
            # whatever walks ran before (a fresh demo has read nothing yet).
            Step(
                None,
                css("table.mail-table a[href^='/staff/mail/']"),
                "click",
                goto="/staff/mail/",
                user="post",
                wait_for="**/staff/mail/*-*/",
            ),
            Step("audit-search-1", label("Nummer of id"), goto="/staff/audit/"),
            Step("audit-search-2", label("Actie"), "select", "raadplegen"),
            Step(None, button("Zoeken"), "click"),
            Step("audit-search-3", css("main table tbody tr")),
        ),
    ),
    Walk(
        "admin-closure",
        "admin",
        "admin",
        steps=(
            Step("admin-closure-1", link("Uitzonderingen"), "click", goto="/admin/"),
            Step("admin-closure-2", link("Uitzondering toevoegen", exact=False), "click"),
            Step("admin-closure-3", label("Vestiging:"), "select", "Administratief Centrum"),
            Step(None, label("Datum:"), "fill", "2027-07-21"),
            Step(None, label("Gesloten"), "check"),
            Step(None, label("Reden:"), "fill", "Nationale feestdag"),
            Step("admin-closure-4", css("input[name=_save]"), "click"),
        ),
    ),
    Walk(
        "admin-kiosk",
        "admin",
        "admin",
        steps=(
            Step(
                "admin-kiosk-1",
                label("Naam:"),
                "fill",
                "kiosk-inkom-2",
                goto="/admin/devices/device/add/",
            ),
            Step(None, label("Soort:"), "select", "kiosk"),
            Step(None, label("Vestiging:"), "select", "Administratief Centrum"),
            Step("admin-kiosk-2", css("input[name=_save]"), "click"),
            Step("admin-kiosk-3", css("#content-main")),
        ),
    ),
    Walk(
        # Last: it enrols the administrator's second step in the build's own database.
        "two-step",
        "admin",
        "admin",
        extra_roles=("team_lead",),
        steps=(
            Step("two-step-1", css("main img, main svg"), goto="/staff/two-step/"),
            Step("two-step-2", label("Code"), "fill", "{totp}"),
            Step("two-step-3", button("Bevestigen"), "click"),
            Step("two-step-4", css("main")),
        ),
    ),
)


def shots() -> set[str]:
    return {step.shot for walk in WALKS for step in walk.steps if step.shot}
