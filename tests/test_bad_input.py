"""Bad input is a 400 with the field's message, never a 500, and writes nothing.

The staff forms are not listed by hand: each staff page is rendered for a user who may use it
(with a called and a serving ticket, a waiting one, an announcement and a message, so that every
form shows), its forms are read from the HTML, and every field that carries an id, a number or a
day is posted with junk — not a number, a fraction, negative, too big, a day at the ends of the
calendar. Each such post must answer 4xx and leave every row as it was. The findings of the
review (issue 10, finding 8) are pinned one by one as well.
"""

from __future__ import annotations

import datetime as dt
import json
from html.parser import HTMLParser
from typing import Any

import pytest
from django.apps import apps
from django.test import Client
from django.utils import timezone

from onthaal.queue.tests.conftest import at_tuesday_10, zonnedoorn  # noqa: F401

NUMBER_JUNK = ["abc", "1.5", "-1", "9" * 40, "\uff11"]
DAY_JUNK = ["abc", "9999-12-31", "0001-01-01"]
JUNK = {"number": NUMBER_JUNK, "day": DAY_JUNK, "flag": ["abc", "2", "-1"]}


class _Forms(HTMLParser):
    """The forms of a page: action, method and fields (name → (kind, value))."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict[str, Any]] = []
        self._form: dict[str, Any] | None = None
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self._form = {
                "action": a.get("action", ""),
                "method": a.get("method", "get"),
                "fields": {},
            }
            self.forms.append(self._form)
        if self._form is None or not a.get("name"):
            if tag == "option" and self._form is not None and self._select and a.get("value"):
                kind, value = self._form["fields"][self._select]
                self._form["fields"][self._select] = (kind, value or a["value"])
            return
        name = a["name"]
        if tag == "select":
            self._select = name
            self._form["fields"][name] = ("select", "")
        elif tag in ("input", "button", "textarea"):
            kind = a.get("type", "text") if tag != "textarea" else "textarea"
            if kind in ("radio", "checkbox") and name in self._form["fields"]:
                return
            self._form["fields"][name] = (kind, a.get("value", ""))

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        if tag == "select":
            self._select = None


def _forms(html: str) -> list[dict[str, Any]]:
    parser = _Forms()
    parser.feed(html)
    return parser.forms


def _typed(name: str, kind: str, value: str) -> str | None:
    """What a field asks for: "number" (an id or a quantity), "day", "flag" (1 or 0), or None
    (free text, or the word that selects the form's action)."""
    if kind == "date":
        return "day"
    if kind == "number" or (kind in ("select", "hidden", "radio", "submit") and value.isdigit()):
        return "flag" if name == "on" else "number"
    return None


def _state() -> dict[str, Any]:
    """How many rows each of Onthaal's tables holds, and every row of those the staff forms
    change (tickets, desk sessions, announcements, messages): a refused post changes none."""
    from onthaal.appointments.models import Notification
    from onthaal.queue.models import Announcement, DeskSession, Ticket

    state: dict[str, Any] = {
        model._meta.label: model.objects.count()
        for model in apps.get_models()
        if model.__module__.startswith("onthaal.") and model._meta.label != "audit.Event"
    }
    for model in (Ticket, DeskSession, Announcement, Notification):
        state[f"{model._meta.label} rows"] = list(model.objects.order_by("pk").values_list())
    return state


@pytest.fixture
def staffed(zonnedoorn: dict[str, Any]) -> dict[str, Any]:  # noqa: F811
    """Balie 1 serves a ticket, Balie 2 has called one, one more waits; an announcement is on
    the screens; a message waits in the outbox."""
    from onthaal.appointments.models import Notification
    from onthaal.queue import services
    from onthaal.queue.models import Source

    z = zonnedoorn
    balie = z["users"]["balie"]
    tickets = [
        services.issue_ticket(
            location=z["ac"], queue=z["burgerzaken"], source=Source.KIOSK, actor=None
        )
        for _ in range(3)
    ]
    for desk in (z["balie1"], z["balie2"]):
        services.open_desk(desk=desk, actor=balie)
        services.call_next(desk=desk, actor=balie)
    services.start(ticket=services.get_ticket(tickets[0].pk), desk=z["balie1"], actor=balie)
    services.announcement_create(
        actor=z["users"]["teamlead"], location=z["ac"], text="Closed at noon", until=None
    )
    Notification.objects.create(
        ticket=tickets[2],
        kind=Notification.Kind.TURN,
        recipient="citizen@example.org",
        subject="Your turn",
        body="Soon",
        next_attempt_at=timezone.now(),
        created_at=timezone.now(),
    )
    return z


def _client_for(staffed: dict[str, Any], username: str, url: str) -> Client:
    """A staff member's client; the kiosk's pages are a kiosk device's (no staff login)."""
    from onthaal.devices.tests.factories import enrolled
    from onthaal.organisation.models import Location

    client = Client()
    if url.startswith("/kiosk/"):
        enrolled(client, Location.objects.get(slug=url.split("/")[2]), name="kiosk-junk")
    else:
        client.force_login(staffed["users"][username])
    return client


STAFF_PAGES = [
    ("onthaal", "/kiosk/administratief-centrum/"),
    ("onthaal", "/staff/reception/administratief-centrum/"),
    ("onthaal", "/staff/contacts/administratief-centrum/phone/"),
    ("teamlead", "/staff/lead/administratief-centrum/"),
    ("balie", "/staff/desk/"),
    ("balie", "/staff/desk/{balie1}/"),
    ("balie", "/staff/desk/{balie2}/"),
    ("balie", "/staff/agenda/administratief-centrum/"),
    ("balie", "/staff/messages/"),
]


@pytest.mark.django_db
def test_every_staff_form_field_answers_junk_with_4xx_and_writes_nothing(
    staffed: dict[str, Any],
) -> None:
    tried: list[str] = []
    failures: list[str] = []
    for username, page in STAFF_PAGES:
        url = page.format(balie1=staffed["balie1"].pk, balie2=staffed["balie2"].pk)
        client = _client_for(staffed, username, url)
        response = client.get(url)
        assert response.status_code == 200, url
        for form in _forms(response.content.decode()):
            fields = form["fields"]
            defaults = {name: value for name, (_kind, value) in fields.items()}
            target = form["action"] or url
            for name, (kind, value) in fields.items():
                what = _typed(name, kind, value)
                if what is None:
                    continue
                for junk in JUNK[what]:
                    before = _state()
                    data = {**defaults, name: junk}
                    if form["method"].lower() == "post":
                        answer = client.post(target, data)
                    else:
                        answer = client.get(target, data)
                    tried.append(f"{target} {name}")
                    if not 400 <= answer.status_code < 500:
                        failures.append(f"{target} {name}={junk!r}: {answer.status_code}")
                    elif name.encode() not in answer.content:
                        failures.append(f"{target} {name}={junk!r}: the field is not named")
                    if _state() != before:
                        failures.append(f"{target} {name}={junk!r}: rows changed")
    assert not failures, "\n".join(failures)
    # The walk reached the forms of the finding (kiosk, reception, desk, lead, messages, agenda).
    fields = {t.split()[-1] for t in tried}
    assert {"product", "queue", "ticket", "to_queue", "to_desk", "to_user", "message", "day"} <= (
        fields
    ), fields
    assert {"desk", "announcement", "until", "on"} <= fields, fields
    assert any(f.startswith("qty-") for f in fields), fields


# --- the review's findings, one by one ------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("username", "url", "data", "field"),
    [
        (
            "onthaal",
            "/kiosk/administratief-centrum/",
            {"queue": "{queue}", "product": "abc"},
            "product",
        ),
        (
            "onthaal",
            "/kiosk/administratief-centrum/",
            {"queue": "{queue}", "product": "1.5"},
            "product",
        ),
        (
            "onthaal",
            "/staff/reception/administratief-centrum/",
            {"action": "issue", "queue": "abc"},
            "queue",
        ),
        (
            "onthaal",
            "/staff/reception/administratief-centrum/",
            {"action": "transfer", "ticket": "{ticket}", "to": "queue", "to_queue": "abc"},
            "to_queue",
        ),
        (
            "onthaal",
            "/staff/reception/administratief-centrum/",
            {"action": "transfer", "ticket": "{ticket}", "to": "desk", "to_desk": "abc"},
            "to_desk",
        ),
        (
            "onthaal",
            "/staff/reception/administratief-centrum/",
            {"action": "transfer", "ticket": "{ticket}", "to": "user", "to_user": "abc"},
            "to_user",
        ),
        ("balie", "/staff/messages/", {"message": "abc"}, "message"),
        (
            "teamlead",
            "/staff/lead/administratief-centrum/",
            {"ticket": "{ticket}", "to_queue": "abc"},
            "to_queue",
        ),
    ],
)
def test_review_non_numeric_ids_in_staff_forms_are_a_400_on_the_field(
    staffed: dict[str, Any], username: str, url: str, data: dict[str, str], field: str
) -> None:
    from onthaal.queue.models import Status, Ticket

    waiting = Ticket.objects.filter(status=Status.WAITING).first()
    assert waiting is not None
    values = {
        k: v.format(queue=staffed["burgerzaken"].pk, ticket=waiting.pk) for k, v in data.items()
    }
    client = _client_for(staffed, username, url)
    before = _state()

    response = client.post(url, values)

    assert response.status_code == 400
    assert field.encode() in response.content
    assert _state() == before


