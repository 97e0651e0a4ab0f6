"""The satisfaction survey: offered on the ticket's page once served, one anonymous answer per
visit (a keyed receipt, not the ticket), bad input refused with a field message, rate-limited,
and counted in the dashboard within the viewer's scope."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import override_settings

from onthaal.catalogue.models import Product
from onthaal.core.errors import NotFound
from onthaal.queue import services as queue
from onthaal.queue.models import Source, Ticket
from onthaal.reporting import survey
from onthaal.reporting.models import SurveyAnswer, SurveyReceipt

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_limits() -> None:
    cache.clear()


def _ticket(z: dict[str, Any], *, serve: bool = True) -> Ticket:
    eid = Product.objects.get(slug="eid-aanvragen")
    ticket = queue.issue_ticket(
        location=z["ac"],
        queue=z["burgerzaken"],
        source=Source.KIOSK,
        actor=z["users"]["onthaal"],
        products=[eid],
    )
    if not serve:
        return ticket
    agent = z["users"]["balie"]
    queue.open_desk(desk=z["balie1"], actor=agent)
    called = queue.call_next(desk=z["balie1"], actor=agent)
    assert called is not None and called.pk == ticket.pk
    started = queue.start(ticket=called, desk=z["balie1"], actor=agent)
    z["traveller"].shift(dt.timedelta(minutes=5))
    return queue.finish(ticket=started, desk=z["balie1"], actor=agent, delivered={eid.pk: 1})


def _token(client: Any, ticket: Ticket) -> str:
    page = client.get(f"/ticket/{ticket.public_id}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    found = re.search(r'action="/survey/([^/"]+)/"', page)
    assert found, "no survey form on the ticket page"
    return found.group(1)


def test_the_ticket_page_offers_the_survey_only_once_served(client, zonnedoorn):
    served = _ticket(zonnedoorn)
    waiting = _ticket(zonnedoorn, serve=False)
    before = client.get(f"/ticket/{waiting.public_id}/", HTTP_ACCEPT_LANGUAGE="en")
    assert 'id="survey"' not in before.content.decode()

    page = client.get(f"/ticket/{served.public_id}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert "How was your visit?" in page
    # Five radio buttons, each with a text label (the face itself is hidden from screen readers).
    assert page.count('type="radio" name="score"') == 5
    for label in ("Very bad", "Bad", "Okay", "Good", "Very good"):
        assert f'<span class="survey-label">{label}</span>' in page
    assert page.count('aria-hidden="true">') >= 5
    assert 'maxlength="500"' in page


def test_a_cancelled_ticket_is_not_offered_the_survey(client, zonnedoorn):
    ticket = _ticket(zonnedoorn, serve=False)
    queue.cancel(ticket=ticket, actor=zonnedoorn["users"]["onthaal"], reason="left")

    page = client.get(f"/ticket/{ticket.public_id}/", HTTP_ACCEPT_LANGUAGE="en")

    assert page.status_code == 200
    assert 'id="survey"' not in page.content.decode()
    assert survey.offer_for_ticket(Ticket.objects.get(pk=ticket.pk)) is None


def test_an_answer_stores_only_the_anonymous_fields(client, zonnedoorn):
    ticket = _ticket(zonnedoorn)
    token = _token(client, ticket)

    response = client.post(
        f"/survey/{token}/", {"score": "4", "comment": "Vlot geholpen"}, HTTP_ACCEPT_LANGUAGE="en"
    )

    assert response.status_code == 200
    assert "Thank you for your answer." in response.content.decode()
    answer = SurveyAnswer.objects.get()
    assert (answer.department_id, answer.location_id, answer.service_day, answer.channel) == (
        zonnedoorn["bz"].pk,
        zonnedoorn["ac"].pk,
        dt.date(2027, 3, 23),
        "walk_in",
    )
    assert (answer.score, answer.comment) == (4, "Vlot geholpen")
    # Nothing personal and no way back to the ticket: exactly these columns, and the receipt
    # is a keyed hash of the visit that holds neither the ticket's id nor its public id.
    columns = {
        c.name
        for c in connection.introspection.get_table_description(
            connection.cursor(), SurveyAnswer._meta.db_table
        )
    }
    assert columns == {
        "id",
        "department_id",
        "location_id",
        "service_day",
        "channel",
        "score",
        "comment",
    }
    receipt = SurveyReceipt.objects.get()
    assert receipt.digest == survey.receipt_for("ticket", ticket.pk)
    assert ticket.public_id not in receipt.digest
    with override_settings(SECRET_KEY="another install's key"):  # keyed: not a plain hash
        assert survey.receipt_for("ticket", ticket.pk) != receipt.digest
    assert [f.name for f in SurveyReceipt._meta.get_fields()] == ["digest"]


def test_a_second_answer_for_the_same_visit_is_refused(client, zonnedoorn):
    ticket = _ticket(zonnedoorn)
    token = _token(client, ticket)
    client.post(f"/survey/{token}/", {"score": "5"})

    again = client.post(f"/survey/{token}/", {"score": "1"}, HTTP_ACCEPT_LANGUAGE="en")
    # The service refuses too, when the page was not asked first (two tabs at once).
    with pytest.raises(survey.Conflict):
        survey.survey_answer(token=token, score=1, comment="", address="192.0.2.1")

    assert again.status_code == 409  # the page says it was rated; nothing is stored
    assert "You have rated this visit." in again.content.decode()
    assert list(SurveyAnswer.objects.values_list("score", flat=True)) == [5]
    assert SurveyReceipt.objects.count() == 1
    page = client.get(f"/ticket/{ticket.public_id}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'name="score"' not in page


def test_bad_input_gives_a_field_message_and_stores_nothing(client, zonnedoorn):
    token = _token(client, _ticket(zonnedoorn))

    no_score = client.post(f"/survey/{token}/", {"comment": "x"}, HTTP_ACCEPT_LANGUAGE="en")
    six = client.post(f"/survey/{token}/", {"score": "6"}, HTTP_ACCEPT_LANGUAGE="en")
    long = client.post(
        f"/survey/{token}/", {"score": "3", "comment": "a" * 501}, HTTP_ACCEPT_LANGUAGE="en"
    )

    assert (no_score.status_code, six.status_code, long.status_code) == (400, 400, 400)
    assert "Choose one of the five faces." in six.content.decode()
    assert "Keep the comment to 500 characters" in long.content.decode()
    assert SurveyAnswer.objects.count() == 0
    assert SurveyReceipt.objects.count() == 0


def test_a_forged_or_foreign_token_is_refused(client, zonnedoorn):
    served = _ticket(zonnedoorn)
    not_served = _ticket(zonnedoorn, serve=False)
    token = _token(client, served)

    forged = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    assert client.post(f"/survey/{forged}/", {"score": "5"}).status_code == 404
    # A token signed for a ticket that was not served (or for another kind of visit).
    for value in (survey.token_for("ticket", not_served.pk), survey.token_for("appointment", 1)):
        assert client.post(f"/survey/{value}/", {"score": "5"}).status_code == 404
    assert SurveyAnswer.objects.count() == 0


def test_a_link_expires_after_two_weeks(client, zonnedoorn):
    token = _token(client, _ticket(zonnedoorn))
    zonnedoorn["traveller"].shift(dt.timedelta(days=15))

    assert client.post(f"/survey/{token}/", {"score": "5"}).status_code == 404
    with pytest.raises(NotFound):
        survey.visit_for(token)


def test_answers_are_rate_limited_per_address(client, zonnedoorn, monkeypatch):
    monkeypatch.setattr(survey, "PER_ADDRESS", 2)
    tokens = [_token(client, _ticket(zonnedoorn)) for _ in range(3)]

    statuses = [client.post(f"/survey/{t}/", {"score": "3"}).status_code for t in tokens]

    assert statuses == [200, 200, 429]
    assert SurveyAnswer.objects.count() == 2


def test_the_dashboard_figure_equals_a_count_within_the_scope(client, zonnedoorn):
    z = zonnedoorn
    day = dt.date(2027, 3, 10)
    rows = [
        (z["bz"], z["ac"], 5),
        (z["bz"], z["ac"], 4),
        (z["bz"], z["ac"], 1),
        (z["sd"], z["sh"], 2),  # the OCMW's confidential department: not for the manager
    ]
    for department, location, score in rows:
        SurveyAnswer.objects.create(
            department=department,
            location=location,
            service_day=day,
            channel="walk_in",
            score=score,
        )
    SurveyAnswer.objects.create(  # outside the period
        department=z["bz"],
        location=z["ac"],
        service_day=dt.date(2026, 1, 5),
        channel="walk_in",
        score=3,
    )
    client.force_login(z["users"]["manager"])

    response = client.get(
        "/staff/reports/", {"start": "2027-03-01", "end": "2027-03-22"}, HTTP_ACCEPT_LANGUAGE="en"
    )

    figure = next(f for f in response.context["report"].figures if f.key == "survey")
    expected = SurveyAnswer.objects.filter(
        service_day__range=(dt.date(2027, 3, 1), dt.date(2027, 3, 22)),
        department__in=[z["bz"]],
    ).count()
    assert expected == 3
    assert figure.rows == [["Burgerzaken", "3", "1", "0", "0", "1", "1", "3.3", "67%"]]
    assert figure.summary.startswith(f"{expected} answers: on average 3.3 out of 5")
    page = response.content.decode()
    assert 'id="figure-survey"' in page


def test_the_dashboard_lists_the_comments_within_the_scope_latest_first(client, zonnedoorn):
    z = zonnedoorn
    for day, department, location, score, comment in [
        (dt.date(2027, 3, 10), z["bz"], z["ac"], 5, "Snel geholpen, dank u"),
        (dt.date(2027, 3, 12), z["bz"], z["ac"], 2, "Lang gewacht <b>bij</b> balie 3"),
        (dt.date(2027, 3, 11), z["bz"], z["ac"], 4, ""),  # no comment: not listed
        (dt.date(2027, 3, 11), z["sd"], z["sh"], 1, "Vertrouwelijk"),  # not the manager's
        (dt.date(2026, 1, 5), z["bz"], z["ac"], 3, "Buiten de periode"),
    ]:
        SurveyAnswer.objects.create(
            department=department,
            location=location,
            service_day=day,
            channel="walk_in",
            score=score,
            comment=comment,
        )
    client.force_login(z["users"]["manager"])

    response = client.get(
        "/staff/reports/", {"start": "2027-03-01", "end": "2027-03-22"}, HTTP_ACCEPT_LANGUAGE="en"
    )

    listed = [(c.day, c.department, c.score, c.text) for c in response.context["report"].comments]
    assert listed == [
        (dt.date(2027, 3, 12), "Burgerzaken", 2, "Lang gewacht <b>bij</b> balie 3"),
        (dt.date(2027, 3, 10), "Burgerzaken", 5, "Snel geholpen, dank u"),
    ]
    page = response.content.decode()
    assert "Lang gewacht &lt;b&gt;bij&lt;/b&gt; balie 3" in page  # escaped, never markup
    assert "Vertrouwelijk" not in page and "Buiten de periode" not in page
