"""The staff shell: the menu shows exactly the pages a role opens, and the 403 page says what
is missing and whom to ask."""

from __future__ import annotations

import os

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.urls import reverse

from onthaal.accounts import shell
from onthaal.accounts.models import Membership
from onthaal.audit.models import Action, AuditEvent
from onthaal.organisation.models import Location

DEMO_USERS = ["onthaal", "balie", "mw", "teamlead", "post", "manager", "auditor", "admin"]


@pytest.fixture
def demo(db: None) -> None:
    call_command("load_demo", verbosity=0, stdout=open(os.devnull, "w"))  # noqa: SIM115


def _urls(entry: shell.Entry) -> list[str]:
    if entry.per_location:
        return [reverse(entry.url_name, args=[loc.slug]) for loc in Location.objects.all()]
    return [reverse(entry.url_name)]


@pytest.mark.parametrize("username", DEMO_USERS)
def test_the_menu_shows_exactly_the_pages_the_role_opens(demo, client, username):
    user = get_user_model().objects.get(username=username)
    client.force_login(user)
    page = client.get(reverse("accounts:start"))
    assert page.status_code == 200
    html = page.content.decode()
    menu = html.split('class="staff-nav"', 1)[1].split("</nav>", 1)[0]
    navigation = page.context["shell"]["navigation"]
    assert navigation, "every staff member has at least the start page"
    # Every page the menu offers, a location's page included (a page per location may be
    # offered for some locations only: the planning of a lead's own departments).
    offered = {link.url for link in navigation if link.url}
    offered |= {url for link in navigation for _name, url in link.children}
    opened = 0
    for entry in shell.ENTRIES:
        for url in _urls(entry):
            status = client.get(url).status_code
            if url in offered:
                assert status == 200, f"{username}: {url} is in the menu but answers {status}"
                assert f'href="{url}"' in menu
                opened += 1
            else:
                assert status in (302, 403), f"{username}: {url} answers {status}, not in menu"
                assert f'href="{url}"' not in menu
    assert opened >= 1


def test_the_header_names_the_person_their_roles_and_departments(demo, client):
    user = get_user_model().objects.get(username="mw")
    client.force_login(user)
    html = client.get(reverse("accounts:start")).content.decode()
    header = html.split('class="site-header staff-header"', 1)[1].split("</header>", 1)[0]
    assert user.get_full_name() in header
    membership = Membership.objects.filter(user=user).select_related("department").first()
    assert str(membership.department) in header
    assert reverse("accounts:logout") in header


def test_citizens_pages_carry_no_staff_shell_and_no_api_link(demo, client):
    user = get_user_model().objects.get(username="balie")
    for who in (None, user):
        if who is not None:
            client.force_login(who)
        html = client.get(reverse("hours:index")).content.decode()
        assert "staff-nav" not in html
        assert reverse("accounts:logout") not in html
        assert reverse("swagger-ui") not in html


def test_a_refused_page_says_what_is_missing_and_whom_to_ask(demo, client):
    user = get_user_model().objects.get(username="post")
    client.force_login(user)
    before = AuditEvent.objects.filter(action=Action.PERMISSION_DENIED).count()
    response = client.get(reverse("audit:search"))
    assert response.status_code == 403
    html = response.content.decode()
    assert "staff-nav" in html  # still in the shell, with a way back
    for role in shell.describe(user):
        assert role in html
    admin = get_user_model().objects.get(username="admin")
    assert admin.get_full_name() in html
    assert AuditEvent.objects.filter(action=Action.PERMISSION_DENIED).count() == before + 1


def test_the_e_loket_is_in_the_menu_of_who_handles_requests(demo):
    # The demo accounts of each role (the demo's other staff hold the same roles).
    users = {u.username: u for u in get_user_model().objects.filter(username__in=DEMO_USERS)}
    with_eloket = {
        name
        for name, user in users.items()
        if "eloket" in {link.key for link in shell.navigation(user)}
    }
    assert with_eloket == {"balie", "mw", "teamlead"}


def test_the_api_documentation_is_linked_for_administrators_only(demo, client):
    """Who sets up integrations (API tokens are issued in the admin) finds the API
    documentation in the footer; on the auditor's register and the receptionist's pages it is
    noise."""
    users = get_user_model().objects
    for username, page, linked in [
        ("auditor", reverse("audit:search"), False),
        ("onthaal", reverse("accounts:start"), False),
        ("admin", reverse("accounts:start"), True),
    ]:
        client.force_login(users.get(username=username))
        response = client.get(page)
        assert response.status_code == 200
        footer = response.content.decode().split('class="site-footer"', 1)[1]
        assert (reverse("swagger-ui") in footer) is linked, username
