"""axe-core over every page the product serves, from a list derived from the URL conf.

The resolver (``django.urls.get_resolver``) lists every URL pattern. Each one is either in
``PAGES`` (who opens it, and the demo objects that fill its parameters) or in ``EXCLUDED``
(with the reason: the API, downloads, feeds, POST-only actions, redirects). A new pattern in
neither makes ``test_every_url_pattern_is_visited_or_excluded`` fail, so a new page cannot
escape the check by being forgotten here.

The browser test opens every page of ``PAGES`` in one Chromium as the role that uses it (staff
signed in, one browser context per role), the public ones without a session, the kiosk as an
enrolled device, and expects 200, the page's language and 0 axe violations on each. It
collects every failure before it fails, and checks that it visited exactly ``len(PAGES)``
pages. It runs in each of ``VARIANTS``: Dutch, French and English (the language cookie), at
desktop width and on a phone (390 by 844); at desktop width it also checks that the header
stays on one line. The demo, the pages' objects and the sessions are made once for the six
(the module's ``site``).
"""

from __future__ import annotations

import datetime as dt
import importlib
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import pytest
from axe_playwright_python.sync_playwright import Axe

from tests.e2e.conftest import PASSWORD, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

ANONYMOUS = ""
DEVICE = "device"  # the enrolled kiosk of the administratief centrum
AC = "administratief-centrum"

# Whole namespaces not walked here, with the reason.
EXCLUDED_NAMESPACES = {
    "admin": "Django's generated admin: the pages the product customised are checked in "
    "test_pages_a11y.py (index, products, opening rules)",
}