@pytest.mark.django_db
@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01"])
def test_review_agenda_at_the_ends_of_the_calendar_is_a_400(
    staffed: dict[str, Any], day: str
) -> None:
    client = Client()
    client.force_login(staffed["users"]["balie"])

    response = client.get("/staff/agenda/administratief-centrum/", {"day": day})

    assert response.status_code == 400
    assert b"day" in response.content


@pytest.mark.django_db
def test_review_details_with_a_start_past_the_calendar_is_a_400(
    staffed: dict[str, Any],
) -> None:
    from onthaal.appointments.models import Appointment
    from onthaal.catalogue.models import Product

    product = Product.objects.filter(channels__channel="appointment", active=True).first()
    assert product is not None
    response = Client().get(
        "/afspraak/gegevens/",
        {"product": product.slug, "start": "9999-12-31T23:59:59-14:00"},
    )

    assert response.status_code == 400
    assert b"start" in response.content
    assert not Appointment.objects.exists()


def _nested(depth: int) -> str:
    return "[" * depth + "]" * depth


@pytest.mark.django_db
@pytest.mark.parametrize("body", [_nested(1000), '{"a":' * 1000 + "1" + "}" * 1000, _nested(40)])
def test_review_json_nested_deep_is_a_400_in_the_error_shape(
    staffed: dict[str, Any], body: str
) -> None:
    from onthaal.appointments.models import Appointment

    client = Client()
    for url in ("/api/v1/appointments/", "/api/v1/appointments/ABC123/cancel/"):
        response = client.post(url, body, content_type="application/json")

        assert response.status_code == 400, url
        payload = response.json()
        assert payload["code"] == "parse_error"
        assert "32" in payload["message"]
    assert not Appointment.objects.exists()


