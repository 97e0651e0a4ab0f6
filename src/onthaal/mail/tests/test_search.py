"""Search over the mail register (``mail/search.py``, ``selectors.search_items``): the text
condition written by hand for PostgreSQL and SQLite finds what the ORM finds, for every reader,
within what that reader may see; a search with more hits than the count's cap says so, lists
the newest first, and still counts nothing the reader may not see."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.db.models import F
from django.urls import reverse

from onthaal.audit.models import AuditEvent
from onthaal.mail import search, selectors, services
from onthaal.mail.models import Direction, MailItem

pytestmark = pytest.mark.django_db

# No word is the start of another, so that SQLite's prefix match, PostgreSQL's Dutch stemming
# and a plain comparison of words agree.
WORDS = ["parkeerkaart", "bezwaar", "riolering", "kinderopvang", "geluidshinder"]


def _register(world: Any, department: Any, subject: str, **extra: Any) -> MailItem:
    return services.register_item(
        actor=world.clerk,
        direction=Direction.IN,
        department=department,
        document_type=world.letter,
        subject=subject,
        **extra,
    )


@pytest.fixture
def register(world: Any) -> list[MailItem]:
    """Items with two words each in three departments (the Sociale Dienst's confidential);
    one Sociale Dienst item is granted to a Burgerzaken desk agent."""
    items = []
    for n in range(12):
        department = [world.burgerzaken, world.omgeving, world.sociale_dienst][n % 3]
        subject = f"{WORDS[n % 5]} {WORDS[(n * 2 + 1) % 5]} nummer{n}"
        handler = world.social_worker if department == world.sociale_dienst else None
        items.append(_register(world, department, subject, handler=handler))
    granted = items[2]  # Sociale Dienst
    services.grant_access(
        actor=world.social_worker, item=granted, grantee=world.agent, reason="Samen opvolgen"
    )
    return items


def _orm(reader: Any, query: str) -> list[MailItem]:
    """The ORM's answer: the items the reader may see whose subject has every word."""
    wanted = query.split()
    return [
        item
        for item in selectors.visible_items(reader).order_by("-registered_at", "-pk")
        if all(word in item.subject.split() for word in wanted)
    ]


@pytest.mark.parametrize("reader", ["agent", "clerk", "manager", "social_worker", "lead"])
def test_the_text_condition_finds_what_the_orm_finds_for_every_reader(world, register, reader):
    user = getattr(world, reader)
    for query in [*WORDS, "parkeerkaart bezwaar", "riolering kinderopvang", "nummer7"]:
        page = selectors.search_items(user, selectors.Filters(query=query), limit=100)
        expected = _orm(user, query)
        assert page.total == len(expected), (reader, query)
        assert not page.more and page.ranked
        assert {i.pk for i in page.items} == {i.pk for i in expected}, (reader, query)


@pytest.mark.parametrize("reader", ["agent", "clerk", "social_worker"])
def test_ranked_pages_are_in_the_order_the_database_ranks(world, register, reader):
    """The ranked page is ordered in Python from the hits' rank and date
    (``selectors._ranked_page``): page after page, the order the database gives to
    ORDER BY rank DESC, registered_at DESC, pk DESC."""
    user = getattr(world, reader)
    for query in [*WORDS, "parkeerkaart bezwaar", "geluidshinder"]:
        expected = list(
            selectors.visible_items(user)
            .filter(search.matches(query))
            .annotate(rank=search.rank(query))
            .order_by(F("rank").desc(), "-registered_at", "-pk")
            .values_list("pk", flat=True)
        )
        pages = [
            selectors.search_items(user, selectors.Filters(query=query), offset=offset, limit=2)
            for offset in range(0, len(expected) + 2, 2)
        ]
        assert all(page.ranked and page.total == len(expected) for page in pages)
        assert [i.pk for page in pages for i in page.items] == expected, (reader, query)


def test_a_grant_is_found_beside_the_department(world, register):
    """A reader with a grant finds the granted item among their department's by a word, and
    loses it when the grant is revoked."""
    granted = register[2]  # Sociale Dienst's, granted to the agent
    word = granted.subject.split()[0]
    found = selectors.search_items(world.agent, selectors.Filters(query=word), limit=100)
    assert granted.pk in {i.pk for i in found.items}
    services.revoke_access(actor=world.social_worker, grant=granted.grants.get())
    found = selectors.search_items(world.agent, selectors.Filters(query=word), limit=100)
    assert granted.pk not in {i.pk for i in found.items}
    assert {i.department for i in found.items} == {world.burgerzaken}


def test_who_sees_what_the_orm_path_is_held_to(world, register):
    """The reference itself, by department: so that both paths are not wrong together."""

    def departments(user: Any) -> set[str]:
        return {i.department.name for i in selectors.search_items(user, selectors.Filters()).items}

    assert departments(world.agent) == {"Burgerzaken", "Sociale Dienst"}  # one item granted
    assert len(selectors.search_items(world.agent, selectors.Filters()).items) == 4 + 1
    assert departments(world.clerk) == {"Burgerzaken", "Omgeving"}  # never the confidential
    assert departments(world.social_worker) == {"Sociale Dienst"}


def test_a_register_number_finds_its_item(world, register):
    item = register[0]  # Burgerzaken's; the OCMW's own register has the same number
    for query in (item.register_number, item.register_number.lower()):
        page = selectors.search_items(world.clerk, selectors.Filters(query=query))
        assert [i.pk for i in page.items] == [item.pk]
    granted = selectors.search_items(world.agent, selectors.Filters(query=item.register_number))
    assert {i.pk for i in granted.items} == {item.pk, register[2].pk}


def test_more_hits_than_the_cap_say_more_and_list_the_newest_first(world, monkeypatch):
    monkeypatch.setattr(selectors, "COUNT_AT_MOST", 3)
    mine = [_register(world, world.burgerzaken, f"bezwaar brief {n}") for n in range(5)]
    # Newer, and matching too, but confidential: never counted, never shown to Burgerzaken.
    for n in range(4):
        _register(world, world.sociale_dienst, f"bezwaar sociaal {n}", handler=world.social_worker)

    page = selectors.search_items(world.agent, selectors.Filters(query="bezwaar"), limit=2)

    assert (page.total, page.more, page.ranked) == (3, True, False)
    assert [i.pk for i in page.items] == [mine[4].pk, mine[3].pk]  # the newest first
    second = selectors.search_items(
        world.agent, selectors.Filters(query="bezwaar"), offset=2, limit=2
    )
    assert [i.pk for i in second.items] == [mine[2].pk, mine[1].pk]
    event = AuditEvent.objects.filter(action="search").order_by("-pk")[1]
    assert event.details["hits"] == 3 and event.details["more_hits"] is True
    assert event.details["items"] == [mine[4].register_number, mine[3].register_number]
    assert event.details["ids"] == [str(mine[4].public_id), str(mine[3].public_id)]


def test_hits_the_reader_may_not_see_do_not_reach_the_cap(world, monkeypatch):
    monkeypatch.setattr(selectors, "COUNT_AT_MOST", 3)
    mine = [_register(world, world.burgerzaken, f"bezwaar brief {n}") for n in range(3)]
    for n in range(6):
        _register(world, world.sociale_dienst, f"bezwaar sociaal {n}", handler=world.social_worker)

    page = selectors.search_items(world.agent, selectors.Filters(query="bezwaar"))

    assert (page.total, page.more, page.ranked) == (3, False, True)
    assert {i.pk for i in page.items} == {i.pk for i in mine}
    event = AuditEvent.objects.filter(action="search").latest("pk")
    assert event.details["hits"] == 3 and "more_hits" not in event.details


def test_the_api_and_the_page_say_more_than_the_cap(client, world, monkeypatch):
    monkeypatch.setattr(selectors, "COUNT_AT_MOST", 2)
    for n in range(3):
        _register(world, world.burgerzaken, f"riolering {n}")
    client.force_login(world.agent)

    body = client.get("/api/v1/mail/", {"q": "riolering"}).json()
    assert (body["count"], body["more"], len(body["results"])) == (2, True, 3)
    assert client.get("/api/v1/mail/", {"q": "riolering 1"}).json()["more"] is False

    page = client.get(reverse("mail:search"), {"q": "riolering"}, HTTP_ACCEPT_LANGUAGE="nl")
    assert "Meer dan 2 poststukken gevonden" in page.content.decode()


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="the words-as-constant statement is PostgreSQL's; SQLite searches with FTS5 MATCH and a bound parameter",
)
def test_the_words_are_a_constant_of_the_statement(world, register):
    """PostgreSQL plans each search for its own words (``search._tsquery``): they are in the
    statement, quoted, not a parameter that a prepared statement's generic plan would guess."""
    for make in (search.matches, search.rank):
        expression = make("bezwaar' OR '1")
        assert expression.params == []
        assert "websearch_to_tsquery('onthaal_dutch', 'bezwaar OR 1')" in expression.sql
    page = selectors.search_items(world.agent, selectors.Filters(query="bezwaar' OR '1"))
    assert {i.department for i in page.items} <= {world.burgerzaken, world.sociale_dienst}