_POST = "POST-only action: it answers a form with a redirect, never a page of its own"
_API = "JSON API (openapi.yaml, schemathesis in tests/test_api_fuzz.py), not a page"
_DOWNLOAD = "a file download (attachment), not a page"
EXCLUDED: dict[str, str] = {
    "set_language": _POST + " (the language switch; checked in test_pages_a11y.py)",
    "home": "a redirect to hours:index, which is visited",
    "operations:healthz": "health probe for the load balancer (plain text)",
    "operations:readyz": "readiness probe for the load balancer (plain text)",
    "operations:metrics": "Prometheus metrics (plain text)",
    "theme:css": "an organisation's colours, a stylesheet linked by every page",
    "theme:file": "an organisation's logo or favicon (an image), shown by the pages visited",
    "api-locations": _API,
    "api-departments": _API,
    "api-products": _API,
    "api-me": _API,
    "api-opening-hours": _API,
    "api-tickets": _API,
    "api-ticket-start": _API,
    "api-ticket-finish": _API,
    "api-ticket-no-show": _API,
    "api-ticket-recall": _API,
    "api-ticket-transfer": _API,
    "api-call-next": _API,
    "api-display": _API,
    "api-events": "Server-Sent Events stream of the API",
    "api-availability": _API,
    "api-appointments": _API,
    "api-appointment-challenge": _API,
    "api-appointment": _API,
    "api-appointment-cancel": _API,
    "api-appointment-reschedule": _API,
    "api-appointment-move": _API,
    "api-mail": _API,
    "api-mail-item": _API,
    "api-mail-document": _API,
    "api-mail-assign": _API,
    "api-mail-answer": _API,
    "api-eloket-products": _API,
    "api-eloket-product-form": _API,
    "api-eloket-requests": _API,
    "api-eloket-request": _API,
    "api-eloket-transition": _API,
    "api-reports-visits": _API,
    "api-reports-erlang-c": _API,
    "api-reports-advice": _API,
    "api-staffing-coverage": _API,
    "api-staffing-absences": _API,
    "api-staffing-propose": _API,
    "api-staffing-publish": _API,
    "schema": "the OpenAPI document (YAML)",
    "swagger-ui": "the API documentation, drawn in the browser by Swagger UI (third-party): its "
    "colours, language and heading are fixed here, but its own markup still fails axe (a "
    "button inside each operation's button, a second main landmark, heading order), which "
    "only a change to Swagger UI or another documentation page can fix",
    "api-not-found": "the API's JSON 404 for any other path under /api/v1/",
    "hours:ical": "calendar file (text/calendar) of the opening hours",
    "queue:ticket-json": "JSON status of a ticket, polled by the ticket page",
    "queue:kiosk-sw": "the kiosk's service worker (JavaScript), no page",
    "queue:ticket-events": "Server-Sent Events stream of a ticket",
    "queue:desk-action": _POST,
    "appointments:staff-move": _POST + " (the move form is the choose page, visited)",
    "appointments:hold": _POST + " (JSON answer to the choose page's script)",
    "appointments:ics": "calendar file (text/calendar) of an appointment",
    "appointments:move": _POST + " (the move form is the choose page, visited)",
    "appointments:survey": _POST + " (the survey choice is a form on the manage page, visited)",
    "eloket:login": "a redirect to the identity provider (itsme/eID)",
    "eloket:login-callback": "the identity provider's redirect back; no page of its own",
    "eloket:answer": _POST,
    "eloket:logout": _POST,
    "eloket:download": _DOWNLOAD,
    "eloket:staff-transition": _POST,
    "eloket:staff-assign": _POST,
    "eloket:staff-produce": _POST,
    "eloket:staff-file": _DOWNLOAD,
    "accounts:sso": "a redirect to the organisation's identity provider",
    "accounts:sso-callback": "the identity provider's redirect back; no page of its own",
    "accounts:logout": _POST,
    "accounts:second-factor-off": _POST + " (its form is on the two-step page, visited)",
    "accounts:second-factor": "reached only in the middle of a login with a code due; the "
    "suite counts the second step as done (root conftest.py), so it redirects here",
    "audit:export": _DOWNLOAD + " (CSV)",
    "mail:export": _DOWNLOAD + " (CSV)",
    "mail:bulk-assign": _POST,
    "mail:retention-propose": _POST,
    "mail:retention-approve": _POST,
    "mail:retention-reject": _POST,
    "mail:retention-archive": _DOWNLOAD + " (ZIP)",
    "mail:retention-take-off": _POST,
    "mail:assign": _POST,
    "mail:start": _POST,
    "mail:close": _POST,
    "mail:answer": _POST,
    "mail:grant": _POST,
    "mail:download": _DOWNLOAD,
    "mail:preview": "a document's rendition (PDF), shown inside the item page",
    "mail:thumbnail": "a document's thumbnail image",
    "reporting:export": _DOWNLOAD + " (XLSX/CSV)",
    "reporting:year": _DOWNLOAD + " (PDF)",
    "help:file": "the built manual's files (PDF, video, captions); test_help_a11y.py checks "
    "the help pages that show them",
    "staffing:feed": "calendar feed (text/calendar) of a staff member's week",
    "staffing:absence": _POST,
    "staffing:propose": _POST,
    "staffing:publish": _POST,
    "staffing:decide": _POST,
    "staffing:assignment": _POST,
}


@dataclass(frozen=True)
class Page:
    role: str  # a demo user name, ANONYMOUS or DEVICE
    args: Callable[[dict[str, Any]], dict[str, Any]] = lambda world: {}
    query: Callable[[dict[str, Any]], str] = lambda world: ""


def _w(key: str) -> Callable[[dict[str, Any]], Any]:
    return lambda world: world[key]


