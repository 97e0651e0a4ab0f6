"""The help pages: the header's help link opens the manual's section about the page, the
manual of each role renders with its tasks, search works on the server, built files are
served (and nothing else), and a practice environment carries its banner on every page."""

from __future__ import annotations

import os

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.urls import reverse

from onthaal.help import manual, sections
from onthaal.help.views import role_slug


@pytest.fixture
def demo(db: None) -> None:
    call_command("load_demo", verbosity=0, stdout=open(os.devnull, "w"))  # noqa: SIM115


def _login(client, username: str) -> None:
    client.force_login(get_user_model().objects.get(username=username))


def _help_href(html: str) -> str:
    header = html.split('class="site-header staff-header"', 1)[1].split("</header>", 1)[0]
    return header.split('help-link" href="', 1)[1].split('"', 1)[0]


@pytest.mark.parametrize(
    ("username", "url", "expected"),
    [
        ("onthaal", "/staff/reception/sociaal-huis/", "/staff/help/receptionist/#reception-ticket"),
        ("balie", "/staff/desk/", "/staff/help/desk-agent/#desk-open"),
        ("mw", "/staff/desk/", "/staff/help/social-worker/#social-handoff"),
        ("post", "/staff/mail/intake/", "/staff/help/mail-clerk/#mail-register"),
        ("auditor", "/staff/audit/", "/staff/help/auditor/#audit-search"),
        ("manager", "/staff/reports/", "/staff/help/manager/#manager-figures"),
        ("teamlead", "/staff/reports/", "/staff/help/team-lead/#lead-figures"),
        ("teamlead", "/staff/", "/staff/help/team-lead/"),
    ],
)
def test_the_help_link_opens_the_section_about_the_page_for_the_role(
    demo, client, username, url, expected
):
    _login(client, username)
    page = client.get(url)
    assert page.status_code == 200
    assert _help_href(page.content.decode()) == expected
    assert client.get(expected.split("#")[0]).status_code == 200


def test_every_section_the_help_links_name_exists_in_both_languages(settings):
    from pathlib import Path

    source = Path(settings.MANUAL_SOURCE_DIR)
    for options in sections.SECTIONS.values():
        for role, task in options:
            for lang in manual.LANGUAGES:
                document = manual.load(source, lang=lang, role=role)
                assert document is not None, (lang, role)
                assert not task or document.task(task), (lang, role, task)


def test_each_role_manual_renders_its_tasks_in_the_language_of_the_page(demo, client):
    _login(client, "balie")
    for role in manual.ROLES:
        page = client.get(reverse("help:role", args=[role_slug(role)]))
        assert page.status_code == 200, role
    nl = client.get("/staff/help/desk-agent/").content.decode()
    assert '<h2 id="desk-serve">Een bezoeker oproepen en helpen</h2>' in nl
    client.cookies["django_language"] = "fr"
    fr = client.get("/staff/help/desk-agent/").content.decode()
    assert 'id="desk-serve"' in fr and "Een bezoeker oproepen" not in fr
    assert client.get("/staff/help/no-such-role/").status_code == 404


def test_search_finds_tasks_of_every_role_own_roles_first(demo, client):
    _login(client, "mw")
    page = client.get(reverse("help:index"), {"q": "overdragen"})
    assert page.status_code == 200
    hits = page.context["hits"]
    assert hits and hits[0]["url"] == "/staff/help/receptionist/#reception-handoff"
    page = client.get(reverse("help:index"), {"q": "notitie"})
    assert page.context["hits"][0]["url"].startswith("/staff/help/social-worker/")
    empty = client.get(reverse("help:index"), {"q": "xyzzy"})
    assert empty.context["hits"] == []
    assert "Geen taak bevat al deze woorden" in empty.content.decode()


def test_help_needs_a_login(demo, client):
    assert client.get(reverse("help:index")).status_code == 302
    assert client.get("/staff/help/receptionist/").status_code == 302


def test_built_files_are_served_and_nothing_outside_the_build(demo, client, settings, tmp_path):
    settings.MANUAL_BUILD_DIR = tmp_path / "manual"
    (tmp_path / "manual" / "shots").mkdir(parents=True)
    (tmp_path / "manual" / "shots" / "desk-serve-1.png").write_bytes(b"\x89PNG fake")
    (tmp_path / "secret.png").write_bytes(b"\x89PNG secret")
    (tmp_path / "manual" / "notes.txt").write_text("not a manual file")
    _login(client, "balie")
    shot = client.get("/staff/help/files/shots/desk-serve-1.png")
    assert shot.status_code == 200 and shot["Content-Type"] == "image/png"
    assert client.get("/staff/help/files/../secret.png").status_code == 404
    assert client.get("/staff/help/files/shots/%2e%2e/%2e%2e/secret.png").status_code == 404
    assert client.get("/staff/help/files/notes.txt").status_code == 404
    # A video is served in parts, so that a player can seek in it.
    (tmp_path / "manual" / "videos").mkdir()
    (tmp_path / "manual" / "videos" / "desk-serve.webm").write_bytes(bytes(range(100)))
    whole = client.get("/staff/help/files/videos/desk-serve.webm")
    assert whole.status_code == 200 and whole["Accept-Ranges"] == "bytes"
    part = client.get("/staff/help/files/videos/desk-serve.webm", HTTP_RANGE="bytes=10-19")
    assert part.status_code == 206 and part.content == bytes(range(10, 20))
    assert part["Content-Range"] == "bytes 10-19/100"
    tail = client.get("/staff/help/files/videos/desk-serve.webm", HTTP_RANGE="bytes=95-")
    assert tail.content == bytes(range(95, 100)) and tail["Content-Range"] == "bytes 95-99/100"
    late = client.get("/staff/help/files/videos/desk-serve.webm", HTTP_RANGE="bytes=200-")
    assert late.status_code == 416 and late["Content-Range"] == "bytes */100"
    # The page shows the screenshot that was built and leaves out those that were not.
    html = client.get("/staff/help/desk-agent/").content.decode()
    assert 'src="/staff/help/files/shots/desk-serve-1.png"' in html
    assert "desk-serve-2" not in html and "shot:" not in html


def test_release_notes_are_linked_from_the_help_page(demo, client):
    _login(client, "onthaal")
    index = client.get(reverse("help:index")).content.decode()
    assert reverse("help:release-notes") in index
    notes = client.get(reverse("help:release-notes"))
    assert notes.status_code == 200 and "Versie 0.1.0" in notes.content.decode()


def test_the_inline_hints_link_to_their_task(demo, client):
    from onthaal.queue import services
    from onthaal.queue.models import Queue, Source

    queue = Queue.objects.select_related("location").get(location__slug="sociaal-huis", prefix="A")
    services.issue_ticket(
        location=queue.location, queue=queue, source=Source.RECEPTION, actor=None, check_hours=False
    )
    _login(client, "onthaal")
    html = client.get("/staff/reception/sociaal-huis/").content.decode()
    assert 'class="hint"' in html and "/staff/help/receptionist/#reception-handoff" in html


def test_a_practice_environment_shows_its_banner_on_every_page(demo, client, settings):
    settings.PRACTICE = True
    assert "OEFENOMGEVING" in client.get("/staff/login/").content.decode()
    assert "OEFENOMGEVING" in client.get("/locations/").content.decode()
    _login(client, "admin")
    assert "OEFENOMGEVING" in client.get("/admin/").content.decode()
    settings.PRACTICE = False
    assert "OEFENOMGEVING" not in client.get("/locations/").content.decode()
