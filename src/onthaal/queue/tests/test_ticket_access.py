"""Every ticket action asks the ticket's own department (issue 10, finding 4).

One walk over every ticket action (call, recall, start, finish, no-show, hand-over from a
desk, hand-over and priority at reception, move by a team lead, reading hand-off notes) by
every demo role by a ticket of Burgerzaken, of Omgeving and of the confidential Sociale
Dienst. What each role may do is written out by hand below (not derived from
``access.CAPABILITIES``): a refusal answers 403, changes nothing and is an audit event.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from onthaal.audit.models import Action, AuditEvent
from onthaal.core import clock
from onthaal.organisation.models import Department, Desk
from onthaal.queue import selectors, services
from onthaal.queue.models import DeskSession, HandoffNote, Queue, Source, Status, Ticket

ROLES = ["onthaal", "balie", "mw", "teamlead", "post", "manager", "auditor", "admin"]
DEPARTMENTS = ["bz", "omg", "sd"]

# Who may act at the desk of each department (queue.serve in that department).
SERVES: dict[str, set[str]] = {"balie": {"bz"}, "mw": {"sd"}, "teamlead": {"bz"}}
# Reception (priority, hand-over of a waiting visitor): the receptionist for every department
# (numbers only), desk staff and leads in their own, an administrator in the non-confidential.
RECEPTION: dict[str, set[str]] = {
    "onthaal": {"bz", "omg", "sd"},
    "balie": {"bz"},
    "teamlead": {"bz"},
    "admin": {"bz", "omg"},
}
# Moving a waiting ticket on the lead page.
LEADS: dict[str, set[str]] = {"teamlead": {"bz"}, "manager": {"bz", "omg"}, "admin": {"bz", "omg"}}
# Reading a hand-off note: members of the receiving department itself who serve.
NOTES: dict[str, set[str]] = {"balie": {"bz"}, "mw": {"sd"}, "teamlead": {"bz"}}

DESK_ACTIONS = ["call", "recall", "start", "finish", "no-show", "desk-transfer"]
RECEPTION_ACTIONS = ["reception-transfer", "priority"]


@pytest.fixture
def place(zonnedoorn: dict[str, Any]) -> dict[str, Any]:
    z = zonnedoorn
    return {
        **z,
        "bz": (z["burgerzaken"], z["balie1"], z["snel"]),
        "omg": (
            Queue.objects.get(location=z["ac"], prefix="O"),
            z["balie5"],
            z["snel"],
        ),
        "sd": (z["social"], z["room1"], Queue.objects.get(location=z["sh"], prefix="A")),
    }


def _fresh(p: dict[str, Any], dept: str, *, at_desk: Any = None) -> Ticket:
    """A waiting ticket of ``dept`` (called to ``at_desk`` when given), alone in its day."""
    Ticket.objects.exclude(status__in=[Status.DONE, Status.NO_SHOW, Status.CANCELLED]).update(
        status=Status.CANCELLED, finished_at=clock.now()
    )
    queue = p[dept][0]
    ticket = services.issue_ticket(
        location=queue.location,
        queue=queue,
        source=Source.RECEPTION,
        actor=p["users"]["onthaal"],
        check_hours=False,
    )
    if at_desk is not None:
        Ticket.objects.filter(pk=ticket.pk).update(
            status=Status.CALLED, desk=at_desk, called_at=clock.now()
        )
    fresh = Ticket.objects.select_related("queue").get(pk=ticket.pk)
    fresh._before = _snapshot(fresh)  # type: ignore[attr-defined]
    return fresh


def _sit(user: Any, desk: Desk) -> None:
    """``user`` works at ``desk`` now, whether or not they may (the action must still check)."""
    DeskSession.objects.filter(user=user).delete()
    DeskSession.objects.update_or_create(
        desk=desk, defaults={"user": user, "state": DeskSession.State.OPEN, "since": clock.now()}
    )


def _snapshot(ticket: Ticket) -> tuple[Any, ...]:
    t = Ticket.objects.get(pk=ticket.pk)
    return (t.status, t.queue_id, t.desk_id, t.priority, t.recalls, t.transfers)


def _run(client: Any, p: dict[str, Any], role: str, dept: str, action: str) -> tuple[int, Ticket]:
    user = p["users"][role]
    queue, desk, other_queue = p[dept]
    client.force_login(user)
    if action in DESK_ACTIONS:
        ticket = _fresh(p, dept, at_desk=None if action == "call" else desk)
        _sit(user, desk)
        if action == "call":
            url = reverse("api-call-next", args=[desk.pk])
            return client.post(url).status_code, ticket
        name = {"desk-transfer": "transfer"}.get(action, action)
        body = {"queue": other_queue.pk} if action == "desk-transfer" else {"desk": desk.pk}
        url = reverse(f"api-ticket-{name}", args=[ticket.pk])
        return client.post(url, body, content_type="application/json").status_code, ticket
    DeskSession.objects.filter(user=user).delete()
    ticket = _fresh(p, dept)
    slug = queue.location.slug
    if action == "reception-transfer":
        url = reverse("api-ticket-transfer", args=[ticket.pk])
        body = {"queue": other_queue.pk}
        return client.post(url, body, content_type="application/json").status_code, ticket
    if action == "priority":
        url = reverse("queue:reception", args=[slug])
        body = {"action": "priority", "ticket": ticket.pk, "on": "1"}
        return client.post(url, body).status_code, ticket
    assert action == "lead-move"
    url = reverse("queue:lead", args=[slug])
    return client.post(url, {"ticket": ticket.pk, "to_queue": other_queue.pk}).status_code, ticket


def _allowed(role: str, dept: str, action: str) -> bool:
    if action in DESK_ACTIONS:
        return dept in SERVES.get(role, set())
    if action in RECEPTION_ACTIONS:
        return dept in RECEPTION.get(role, set())
    return dept in LEADS.get(role, set())


def _done(ticket: Ticket, action: str, p: dict[str, Any], dept: str) -> bool:
    t = Ticket.objects.get(pk=ticket.pk)
    moved = t.queue_id == p[dept][2].pk and t.status == Status.WAITING
    return {
        "call": t.status == Status.CALLED and t.desk_id == p[dept][1].pk,
        "recall": t.recalls == 1,
        "start": t.status == Status.SERVING,
        "finish": t.status == Status.DONE,
        "no-show": t.status == Status.NO_SHOW,
        "desk-transfer": moved,
        "reception-transfer": moved,
        "priority": t.priority,
        "lead-move": moved,
    }[action]


def test_every_ticket_action_by_every_role_in_every_department(client, place):
    p = place
    actions = [*DESK_ACTIONS, *RECEPTION_ACTIONS, "lead-move"]
    wrong = []
    for role in ROLES:
        for dept in DEPARTMENTS:
            for action in actions:
                refusals = AuditEvent.objects.filter(
                    action=Action.PERMISSION_DENIED, actor_id=str(p["users"][role].pk)
                )
                before = refusals.count()
                status, ticket = _run(client, p, role, dept, action)
                if _allowed(role, dept, action):
                    ok = status in (200, 302) and _done(ticket, action, p, dept)
                else:
                    # Refused: audited, and nothing about the ticket changed since it was set up.
                    unchanged = _snapshot(ticket) == ticket._before  # type: ignore[attr-defined]
                    ok = status == 403 and refusals.count() == before + 1 and unchanged
                if not ok:
                    wrong.append((role, dept, action, status))
    assert wrong == []


def test_hand_off_notes_are_read_by_the_receiving_department_only(place):
    p = place
    for dept in DEPARTMENTS:
        ticket = _fresh(p, dept)
        HandoffNote.objects.create(
            ticket=ticket,
            department=p[dept][0].department,
            author=p["users"]["onthaal"],
            text="Komt voor de aanvraag.",
            created_at=clock.now(),
        )
        for role in ROLES:
            readable = selectors.notes_for(ticket, p["users"][role])
            assert bool(readable) == (dept in NOTES.get(role, set())), (role, dept)


def _shared_desk(p: dict[str, Any]) -> Desk:
    """A desk of the Sociaal Huis set up for both Burgerzaken and the Sociale Dienst."""
    desk = Desk.objects.create(location=p["sh"], name="Gedeelde balie")
    bz = Department.objects.get(slug="burgerzaken")
    desk.departments.set([bz, p["social"].department])
    bz_here = Queue.objects.create(location=p["sh"], department=bz, prefix="Z", name="BZ SH")
    desk.queues.set([bz_here, p["social"]])
    return desk


def _issue(queue: Queue, actor: Any) -> Ticket:
    return services.issue_ticket(
        location=queue.location,
        queue=queue,
        source=Source.RECEPTION,
        actor=actor,
        check_hours=False,
    )


def test_at_a_shared_desk_staff_call_only_their_departments_tickets(client, place):
    p = place
    desk = _shared_desk(p)
    balie, reception = p["users"]["balie"], p["users"]["onthaal"]
    social = _issue(p["social"], reception)  # waited longest
    p["traveller"].shift(300)
    own = _issue(Queue.objects.get(prefix="Z"), reception)
    services.open_desk(desk=desk, actor=balie)
    client.force_login(balie)
    url = reverse("api-call-next", args=[desk.pk])
    assert client.post(url).json()["code"] == own.code
    client.post(reverse("api-ticket-finish", args=[own.pk]), {"desk": desk.pk})
    assert client.post(url).status_code == 204
    assert Ticket.objects.get(pk=social.pk).status == Status.WAITING


def test_a_confidential_ticket_at_a_desk_of_another_department_is_refused(client, place):
    p = place
    desk = _shared_desk(p)
    balie = p["users"]["balie"]
    social = _fresh(p, "sd", at_desk=desk)
    _sit(balie, desk)
    client.force_login(balie)
    for action in ("recall", "start", "no-show", "finish"):
        url = reverse(f"api-ticket-{action}", args=[social.pk])
        response = client.post(url, {"desk": desk.pk}, content_type="application/json")
        assert response.status_code == 403
    assert Ticket.objects.get(pk=social.pk).status == Status.CALLED
    refused = AuditEvent.objects.filter(
        action=Action.PERMISSION_DENIED, actor_id=str(balie.pk), object_type="queue.ticket"
    )
    assert refused.count() == 4
    assert {e.department_id for e in refused} == {p["social"].department_id}


def test_a_hand_over_to_a_desk_that_does_not_serve_the_department_is_refused(client, place):
    """A Sociale Dienst ticket handed to the Sociaal Huis's reception desk would be called
    there by staff who may not serve it: refused, with a field message."""
    p = place
    reception = p["users"]["onthaal"]
    ticket = _fresh(p, "sd")
    front = Desk.objects.get(location=p["sh"], name="Onthaal Sociaal Huis")
    services.open_desk(desk=front, actor=reception)
    client.force_login(reception)
    url = reverse("api-ticket-transfer", args=[ticket.pk])
    body = {"queue": p["social"].pk, "desk": front.pk}
    response = client.post(url, body, content_type="application/json")
    assert response.status_code == 400
    assert "desk" in response.json()["fields"]
    assert Ticket.objects.get(pk=ticket.pk).assigned_desk_id is None


def test_nobody_moves_a_visitor_off_another_desk_without_being_at_it(client, place):
    """The review's case: a Burgerzaken desk agent moved a Sociale Dienst ticket off the
    social worker's desk. Now refused (and audited); and even a colleague of the social
    worker, or reception, cannot take a visitor off a desk they are not at."""
    p = place
    mira = p["users"]["mw"]
    ticket = _fresh(p, "sd")
    services.open_desk(desk=p["room1"], actor=mira)
    called = services.call_next(desk=p["room1"], actor=mira)
    assert called is not None and called.pk == ticket.pk
    url = reverse("api-ticket-transfer", args=[ticket.pk])
    body = {"queue": p["sd"][2].pk}
    client.force_login(p["users"]["balie"])
    assert client.post(url, body, content_type="application/json").status_code == 403
    assert AuditEvent.objects.filter(
        action=Action.PERMISSION_DENIED, object_type="queue.ticket", object_id=str(ticket.pk)
    ).exists()
    client.force_login(p["users"]["onthaal"])
    response = client.post(url, body, content_type="application/json")
    assert response.status_code == 409 and response.json()["code"] == "at_desk"
    t = Ticket.objects.get(pk=ticket.pk)
    assert (t.status, t.desk_id, t.queue_id) == (Status.CALLED, p["room1"].pk, p["social"].pk)


def test_the_quick_counter_serves_receptions_queue_with_burgerzaken_staff(client, place):
    """A desk serves the queues it is set up for: Balie Bart works the quick counter, whose
    queue belongs to reception (not a confidential department)."""
    p = place
    balie = p["users"]["balie"]
    desk = Desk.objects.get(location=p["ac"], name="Snelbalie")
    ticket = _fresh(p, "bz")  # cleared the day
    quick = _issue(p["snel"], p["users"]["onthaal"])
    Ticket.objects.filter(pk=ticket.pk).update(status=Status.CANCELLED, finished_at=clock.now())
    services.open_desk(desk=desk, actor=balie)
    client.force_login(balie)
    assert client.post(reverse("api-call-next", args=[desk.pk])).json()["code"] == quick.code
    url = reverse("api-ticket-finish", args=[quick.pk])
    assert client.post(url, {"desk": desk.pk}, content_type="application/json").status_code == 200


def test_a_burgerzaken_lead_sees_only_burgerzaken_at_the_sociaal_huis(client, place):
    """Finding 13: the lead view of a location with a Sociale Dienst queue shows a Burgerzaken
    lead the queues, desks, staff and tickets of Burgerzaken only."""
    p = place
    bz = Department.objects.get(slug="burgerzaken")
    own_queue = Queue.objects.create(location=p["sh"], department=bz, prefix="Z", name="Loket BZ")
    own_desk = Desk.objects.create(location=p["sh"], name="Loket 9")
    own_desk.departments.set([bz])
    own_desk.queues.set([own_queue])
    reception, balie, mira = p["users"]["onthaal"], p["users"]["balie"], p["users"]["mw"]
    social_called = _issue(p["social"], reception)
    social_waiting = _issue(p["social"], reception)
    own_called = _issue(own_queue, reception)
    own_waiting = _issue(own_queue, reception)
    services.open_desk(desk=p["room1"], actor=mira)
    assert services.call_next(desk=p["room1"], actor=mira).pk == social_called.pk
    services.open_desk(desk=own_desk, actor=balie)
    assert services.call_next(desk=own_desk, actor=balie).pk == own_called.pk
    client.force_login(p["users"]["teamlead"])
    url = reverse("queue:lead", args=["sociaal-huis"])
    for page in (client.get(url), client.get(url, {"fragment": "1"})):
        assert page.status_code == 200
        html = page.content.decode()
        for shown in ("Loket BZ", "Loket 9", balie.get_full_name(), own_called.code):
            assert shown in html
        assert f">{own_waiting.code} (" in html  # in the list of tickets to move
        for hidden in (
            "Sociale Dienst",
            "Spreekkamer",
            mira.get_full_name(),
            social_called.code,
            social_waiting.code,
        ):
            assert hidden not in html, hidden
    # Nor can the lead move a Sociale Dienst ticket by its id (refused and audited).
    response = client.post(url, {"ticket": social_waiting.pk, "to_queue": own_queue.pk})
    assert response.status_code == 403
    assert Ticket.objects.get(pk=social_waiting.pk).queue_id == p["social"].pk
    assert AuditEvent.objects.filter(
        action=Action.PERMISSION_DENIED, object_id=str(social_waiting.pk)
    ).exists()