PAGES: dict[str, Page] = {
    # Citizens
    "hours:index": Page(ANONYMOUS),
    "hours:location": Page(ANONYMOUS, lambda w: {"slug": AC}),
    "queue:ticket": Page(ANONYMOUS, lambda w: {"public_id": w["ticket"].public_id}),
    "queue:screen": Page(ANONYMOUS, lambda w: {"slug": AC}),
    "appointments:start": Page(ANONYMOUS),
    "appointments:choose": Page(ANONYMOUS, query=_w("booking_query")),
    "appointments:details": Page(ANONYMOUS, query=_w("details_query")),
    "appointments:done": Page(ANONYMOUS, lambda w: {"reference": w["done"].reference}),
    "appointments:manage": Page(
        ANONYMOUS, lambda w: {"reference": w["appointment"].reference}, _w("token_query")
    ),
    "appointments:cancel": Page(
        ANONYMOUS, lambda w: {"reference": w["appointment"].reference}, _w("token_query")
    ),
    "eloket:index": Page(ANONYMOUS),
    "eloket:product": Page(ANONYMOUS, lambda w: {"slug": "attest-woonst"}),
    "eloket:form": Page(ANONYMOUS, lambda w: {"slug": "attest-woonst"}),
    "eloket:received": Page(
        ANONYMOUS, lambda w: {"reference": w["request"].reference}, _w("request_query")
    ),
    "eloket:status": Page(
        ANONYMOUS, lambda w: {"reference": w["waiting"].reference}, _w("waiting_query")
    ),
    "eloket:verify": Page(ANONYMOUS, lambda w: {"signed": w["verify"]}),
    "survey:answer": Page(ANONYMOUS, lambda w: {"token": w["survey"]}),
    "accounts:login": Page(ANONYMOUS),
    "devices:enrol": Page(ANONYMOUS),
    "devices:enrol-code": Page(ANONYMOUS, lambda w: {"code": w["enrol_code"]}),
    # The kiosk, as its enrolled device
    "queue:kiosk": Page(DEVICE, lambda w: {"slug": AC}),
    "queue:kiosk-ticket": Page(DEVICE, lambda w: {"slug": AC, "public_id": w["ticket"].public_id}),
    # Staff
    "accounts:start": Page("balie"),
    "accounts:enrol": Page("balie"),
    "queue:desk-choose": Page("balie"),
    "queue:desk": Page("balie", lambda w: {"desk_id": w["desk"].pk}),
    "queue:reception": Page("onthaal", lambda w: {"slug": AC}),
    "queue:lead": Page("teamlead", lambda w: {"slug": AC}),
    "appointments:agenda": Page("balie", lambda w: {"slug": AC}),
    "appointments:outbox": Page("balie"),
    "appointments:staff-appointment": Page(
        "onthaal", lambda w: {"reference": w["appointment"].reference}
    ),
    "appointments:staff-cancel": Page(
        "onthaal", lambda w: {"reference": w["appointment"].reference}
    ),
    "eloket:staff-list": Page("balie"),
    "eloket:staff-payments": Page("teamlead"),
    "eloket:staff-request": Page("balie", lambda w: {"reference": w["waiting"].reference}),
    "audit:search": Page("auditor"),
    "mail:inbox": Page("teamlead"),
    "mail:intake": Page("post"),
    "mail:search": Page("post", query=lambda w: "q=factuur"),
    "mail:retention": Page("admin"),
    "mail:retention-list": Page("admin", lambda w: {"pk": w["retention"].pk}),
    "mail:item": Page("post", lambda w: {"public_id": w["mail"].public_id}),
    "reporting:dashboard": Page("manager"),
    "reporting:balance": Page("manager"),
    "contacts:phone": Page("onthaal", lambda w: {"slug": AC}),
    "reporting:what-if": Page(
        "manager",
        query=lambda w: (
            "arrivals_per_hour=20&service_minutes=8&target_minutes=10&target_percent=80"
        ),
    ),
    "help:index": Page("balie"),
    "help:release-notes": Page("balie"),
    "help:role": Page("balie", lambda w: {"slug": "desk-agent"}),
    "staffing:index": Page("teamlead"),
    "staffing:mine": Page("balie"),
    "staffing:import": Page("teamlead"),
    "staffing:board": Page("teamlead", lambda w: {"slug": AC}),
}


