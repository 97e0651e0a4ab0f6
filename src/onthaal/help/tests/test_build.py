"""The build's checks that need no browser: the manual and the walks agree, captions are
WebVTT made from the Dutch steps, and the two-step code is the authenticator app's."""

from __future__ import annotations

import shutil

import pytest

from onthaal.help import manual
from onthaal.help.build import SOURCE, BuildFailed, captions, check
from onthaal.help.walker import Cue, WalkResult, totp
from onthaal.help.walks import WALKS, Step, Walk, button


def test_the_manual_and_the_walks_agree():
    check(SOURCE, WALKS)
    videos = [walk.task for walk in WALKS if walk.video]
    assert len(videos) == 10  # the ten most common tasks are recorded


def test_a_step_naming_a_screenshot_no_walk_takes_fails_naming_the_task(tmp_path):
    shutil.copytree(SOURCE, tmp_path / "manual")
    page = tmp_path / "manual" / "nl" / "receptionist.md"
    page.write_text(page.read_text().replace("shot:reception-ticket-4", "shot:reception-ticket-9"))
    with pytest.raises(BuildFailed, match=r"task 'reception-ticket' \(receptionist, nl\) step 4"):
        check(tmp_path / "manual", WALKS)


def test_a_walk_of_a_task_the_manual_does_not_have_fails_naming_it():
    stray = Walk("ticket-printen", "receptionist", "onthaal", steps=(Step(None, button("X")),))
    with pytest.raises(BuildFailed, match="task 'ticket-printen' is walked but not in"):
        check(SOURCE, (*WALKS, stray))


def test_captions_are_webvtt_of_the_dutch_steps_at_their_time():
    walk = next(w for w in WALKS if w.task == "desk-open")
    result = WalkResult(walk, cues=[Cue(0.5, 3.25, "desk-open-1"), Cue(3.25, 61.0, "desk-open-2")])
    document = manual.load(SOURCE, lang="nl", role="desk_agent")
    assert document is not None
    steps = {s.shot: s for t in document.tasks for s in t.steps if s.shot}
    assert captions(result, steps).splitlines() == [
        "WEBVTT",
        "",
        "1",
        "00:00:00.500 --> 00:00:03.250",
        "1. Open Balie in het menu en kies de balie waar je nu werkt.",
        "",
        "2",
        "00:00:03.250 --> 00:01:01.000",
        "2. Klik op Deze balie openen.",
        "",
    ]


def test_the_two_step_code_is_the_authenticator_apps():
    # RFC 6238's SHA-1 test vector (its last six digits) for the secret "12345678901234567890".
    assert totp("GEZD GNBV GY3T QOJQ GEZD GNBV GY3T QOJQ", at=59) == "287082"
    assert totp("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", at=1111111109) == "081804"
