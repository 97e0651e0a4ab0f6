"""The staff manual: Markdown files in the repository (``docs/manual/<lang>/<role>.md``), one
per role and language, written as tasks. Pure Python (no Django), so that the help pages and
``make manual`` read the same files the same way.

A manual file looks like this::

    # Handleiding voor de onthaalmedewerker

    A short introduction.

    ## Een ticket uitgeven {#reception-ticket}

    One or two sentences: when and why.

    1. Kies de wachtrij bij **Wachtrij**.
       ![De keuze van de wachtrij](shot:reception-ticket-1)
    2. Klik op **Ticket uitgeven**.
       ![De knop Ticket uitgeven](shot:reception-ticket-2)

Each ``## `` heading is a task with an id; its numbered list items are the steps, and a step
names the screenshot it refers to with ``shot:NAME``. ``make manual`` takes those screenshots
by walking the task in the product (``onthaal.help.walks``); a missing screenshot is left out
of a page rather than shown broken.

The files are trusted (they come from the repository, never from a user): their HTML is
rendered as written.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import markdown
from markdown.extensions import Extension
from markdown.treeprocessors import Treeprocessor

# The roles of the manual, in the order of the help page (accounts.models.Role's values).
ROLES: tuple[str, ...] = (
    "receptionist",
    "desk_agent",
    "social_worker",
    "team_lead",
    "mail_clerk",
    "manager",
    "auditor",
    "admin",
)
LANGUAGES: tuple[str, ...] = ("nl", "fr")
RELEASE_NOTES = "release-notes"

_TASK = re.compile(r"^## +(?P<title>.+?) *\{#(?P<id>[a-z0-9-]+)\} *$", re.MULTILINE)
_STEP = re.compile(r"^\d+\. +", re.MULTILINE)
_SHOT = re.compile(r"!\[[^\]]*\]\(shot:(?P<name>[a-z0-9-]+)\)")
_MARKUP = re.compile(r"[*_`]|\[([^\]]*)\]\([^)]*\)")

ShotUrl = Callable[[str], str | None]


@dataclass(frozen=True)
class Step:
    number: int
    markdown: str
    shot: str | None

    @property
    def text(self) -> str:
        """The step as plain text (a video's caption): without its screenshot and markup."""
        text = _SHOT.sub("", self.markdown)
        text = _MARKUP.sub(lambda m: m.group(1) or "", text)
        return " ".join(text.split())


@dataclass(frozen=True)
class Task:
    role: str
    id: str
    title: str
    markdown: str  # the whole section, heading included
    steps: tuple[Step, ...]

    @property
    def plain(self) -> str:
        return " ".join(
            _MARKUP.sub(lambda m: m.group(1) or "", _SHOT.sub("", self.markdown)).split()
        )


@dataclass(frozen=True)
class Manual:
    role: str
    lang: str
    title: str
    intro: str  # Markdown before the first task, title excluded
    tasks: tuple[Task, ...]

    def task(self, task_id: str) -> Task | None:
        return next((task for task in self.tasks if task.id == task_id), None)


def file_name(role: str) -> str:
    return role.replace("_", "-") + ".md"


def parse(text: str, *, role: str, lang: str) -> Manual:
    """Split a manual file into its title, introduction and tasks (with their steps)."""
    title_match = re.search(r"^# +(.+)$", text, re.MULTILINE)
    title = title_match.group(1).strip() if title_match else role
    matches = list(_TASK.finditer(text))
    head = text[: matches[0].start()] if matches else text
    intro = re.sub(r"^# +.+$", "", head, count=1, flags=re.MULTILINE).strip()
    tasks = []
    for index, match in enumerate(matches):
        end = matches[index + 1].start() if index + 1 < len(matches) else len(text)
        section = text[match.start() : end].strip()
        tasks.append(
            Task(
                role=role,
                id=match.group("id"),
                title=match.group("title").strip(),
                markdown=section,
                steps=_steps(section),
            )
        )
    return Manual(role=role, lang=lang, title=title, intro=intro, tasks=tuple(tasks))


def _steps(section: str) -> tuple[Step, ...]:
    """The items of the section's numbered list, each with the screenshot it names."""
    starts = list(_STEP.finditer(section))
    steps = []
    for index, match in enumerate(starts):
        end = starts[index + 1].start() if index + 1 < len(starts) else len(section)
        chunk = section[match.end() : end]
        # An item ends at the first line that is not indented (a paragraph after the list).
        lines = chunk.splitlines()
        kept = [lines[0], *_until_unindented(lines[1:])]
        body = "\n".join(line.strip() for line in kept).strip()
        shot = _SHOT.search(body)
        steps.append(
            Step(number=index + 1, markdown=body, shot=shot.group("name") if shot else None)
        )
    return tuple(steps)


def _until_unindented(lines: list[str]) -> list[str]:
    kept = []
    for line in lines:
        if line.strip() and not line.startswith((" ", "\t")):
            break
        kept.append(line)
    return kept


def load(source: Path, *, lang: str, role: str) -> Manual | None:
    path = source / lang / file_name(role)
    if not path.is_file():
        return None
    return parse(path.read_text(encoding="utf-8"), role=role, lang=lang)


def load_all(source: Path, *, lang: str) -> list[Manual]:
    return [m for role in ROLES if (m := load(source, lang=lang, role=role)) is not None]


class _Shots(Treeprocessor):
    def __init__(self, md: markdown.Markdown, shot_url: ShotUrl) -> None:
        super().__init__(md)
        self.shot_url = shot_url

    def run(self, root: Any) -> None:
        for parent in list(root.iter()):
            for child in list(parent):
                if child.tag != "img" or not (child.get("src") or "").startswith("shot:"):
                    continue
                url = self.shot_url(child.get("src", "")[len("shot:") :])
                if url is None:
                    parent.remove(child)  # not built (yet): the text says what to do
                    continue
                child.set("src", url)
                child.set("class", "manual-shot")
                child.set("loading", "lazy")
        return None


class _ShotExtension(Extension):
    def __init__(self, shot_url: ShotUrl) -> None:
        super().__init__()
        self.shot_url = shot_url

    def extendMarkdown(self, md: markdown.Markdown) -> None:  # noqa: N802 -- Markdown's API
        md.treeprocessors.register(_Shots(md, self.shot_url), "onthaal_shots", 5)


def render(text: str, shot_url: ShotUrl, *, heading_offset: int = 0) -> str:
    """The Markdown as HTML, ``shot:NAME`` images pointed at ``shot_url(NAME)`` (or left
    out where it gives None), headings shifted down by ``heading_offset`` levels."""
    if heading_offset:
        text = re.sub(
            r"^(#{1,5}) ",
            lambda m: "#" * (len(m.group(1)) + heading_offset) + " ",
            text,
            flags=re.MULTILINE,
        )
    return markdown.markdown(
        text, extensions=["attr_list", "sane_lists", "tables", _ShotExtension(shot_url)]
    )


def fold(text: str) -> str:
    """Lower case without accents: what search compares ("Création" finds "creation")."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@dataclass(frozen=True)
class Hit:
    task: Task
    snippet: str


def search(manuals: list[Manual], query: str, *, limit: int = 30) -> list[Hit]:
    """Tasks whose text holds every word of ``query`` (accents and case ignored), those with
    the words in their title first."""
    words = [fold(word) for word in query.split() if word.strip()]
    if not words:
        return []
    scored: list[tuple[int, int, Hit]] = []
    for manual in manuals:
        for task in manual.tasks:
            plain = task.plain
            folded = fold(plain)
            if not all(word in folded for word in words):
                continue
            in_title = sum(word in fold(task.title) for word in words)
            scored.append((-in_title, len(scored), Hit(task, _snippet(plain, folded, words[0]))))
    scored.sort(key=lambda entry: (entry[0], entry[1]))
    return [hit for _score, _order, hit in scored[:limit]]


def _snippet(plain: str, folded: str, word: str, width: int = 160) -> str:
    # fold() keeps one character per character for the scripts of the manual (nl, fr).
    at = folded.find(word)
    start = max(0, at - width // 3)
    snippet = plain[start : start + width].strip()
    return ("…" if start else "") + snippet + ("…" if start + width < len(plain) else "")