def _walk(resolver: Any, namespace: str = "") -> Iterator[tuple[str, str]]:
    """(name, route) of every URL pattern under ``resolver``; the name with its namespaces
    (``queue:desk``), or the route for a pattern without a name."""
    from django.urls import URLResolver

    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            inner = namespace
            if pattern.namespace:
                inner = f"{namespace}:{pattern.namespace}" if namespace else pattern.namespace
            for name, route in _walk(pattern, inner):
                yield name, str(pattern.pattern) + route
        else:
            name = pattern.name or str(pattern.pattern)
            yield (f"{namespace}:{name}" if namespace else name), str(pattern.pattern)


def url_patterns() -> dict[str, str]:
    """Every URL pattern of the project outside ``EXCLUDED_NAMESPACES``: name → route."""
    from django.urls import get_resolver

    found: dict[str, str] = {}
    for name, route in _walk(get_resolver()):
        if name.split(":")[0] in EXCLUDED_NAMESPACES:
            continue
        found[name] = route
    return found


def test_every_url_pattern_is_visited_or_excluded():
    patterns = url_patterns()
    unknown = sorted(set(patterns) - set(PAGES) - set(EXCLUDED))
    assert not unknown, (
        "URL patterns that the axe test neither visits nor excludes (add them to PAGES, or "
        "to EXCLUDED with the reason): " + ", ".join(f"{n} ({patterns[n]})" for n in unknown)
    )
    stale = sorted((set(PAGES) | set(EXCLUDED)) - set(patterns))
    assert not stale, "entries for URL patterns that no longer exist: " + ", ".join(stale)
    assert not set(PAGES) & set(EXCLUDED)
    assert all(reason.strip() for reason in EXCLUDED.values())


def _world(base_url: str) -> dict[str, Any]:
    """The demo objects the pages' parameters come from (the demo itself has no appointment
    and no ticket)."""
    from django.contrib.auth import get_user_model

    from onthaal.appointments import services as appointments
    from onthaal.catalogue.models import Product
    from onthaal.core import clock
    from onthaal.devices import services as devices
    from onthaal.eloket import services as eloket
    from onthaal.eloket.models import Request, Status
    from onthaal.mail import retention
    from onthaal.mail.models import MailItem
    from onthaal.organisation.models import Desk, Location, Organisation
    from onthaal.queue import services as queue
    from onthaal.queue.models import Queue, Source
    from onthaal.reporting import facts, survey

    users = get_user_model().objects
    location = Location.objects.get(slug=AC)
    product = Product.objects.get(slug="eid-aanvragen")
    booking = appointments.build_request(location=location, products=[product])
    today = clock.today()
    free = appointments.availability(booking, today, today + dt.timedelta(days=14))
    appointment, token = appointments.book(
        request=booking, start=free[0].start, name="Jan Peeters", email="jan@example.org"
    )
    done, done_token = appointments.book(
        request=booking, start=free[1].start, name="Els Maes", phone="0470123456"
    )
    choose = urlencode({"product": product.slug, "location": AC})
    start = free[2].start.astimezone(clock.BRUSSELS).isoformat()

    desk = Desk.objects.get(name="Balie 1", location=location)
    agent = users.get(username="balie")
    issue = {"location": location, "queue": Queue.objects.get(location=location, prefix="B")}
    reception = users.get(username="onthaal")
    served = queue.issue_ticket(
        **issue, source=Source.RECEPTION, actor=reception, check_hours=False
    )
    queue.open_desk(desk=desk, actor=agent)
    called = queue.call_next(desk=desk, actor=agent)
    assert called is not None and called.pk == served.pk
    queue.finish(ticket=queue.start(ticket=called, desk=desk, actor=agent), desk=desk, actor=agent)
    ticket = queue.issue_ticket(**issue, source=Source.KIOSK, actor=None, check_hours=False)

    received = Request.objects.filter(status=Status.RECEIVED).order_by("pk").first()
    waiting = Request.objects.get(status=Status.WAITING)
    _device, code = devices.device_create(
        actor=None, location=Location.objects.get(slug="sociaal-huis"), kind="kiosk", name="k2"
    )
    return {
        "appointment": appointment,
        "token_query": lambda w: urlencode({"token": token}),
        "done": done,
        "done_token": done_token,
        "booking_query": lambda w: choose,
        "details_query": lambda w: f"{choose}&{urlencode({'start': start})}",
        "desk": desk,
        "ticket": ticket,
        "survey": survey.token_for(facts.TICKET, served.pk),
        "request": received,
        "request_query": lambda w: urlencode({"token": eloket.status_token(received.reference)}),
        "waiting": waiting,
        "waiting_query": lambda w: urlencode({"token": eloket.status_token(waiting.reference)}),
        "verify": eloket.verify_link(received).rstrip("/").rsplit("/", 1)[-1],
        "enrol_code": code,
        "mail": MailItem.objects.order_by("pk").first(),
        "retention": retention.propose_list(
            actor=users.get(username="admin"), organisation=Organisation.objects.order_by("pk")[0]
        ),
    }


