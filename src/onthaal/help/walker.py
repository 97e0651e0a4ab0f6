"""Replaying a walk (``onthaal.help.walks``) in Chromium with Playwright: each step's element
found by its role and name, outlined, photographed, then acted on; a video of the walk with the
time of each step for its captions.

A step that cannot be done stops the walk with ``WalkFailed``, whose message names the task,
the step, its screenshot and what was not found where.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import re
import struct
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from onthaal.help.walks import Step, Target, Walk

VIEWPORT = {"width": 1280, "height": 800}
TIMEOUT_MS = 20_000  # how long a step waits for its element: a busy machine is slow, not broken
PACE = 1.6  # seconds an outlined element stays in a video before it is acted on

_OUTLINE = """el => {
  const shown = (['checkbox', 'radio', 'file'].includes(el.type) && el.labels && el.labels[0])
    || el;
  shown.scrollIntoView({block: 'center', inline: 'nearest'});
  shown.setAttribute('data-manual-outline', '');
  shown.style.setProperty('outline', '5px solid #d4351c', 'important');
  shown.style.setProperty('outline-offset', '3px', 'important');
}"""
_CLEAR = """() => document.querySelectorAll('[data-manual-outline]').forEach(el => {
  el.style.removeProperty('outline'); el.style.removeProperty('outline-offset');
  el.removeAttribute('data-manual-outline');
})"""


class WalkFailed(Exception):
    """A walk could not be done: the screen it describes changed."""


@dataclass
class Cue:
    start: float
    end: float
    shot: str


@dataclass
class WalkResult:
    walk: Walk
    shots: list[str] = field(default_factory=list)
    cues: list[Cue] = field(default_factory=list)
    video: Path | None = None


def next_week(value: str, today: dt.date | None = None) -> str:
    """``{next-week 3 08:00}``: that weekday (0 = Monday) of next week at that time, as a
    ``datetime-local`` field takes it — a walk that asks for telework always asks ahead."""
    found = re.fullmatch(r"\{next-week ([0-6]) ([0-2]\d:[0-5]\d)\}", value)
    if not found:
        raise WalkFailed(f"cannot read the date {value!r}")
    today = today or dt.datetime.now(ZoneInfo("Europe/Brussels")).date()
    monday = today + dt.timedelta(days=7 - today.weekday())
    day = monday + dt.timedelta(days=int(found.group(1)))
    return f"{day.isoformat()}T{found.group(2)}"


def totp(secret: str, at: float | None = None) -> str:
    """The code an authenticator app shows for ``secret`` (RFC 6238: SHA-1, 30 s, 6 digits)."""
    key = base64.b32decode(secret.replace(" ", "").upper())
    counter = struct.pack(">Q", int((time.time() if at is None else at) // 30))
    digest = hmac.new(key, counter, hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    code = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{code % 1_000_000:06d}"


def locate(page: Any, target: Target) -> Any:
    scope = page.locator(target.within) if target.within else page
    if target.role == "label":
        found = scope.get_by_label(target.name, exact=target.exact)
    elif target.role == "css":
        found = scope.locator(target.name)
    elif target.role == "text":
        found = scope.get_by_text(target.name, exact=target.exact)
    else:
        found = scope.get_by_role(target.role, name=target.name, exact=target.exact)
    if target.within:
        found = found.first if target.nth == 0 else found.nth(target.nth)
        return found
    return found.nth(target.nth)


class Walker:
    """Replays walks against ``base_url``: one browser context per person, each logged in
    (or, for a kiosk, enrolled) before the walk, so a video starts at the first step."""

    def __init__(
        self,
        browser: Any,
        base_url: str,
        *,
        password: str,
        shots_dir: Path,
        video_dir: Path | None = None,
        files_dir: Path | None = None,
        enrolment_code: Callable[[str], str] | None = None,
    ) -> None:
        self.browser = browser
        self.base = base_url.rstrip("/")
        self.password = password
        self.shots_dir = shots_dir
        self.video_dir = video_dir
        self.files_dir = files_dir
        self.enrolment_code = enrolment_code

    def _session(self, user: str, device: str) -> dict[str, Any]:
        """The cookies of ``user`` logged in, or of a kiosk of ``device`` enrolled."""
        context = self.browser.new_context(viewport=VIEWPORT, locale="nl-BE", bypass_csp=True)
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS * 2)
        try:
            if device:
                if self.enrolment_code is None:
                    raise WalkFailed("a kiosk walk needs an enrolment code")
                page.goto(f"{self.base}/device/enrol/{self.enrolment_code(device)}/")
                page.get_by_role("button", name="Dit toestel registreren").click()
            else:
                page.goto(f"{self.base}/staff/login/")
                page.fill("#id_username", user)
                page.fill("#id_password", self.password)
                page.click("main button[type=submit]")
            page.wait_for_load_state()
            if not device and "/staff/login/" in page.url:
                raise WalkFailed(f"could not log in as {user}")
            state: dict[str, Any] = context.storage_state()
            return state
        finally:
            context.close()

    def run(self, walk: Walk, *, record: bool = False) -> WalkResult:
        from playwright.sync_api import Error as PlaywrightError

        result = WalkResult(walk)
        contexts: dict[str, Any] = {}
        pages: dict[str, Any] = {}
        started = time.monotonic()
        recording = record and self.video_dir is not None

        def page_for(user: str) -> Any:
            nonlocal started
            if user not in pages:
                own = user == walk.user
                options: dict[str, Any] = {
                    "viewport": VIEWPORT,
                    "locale": "nl-BE",
                    "bypass_csp": True,
                    "storage_state": self._session(user, walk.device if own else ""),
                }
                if own and recording:
                    options["record_video_dir"] = str(self.video_dir)
                    options["record_video_size"] = VIEWPORT
                contexts[user] = self.browser.new_context(**options)
                pages[user] = contexts[user].new_page()
                pages[user].set_default_timeout(TIMEOUT_MS)
                if own:
                    started = time.monotonic()
            return pages[user]

        try:
            page_for(walk.user)  # the walker's own browser first: its video starts here
            for number, step in enumerate(walk.steps, start=1):
                page = page_for(step.user or walk.user)
                try:
                    self._step(page, step, result, started, recording and not step.user)
                except PlaywrightError as exc:
                    raise WalkFailed(_failure(walk, number, step, page, exc)) from None
            if recording and result.cues:
                time.sleep(PACE)
                result.cues[-1].end = time.monotonic() - started
            own_page = pages[walk.user]
            video = own_page.video if recording else None
        finally:
            for context in contexts.values():
                context.close()
        if video is not None:
            result.video = Path(video.path())
        return result

    def _step(self, page: Any, step: Step, result: WalkResult, started: float, rec: bool) -> None:
        if step.goto:
            page.goto(self.base + step.goto)
            page.wait_for_load_state()
        element = None
        if step.target is not None:
            element = locate(page, step.target)
            element.wait_for(state="attached" if step.do == "upload" else "visible")
        if step.shot:
            if result.cues:
                result.cues[-1].end = time.monotonic() - started
            cue = Cue(start=time.monotonic() - started, end=0.0, shot=step.shot)
            if element is not None:
                element.evaluate(_OUTLINE)
            page.screenshot(path=str(self.shots_dir / f"{step.shot}.png"))
            if rec:
                time.sleep(PACE)
            page.evaluate(_CLEAR)
            result.shots.append(step.shot)
            if rec:
                result.cues.append(cue)
        if element is None or not step.do:
            return
        value = step.value
        if value == "{totp}":
            value = totp(page.locator("main code").first.inner_text())
        elif value.startswith("{next-week "):
            value = next_week(value)
        if step.do == "click":
            element.click()
        elif step.do == "fill":
            element.fill(value)
        elif step.do == "select":
            element.select_option(label=value)
        elif step.do == "check":
            element.check()
        elif step.do == "upload":
            if self.files_dir is None:
                raise WalkFailed("an upload step needs a files directory")
            element.set_input_files(str(self.files_dir / value))
        else:
            raise WalkFailed(f"unknown action {step.do!r}")
        if step.wait_for.startswith("**/"):
            page.wait_for_url(step.wait_for)
        elif step.wait_for:
            page.wait_for_selector(step.wait_for)
        page.wait_for_load_state()
        page.wait_for_timeout(400 if not rec else 800)


def _failure(walk: Walk, number: int, step: Step, page: Any, exc: Exception) -> str:
    shot = f" (screenshot {step.shot})" if step.shot else ""
    what = step.target.describe() if step.target else "the page"
    path = page.url.removeprefix("http://").split("/", 1)[-1]
    first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return (
        f"task '{walk.task}' ({walk.role}) stopped at step {number}{shot}: "
        f"{what} was not found or could not be used on /{path} — {first_line}"
    )
