"""The manual's Markdown: tasks with their steps and screenshots, rendering, search."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings

from onthaal.help import manual

TEXT = """# Handleiding voor de test

Inleiding.

## Een ticket uitgeven {#ticket}

Wanneer en waarom.

1. Kies de **Wachtrij**.
   ![De wachtrij](shot:ticket-1)
2. Klik op **Ticket uitgeven**.
   ![De knop](shot:ticket-2)

Daarna wacht de bezoeker.

## Een bezoeker doorverwijzen {#handoff}

1. Klik op [Overdragen](#x).
"""


def test_parse_finds_the_tasks_their_steps_and_screenshots():
    parsed = manual.parse(TEXT, role="receptionist", lang="nl")
    assert parsed.title == "Handleiding voor de test"
    assert parsed.intro == "Inleiding."
    assert [t.id for t in parsed.tasks] == ["ticket", "handoff"]
    steps = parsed.tasks[0].steps
    assert [(s.number, s.shot) for s in steps] == [(1, "ticket-1"), (2, "ticket-2")]
    assert steps[1].text == "Klik op Ticket uitgeven."
    assert parsed.tasks[1].steps[0].text == "Klik op Overdragen."
    assert parsed.tasks[1].steps[0].shot is None


def test_render_points_screenshots_at_the_build_or_leaves_them_out():
    html = manual.render(TEXT, lambda name: f"/files/{name}.png" if name == "ticket-1" else None)
    assert (
        '<img alt="De wachtrij" class="manual-shot" loading="lazy" src="/files/ticket-1.png"'
        in html
    )
    assert "shot:" not in html  # ticket-2 is not built: no broken image
    assert '<h2 id="ticket">Een ticket uitgeven</h2>' in html


def test_search_ignores_case_and_accents_and_needs_every_word():
    parsed = manual.parse(TEXT.replace("Wanneer", "Création"), role="receptionist", lang="nl")
    assert [h.task.id for h in manual.search([parsed], "creation TICKET")] == ["ticket"]
    assert manual.search([parsed], "ticket doorverwijzen") == []
    assert [h.task.id for h in manual.search([parsed], "bezoeker")] == ["handoff", "ticket"]


def test_every_role_has_a_manual_in_dutch_and_french_whose_steps_name_a_screenshot():
    source = Path(settings.MANUAL_SOURCE_DIR)
    for lang in manual.LANGUAGES:
        manuals = manual.load_all(source, lang=lang)
        assert [m.role for m in manuals] == list(manual.ROLES), lang
        for document in manuals:
            assert document.tasks, (lang, document.role)
            for task in document.tasks:
                assert task.steps, (lang, task.id)
                assert all(step.shot for step in task.steps), (lang, task.id)


def test_the_french_manual_has_the_same_tasks_and_screenshots_as_the_dutch():
    source = Path(settings.MANUAL_SOURCE_DIR)
    for role in manual.ROLES:
        nl, fr = (manual.load(source, lang=lang, role=role) for lang in ("nl", "fr"))
        assert nl and fr
        assert [(t.id, [s.shot for s in t.steps]) for t in nl.tasks] == [
            (t.id, [s.shot for s in t.steps]) for t in fr.tasks
        ], role