def _session_cookie(base_url: str, user: Any = None, **session: Any) -> dict[str, Any]:
    """A session cookie for the live server: ``user`` signed in (as ``force_login`` does)
    and ``session`` set, without going through the login page for each role."""
    from django.conf import settings
    from django.test import Client

    client = Client()
    if user is not None:
        client.force_login(user)
    store = client.session if user is not None else None
    if store is None:
        engine = importlib.import_module(settings.SESSION_ENGINE)
        store = engine.SessionStore()
    for key, value in session.items():
        store[key] = value
    store.save()
    return {"name": settings.SESSION_COOKIE_NAME, "value": store.session_key, "url": base_url}


DESKTOP = (1280, 900)
PHONE = (390, 844)  # a common phone's CSS viewport
VARIANTS = {
    f"{language}-{size}": (language, viewport)
    for size, viewport in (("desktop", DESKTOP), ("phone", PHONE))
    for language in ("nl", "fr", "en")
}

# At desktop width the header is one line: its parts side by side, the citizens' menu on one
# line, no label broken over two lines (French words are longer: "Prendre rendez-vous"). The
# staff menu under it may take a second line for a role with many pages (a team lead has 13),
# but none of its labels breaks.
HEADER_LINES = """() => {
  const found = [];
  const shown = (e) => e.getClientRects().length > 0 && getComputedStyle(e).visibility !== "hidden";
  const lines = (e) => {  // line boxes of the element's text: fragments that overlap are one
    const rects = [];
    const walker = document.createTreeWalker(e, NodeFilter.SHOW_TEXT);
    while (walker.nextNode()) {
      if (!walker.currentNode.textContent.trim()) continue;
      const range = document.createRange();
      range.selectNodeContents(walker.currentNode);
      for (const r of range.getClientRects()) if (r.width > 0) rects.push(r);
    }
    rects.sort((a, b) => a.top - b.top);
    let count = 0, bottom = -Infinity;
    for (const r of rects) {
      if (r.top >= bottom - 1) count += 1;
      bottom = Math.max(bottom, r.bottom);
    }
    return count;
  };
  const label = (e) => (e.innerText || e.getAttribute("aria-label") || e.tagName).trim().slice(0, 40);
  for (const row of document.querySelectorAll("header .header-row")) {
    const parts = [...row.children].filter(shown);
    const rects = parts.map((e) => e.getBoundingClientRect());
    if (rects.length > 1 && Math.max(...rects.map((r) => r.top)) >= Math.min(...rects.map((r) => r.bottom)))
      found.push("the header's parts are on more than one line: " + parts.map(label).join(" | "));
  }
  for (const list of document.querySelectorAll("header .top-nav > ul")) {
    const tops = new Set([...list.children].filter(shown).map((e) => Math.round(e.getBoundingClientRect().top)));
    if (tops.size > 1) found.push("a header menu is on " + tops.size + " lines");
  }
  for (const e of document.querySelectorAll(
      "header .brand, header .header-row > a, header .header-row button, header nav > ul > li > a, " +
      "header nav > ul > li > details > summary, header .staff-who p"))
    if (shown(e) && lines(e) > 1) found.push("broken over two lines: " + label(e));
  return found;
}"""