def test_nesting_depth_is_counted_without_recursion() -> None:
    from onthaal.api.parsers import depth

    assert depth(1) == 0
    assert depth({"a": [1, {"b": []}]}) == 4
    assert depth(json.loads(_nested(30))) == 30
    assert depth(json.loads(_nested(500))) > 32  # stops counting past the bound


def test_params_read_days_and_instants_inside_the_calendar_only() -> None:
    from onthaal.core import params
    from onthaal.core.errors import InvalidInput

    assert params.day({"day": "2027-03-23"}, "day") == dt.date(2027, 3, 23)
    assert params.day({"day": ""}, "day") is None
    assert params.pk({"id": " 12 "}, "id") == 12
    assert params.count({"n": "0"}, "n") == 0
    assert params.flag({"on": "1"}, "on") is True
    assert params.flag({"on": ""}, "on") is False
    assert params.instant({"s": "2027-03-23T09:00:00+01:00"}, "s") is not None
    for reader, text in [
        (params.day, "9999-12-31"),
        (params.day, "0001-01-01"),
        (params.pk, "0"),
        (params.pk, "1e3"),
        (params.count, "-1"),
        (params.flag, "yes please"),
        (params.instant, "9999-12-31T23:59:59-14:00"),
        (params.instant, "2027-03-23T09:00:00"),
    ]:
        with pytest.raises(InvalidInput) as raised:
            reader({"f": text}, "f")
        assert list(raised.value.fields) == ["f"]
