"""The waiting-room screen as it hangs in the hall, on the two screens municipalities buy
(1920 x 1080 and 1366 x 768), in Dutch and French: the header names the organisation and the
location from the data, every queue's label stays on one line (a name too long for its column
ends in an ellipsis), the page fits the screen without scrolling, and axe finds nothing.
Measured after the page's own script has drawn a call (the stream's path, not only the
server's first render). Screenshots: test-artifacts/screenshots/screen-layout-*.png."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe

from tests.e2e.conftest import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

LONG = "Omgeving, ruimtelijke ordening en milieuvergunningen"

# Per queue label: its text, the height of its text box (the cell without its padding), its
# line height, and whether its text is cut (wider than the cell).
LABELS = """els => els.map(e => {
  const s = getComputedStyle(e);
  const inner = e.clientHeight - parseFloat(s.paddingTop) - parseFloat(s.paddingBottom);
  return {text: e.textContent.trim(), inner, line: parseFloat(s.lineHeight),
          cut: e.scrollWidth > e.clientWidth};
})"""


@pytest.mark.parametrize(("width", "height"), [(1920, 1080), (1366, 768)])
@pytest.mark.parametrize("locale", ["nl-BE", "fr-BE"])
def test_the_screen_names_its_organisation_and_keeps_each_label_on_one_line(
    demo, asgi_server, page_factory, width, height, locale
):
    from django.contrib.auth import get_user_model

    from onthaal.organisation.models import Desk, Location, Organisation
    from onthaal.queue import services
    from onthaal.queue.models import Queue

    # Another administration's names: the header reads them from the data.
    municipality = Organisation.objects.get(kind=Organisation.Kind.MUNICIPALITY)
    municipality.name = "Stad Zonnebeke-Oost"
    municipality.save()
    location = Location.objects.get(slug="administratief-centrum")
    Queue.objects.filter(location=location, prefix="O").update(name=LONG)
    balie = get_user_model().objects.get(username="balie")
    for queue in Queue.objects.filter(location=location):
        for _ in range(2):
            services.issue_ticket(
                location=location, queue=queue, source="reception", actor=balie, check_hours=False
            )
    desks = [Desk.objects.get(location=location, name=f"Balie {n}") for n in (1, 2)]
    for desk in desks:
        services.open_desk(desk=desk, actor=balie)
    services.call_next(desk=desks[0], actor=balie)

    screen = page_factory(width, height, locale=locale)
    screen.goto(f"{asgi_server}/screen/administratief-centrum/")
    screen.wait_for_selector("body[data-link=live]")
    called = services.call_next(desk=desks[1], actor=balie)
    assert called is not None
    screen.wait_for_function(
        f"document.querySelector('#now .now-code').textContent === '{called.code}'"
    )

    assert screen.locator("#screen-organisation").inner_text() == "Stad Zonnebeke-Oost"
    assert screen.locator("h1").inner_text() == "Administratief Centrum"
    assert "Zonnedoorn" not in screen.locator(".screen-head").inner_text()
    labels = screen.eval_on_selector_all("#queues .queue-label", LABELS)
    assert [label["text"] for label in labels] == ["B Burgerzaken", f"O {LONG}", "S Snelbalie"]
    for label in labels:
        assert label["inner"] < 1.5 * label["line"], f"{label['text']} takes two lines"
    assert [label["cut"] for label in labels] == [False, True, False]
    # Large from 5 m: the number called at least a tenth of the screen's width high.
    assert screen.eval_on_selector(".now-code", "e => e.getBoundingClientRect().height") > (
        width / 10
    )
    # All of it on the screen: nothing below the fold, nothing to the side.
    overflow = screen.evaluate(
        "[document.documentElement.scrollWidth - innerWidth,"
        " document.documentElement.scrollHeight - innerHeight]"
    )
    assert overflow == [0, 0]
    results = Axe().run(screen)
    screenshot(screen, f"screen-layout-{width}x{height}-{locale}")
    assert results.violations_count == 0, results.generate_report()