@dataclass
class Site:
    """The demo, served, with the objects and cookies every variant visits with."""

    url: str
    world: dict[str, Any]
    cookies: dict[str, list[dict[str, Any]]]  # role -> cookies


@pytest.fixture(scope="module")
def site(django_db_setup: None, django_db_blocker: Any) -> Iterator[Site]:
    """Built once for the six variants: the demo loaded (with test passwords), the pages'
    objects, a session per role, an enrolled kiosk, and a live server of its own. Not
    pytest-django's ``live_server``: with it, every test empties the database when it ends.
    The database is emptied here when the module is done, as ``transactional_db`` does."""
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.test.utils import setup_databases, teardown_databases
    from pytest_django.live_server_helper import LiveServer

    from onthaal.devices import services as devices
    from onthaal.devices.selectors import COOKIE
    from onthaal.organisation.models import Location

    with django_db_blocker.unblock():
        # pytest-django makes the test database only when a selected test asks for one
        # (the db fixtures, a django_db mark): not for these tests run on their own.
        made = None if _on_test_database() else setup_databases(0, interactive=False)
        assert _on_test_database(), "never load the demo into, nor empty, a real database"
        server = LiveServer("localhost")
        server._live_server_modified_settings.enable()
        try:
            call_command("load_demo", verbosity=0, stdout=open(os.devnull, "w"))  # noqa: SIM115
            users = get_user_model().objects
            for user in users.all():
                user.set_password(PASSWORD)
                user.save(update_fields=["password"])
            base = server.url
            world = _world(base)
            for key, value in list(world.items()):
                if callable(value):
                    world[key] = value(world)
            done = world["done"]
            _kiosk, code = devices.device_create(
                actor=None, location=Location.objects.get(slug=AC), kind="kiosk", name="axe"
            )
            _enrolled, key = devices.device_enrol(code=code)
            cookies = {
                # The confirmation page after booking reads its token from the session.
                ANONYMOUS: [
                    _session_cookie(base, **{f"booked-{done.reference}": world["done_token"]})
                ],
                DEVICE: [{"name": COOKIE, "value": key, "url": base}],
            }
            for role in {spec.role for spec in PAGES.values()} - {ANONYMOUS, DEVICE}:
                cookies[role] = [_session_cookie(base, users.get(username=role))]
            yield Site(base, world, cookies)
        finally:
            server.stop()
            server._live_server_modified_settings.disable()
            call_command("flush", verbosity=0, interactive=False)
            if made is not None:
                teardown_databases(made, verbosity=0)


def _on_test_database() -> bool:
    from django.db import connection
    from django.db.backends.base.creation import TEST_DATABASE_PREFIX

    name = str(connection.settings_dict["NAME"])
    test_name = (connection.settings_dict.get("TEST") or {}).get("NAME")
    return name == str(test_name) if test_name else name.startswith(TEST_DATABASE_PREFIX)


# What sticks out of a phone's width, outermost first (its tag, class and text), or nothing.
TOO_WIDE = """(() => {
  const width = document.documentElement.clientWidth;
  if (document.documentElement.scrollWidth <= width) return "";
  const out = [...document.body.querySelectorAll("*")].filter(
    (e) => e.getBoundingClientRect().right > width + 1 && !e.closest(".table-scroll")
  );
  return out.slice(0, 4).map(
    (e) => `${e.tagName.toLowerCase()}.${e.className} (${Math.round(e.getBoundingClientRect().right)} px): ${(e.textContent || "").trim().slice(0, 30)}`
  ).join("; ");
})()"""


