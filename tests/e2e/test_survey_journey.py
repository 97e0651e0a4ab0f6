"""The satisfaction survey on the visitor's phone, in Chromium: after service the ticket's page
offers five faces and a comment; sending without a score shows the field's message; a score
and a comment are stored as one anonymous answer and thanked. axe-core finds 0 violations on
the form, its error state and the thanks."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe

from tests.e2e.conftest import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def _accessible(page, name: str) -> None:
    results = Axe().run(page)
    screenshot(page, name)
    assert results.violations_count == 0, f"{name}:\n{results.generate_report()}"


def _served_ticket():
    from django.contrib.auth import get_user_model

    from onthaal.organisation.models import Desk
    from onthaal.queue import services
    from onthaal.queue.models import Queue, Source

    users = get_user_model().objects
    desk = Desk.objects.get(name="Balie 1", location__slug="administratief-centrum")
    queue = Queue.objects.get(location=desk.location, prefix="B")
    agent = users.get(username="balie")
    ticket = services.issue_ticket(
        location=desk.location,
        queue=queue,
        source=Source.RECEPTION,
        actor=users.get(username="onthaal"),
        check_hours=False,
    )
    services.open_desk(desk=desk, actor=agent)
    called = services.call_next(desk=desk, actor=agent)
    assert called is not None and called.pk == ticket.pk
    started = services.start(ticket=called, desk=desk, actor=agent)
    return services.finish(ticket=started, desk=desk, actor=agent)


def test_the_visitor_rates_the_visit_on_the_phone(demo, asgi_server, page_factory):
    from onthaal.reporting.models import SurveyAnswer

    ticket = _served_ticket()
    phone = page_factory(390, 844)
    phone.goto(f"{asgi_server}/ticket/{ticket.public_id}/")
    form = phone.locator("#survey form")
    form.wait_for()
    assert phone.locator("#survey input[type=radio][name=score]").count() == 5
    _accessible(phone, "survey-phone-form")

    form.locator("button[type=submit]").click()  # no score chosen
    phone.wait_for_load_state()
    assert phone.locator("#survey-score-error").is_visible()
    assert phone.locator("#survey fieldset[aria-invalid=true]").count() == 1
    assert SurveyAnswer.objects.count() == 0
    _accessible(phone, "survey-phone-error")

    phone.locator("#survey label.survey-score").nth(3).click()  # "goed"
    phone.fill("#survey-comment", "Vriendelijk en snel geholpen")
    phone.locator("#survey form button[type=submit]").click()
    phone.wait_for_load_state()
    assert phone.locator("#survey [role=status]").count() == 1
    _accessible(phone, "survey-phone-thanks")

    answer = SurveyAnswer.objects.get()
    assert (answer.score, answer.comment, answer.channel) == (
        4,
        "Vriendelijk en snel geholpen",
        "walk_in",
    )
    assert answer.department_id == ticket.queue.department_id
