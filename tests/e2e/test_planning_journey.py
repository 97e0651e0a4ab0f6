"""The staff planning journey in Chromium: the team lead opens next week's coverage board,
approves Sofie's telework request for the late Thursday although it opens a gap (warned
first, then confirmed), proposes their department's roster and publishes it; a staff member
then sees their week. Every control used is reached with the keyboard, and axe-core finds 0 violations on
every planning page visited (board, the warned approval, the proposal, the published roster,
my week)."""

from __future__ import annotations

import datetime as dt

import pytest
from axe_playwright_python.sync_playwright import Axe

from tests.e2e.conftest import login, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]
BOARD = "/staff/planning/administratief-centrum/"


def _accessible(page, name: str) -> None:
    results = Axe().run(page)
    screenshot(page, f"planning-{name}")
    assert results.violations_count == 0, f"{name}:\n{results.generate_report()}"


def _tab_to(page, locator, limit: int = 400) -> None:
    """Press Tab from the top of the page until ``locator`` has the focus: it is reachable
    with the keyboard alone, in the page's order."""
    handle = locator.element_handle()
    page.evaluate("document.activeElement && document.activeElement.blur()")
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("el => el === document.activeElement", handle):
            return
    raise AssertionError(f"{locator} not reached with Tab in {limit} presses")


@pytest.fixture
def next_week(demo):
    """Next week's Monday (Sofie's request is for its Thursday), with the request opening a
    gap whatever the demo's regimes give: Burgerzaken's other people are away that Thursday
    except Bart."""
    from django.contrib.auth import get_user_model

    from onthaal.core import clock
    from onthaal.hours.compute import to_instant
    from onthaal.staffing.models import Absence, AbsenceKind

    today = clock.today()
    monday = today + dt.timedelta(days=7 - today.weekday())
    thursday = monday + dt.timedelta(days=3)
    away = get_user_model().objects.filter(
        username__in=["karim", "lien", "nadia", "ruben", "teamlead"]
    )
    for user in away:
        Absence.objects.create(
            user=user,
            kind=AbsenceKind.TRAINING,
            start=to_instant(thursday, dt.time(0), clock.BRUSSELS),
            end=to_instant(thursday + dt.timedelta(days=1), dt.time(0), clock.BRUSSELS),
            note="e2e",
            created_at=clock.now(),
        )
    return monday


def test_the_lead_approves_a_warned_request_proposes_and_publishes_and_staff_see_their_week(
    next_week, page_factory, live_server
):
    from onthaal.staffing.models import Roster, RosterAssignment, StaffRequest

    week = next_week.isoformat()
    page = page_factory()
    page.set_default_timeout(60_000)
    login(page, live_server.url, "teamlead")
    response = page.goto(f"{live_server.url}{BOARD}?week={week}")
    assert response.status == 200
    assert page.locator("h1").inner_text().startswith("Personeelsplanning")
    # The long page starts with its table of contents.
    contents = page.locator("nav.planning-contents a")
    assert contents.count() >= 5
    _accessible(page, "board")

    request = page.locator("#requests li", has_text="Sofie")
    assert request.locator(".gap-warning").count() == 1  # the impact, before deciding
    approve = request.get_by_role("button", name="Goedkeuren", exact=True)
    _tab_to(page, approve)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    warning = page.locator(".messages, [role=status], [role=alert]").filter(
        has_text="nog niet goedgekeurd"
    )
    assert warning.count() >= 1, page.locator("main").inner_text()[:2000]
    # The warning names the first hours; the board below lists them all.
    assert "en nog" in warning.first.inner_text()
    sofie_request = StaffRequest.objects.get(user__username="sofie")
    assert sofie_request.status == "pending"
    _accessible(page, "approval-warned")

    request = page.locator("#requests li", has_text="Sofie")
    confirm = request.get_by_label("Goedkeuren ondanks het gat")
    _tab_to(page, confirm)
    page.keyboard.press("Space")
    assert confirm.is_checked()
    page.keyboard.press("Tab")  # the Approve button follows the box
    with page.expect_navigation():
        page.keyboard.press("Enter")
    sofie_request.refresh_from_db()
    assert sofie_request.status == "approved" and sofie_request.gap
    assert page.locator("#requests li", has_text="Sofie").count() == 0

    propose = page.get_by_role("button", name="Stel een rooster voor")
    _tab_to(page, propose)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    # Rosters are per department: Tom proposed Burgerzaken's, and sees all its rows (the
    # front shifts at its desks, its people's back office and telework).
    roster = Roster.objects.get(location__slug="administratief-centrum", week=next_week)
    assert roster.status == Roster.Status.DRAFT and roster.department.slug == "burgerzaken"
    assert page.locator("#roster table tbody tr").count() == roster.assignments.count() > 0
    # Sofie teleworks on the Thursday she asked for: no front shift that day.
    thursday = next_week + dt.timedelta(days=3)
    assert not RosterAssignment.objects.filter(
        roster=roster,
        user__username="sofie",
        day=thursday,
        place__in=["desk", "quick", "reception"],
    ).exists()
    _accessible(page, "proposal")

    publish = page.get_by_role("button", name="Publiceren")
    _tab_to(page, publish)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    roster.refresh_from_db()
    assert roster.status == Roster.Status.PUBLISHED
    assert page.locator("#roster").get_by_text("gepubliceerd").count() >= 1
    _accessible(page, "published")

    # A staff member of the roster sees their week.
    staff = page_factory()
    staff.set_default_timeout(60_000)
    login(staff, live_server.url, "balie")
    staff.goto(f"{live_server.url}/staff/planning/mine/?week={week}")
    rows = staff.locator("table tbody tr")
    assert rows.count() >= 6
    planned = RosterAssignment.objects.filter(roster=roster, user__username="balie")
    assert planned.exists()
    text = staff.locator("table").inner_text()
    assert "Administratief Centrum" in text or roster.location.name in text
    days_planned = {a.day for a in planned}
    assert rows.count() == planned.count() + 6 - len(days_planned)
    first = planned.order_by("day", "start").first()
    assert f"{first.start:%H:%M}\u2013{first.end:%H:%M}" in text
    _accessible(staff, "my-week")