@pytest.mark.parametrize("variant", VARIANTS)
def test_every_page_has_no_axe_violations(site, browser, settings, variant):
    from django.urls import reverse

    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False
    language, (width, height) = VARIANTS[variant]
    desktop = (width, height) == DESKTOP
    base, world = site.url, site.world
    pages: dict[str, Any] = {}  # role -> its tab

    def page_of(role: str) -> Any:
        if role not in pages:
            context = browser.new_context(
                viewport={"width": width, "height": height}, locale=language, bypass_csp=True
            )
            language_cookie = {"name": settings.LANGUAGE_COOKIE_NAME, "value": language}
            context.add_cookies([{**language_cookie, "url": base}, *site.cookies[role]])
            pages[role] = context.new_page()
            pages[role].set_default_timeout(15_000)
        return pages[role]

    failures: list[str] = []
    visited = 0
    try:
        for name, spec in PAGES.items():
            page = page_of(spec.role)
            path = reverse(name, kwargs=spec.args(world))
            query = spec.query(world)
            url = base + path + (f"?{query}" if query else "")
            response = page.goto(url)
            visited += 1
            who = spec.role or "anonymous"
            if response is None or response.status != 200:
                status = response.status if response else "no response"
                failures.append(f"{name} as {who}: {url} answered {status}")
                continue
            if "/staff/login/" in page.url and name != "accounts:login":
                failures.append(f"{name} as {who}: sent to the login page")
                continue
            lang = page.locator("html").get_attribute("lang")
            if lang != language:
                failures.append(f"{name} as {who}: html lang={lang}, not {language}")
            if desktop:
                failures.extend(f"{name} as {who}: {p}" for p in page.evaluate(HEADER_LINES))
            else:  # a phone scrolls down, never sideways (a wide table scrolls in its own box)
                wide = page.evaluate(TOO_WIDE)
                if wide:
                    failures.append(f"{name} as {who}: wider than the phone: {wide}")
            results = Axe().run(page)
            screenshot(page, f"every-page-{variant}-{name.replace(':', '-')}")
            if results.violations_count:
                failures.append(f"{name} as {who} ({url}):\n{results.generate_report()}")
    finally:
        for page in pages.values():
            page.context.close()
    # The count, for the run's log (pytest -s): what this test covered.
    print(f"axe visited {visited} pages ({variant}); {len(EXCLUDED)} patterns excluded")  # noqa: T201
    assert visited == len(PAGES)
    assert not failures, f"{len(failures)} of {visited} pages failed:\n" + "\n\n".join(failures)


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_the_organisation_theme_form_has_no_axe_violations(site, browser, settings, size):
    """The admin page the theme added to (the organisation, with its logo, favicon and
    colours), as the administrator who sets it, with the error a failing colour shows."""
    from django.urls import reverse

    from onthaal.organisation.models import Organisation

    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False
    width, height = DESKTOP if size == "desktop" else PHONE
    context = browser.new_context(
        viewport={"width": width, "height": height}, locale="nl", bypass_csp=True
    )
    try:
        context.add_cookies(site.cookies["admin"])
        page = context.new_page()
        organisation = Organisation.objects.get(name="Gemeente Zonnedoorn")
        url = site.url + reverse("admin:organisation_organisation_change", args=[organisation.pk])
        assert page.goto(url).status == 200
        assert page.locator("#id_logo").count() == 1
        failures = []
        results = Axe().run(page)
        screenshot(page, f"admin-organisation-theme-{size}")
        if results.violations_count:
            failures.append(results.generate_report())
        page.fill("#id_primary_colour", "#5b9bd5")
        page.locator("input[name=_continue]").click()
        page.wait_for_load_state()
        assert "Te weinig contrast: #ffffff op #5b9bd5" in page.locator("#content").inner_text()
        results = Axe().run(page)
        screenshot(page, f"admin-organisation-theme-refused-{size}")
        if results.violations_count:
            failures.append(results.generate_report())
        assert not failures, "\n\n".join(failures)
    finally:
        context.close()


LONG_NAME = "Gemeente en OCMW Sint-Martens-Latem-aan-de-Leie"
# A page of each kind of header: the citizens' (with its menu), the booking form's, a staff
# member's (the desk, with the staff menu) and the team lead's (the longest staff menu).
LONG_NAME_PAGES = ("hours:index", "appointments:choose", "queue:desk", "staffing:index")
# On a phone nothing in the header's row may stick out sideways (a long name that does not
# give way; the staff menu's closed drop-downs are left out).
HEADER_OUTSIDE = """() => [...document.querySelectorAll("header .header-row *")]
  .filter((e) => e.getClientRects().length && e.getBoundingClientRect().right > window.innerWidth + 1)
  .map((e) => (e.innerText || e.tagName).trim().slice(0, 40))"""


@pytest.mark.parametrize("variant", ["nl-desktop", "fr-desktop", "nl-phone", "fr-phone"])
def test_a_long_organisation_name_keeps_the_header_whole(site, browser, settings, variant):
    """Another install's municipality, with a long name: the headers, titles and footer name it
    (not the demo's), and the header still fits: one line at desktop width, nothing wider
    than a phone, 0 axe violations."""
    from django.urls import reverse

    from onthaal.organisation.models import Organisation

    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False
    language, (width, height) = VARIANTS[variant]
    gemeente = Organisation.objects.get(name="Gemeente Zonnedoorn")
    ocmw = Organisation.objects.get(name="OCMW Zonnedoorn")
    gemeente.name, ocmw.name = LONG_NAME, "OCMW Sint-Martens-Latem"
    gemeente.save(update_fields=["name"])
    ocmw.save(update_fields=["name"])
    contexts: dict[str, Any] = {}
    failures: list[str] = []
    try:
        for name in LONG_NAME_PAGES:
            spec = PAGES[name]
            if spec.role not in contexts:
                context = browser.new_context(
                    viewport={"width": width, "height": height}, locale=language, bypass_csp=True
                )
                language_cookie = {"name": settings.LANGUAGE_COOKIE_NAME, "value": language}
                context.add_cookies(
                    [{**language_cookie, "url": site.url}, *site.cookies[spec.role]]
                )
                contexts[spec.role] = context
            page = contexts[spec.role].new_page()
            query = spec.query(site.world)
            url = site.url + reverse(name, kwargs=spec.args(site.world))
            assert page.goto(url + (f"?{query}" if query else "")).status == 200, url
            assert page.title().endswith(f" · {LONG_NAME}"), page.title()
            assert LONG_NAME in page.locator("header .brand").inner_text()
            footer = page.locator("footer").inner_text()
            assert "Zonnedoorn" not in page.locator("header").first.inner_text() + footer
            assert f"{LONG_NAME} {'en' if language == 'nl' else 'et'} OCMW Sint-" in footer
            if variant.endswith("desktop"):
                failures.extend(f"{name}: {p}" for p in page.evaluate(HEADER_LINES))
            else:
                failures.extend(f"{name}: {e} sticks out" for e in page.evaluate(HEADER_OUTSIDE))
            results = Axe().run(page)
            screenshot(page, f"long-name-{variant}-{name.replace(':', '-')}")
            if results.violations_count:
                failures.append(f"{name}:\n{results.generate_report()}")
    finally:
        for context in contexts.values():
            context.close()
        gemeente.name, ocmw.name = "Gemeente Zonnedoorn", "OCMW Zonnedoorn"
        gemeente.save(update_fields=["name"])
        ocmw.save(update_fields=["name"])
    assert not failures, "\n\n".join(failures)
