"""`make manual` walks each task of the manual in Chromium: a screen that changes under a task
breaks the build, with a message naming the task and the step — the manual breaks, not the
trainee. One task here (the build walks them all; `make manual`)."""

from __future__ import annotations

import pytest
from django.utils.translation import trans_real

from onthaal.help.build import BuildFailed, walk_all
from onthaal.help.walks import WALKS
from tests.e2e.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def test_a_renamed_button_breaks_the_build_naming_the_task(
    walk_in_open_today, live_server, tmp_path
):
    walk = next(w for w in WALKS if w.task == "reception-ticket")
    shots = [step.shot for step in walk.steps if step.shot]

    # As the screen is: the walk goes through and takes every screenshot its steps name.
    results = walk_all(live_server.url, (walk,), tmp_path / "ok", password=PASSWORD, video=False)
    assert results[0].shots == shots
    assert all(
        (tmp_path / "ok" / "shots" / f"{shot}.png").stat().st_size > 10_000 for shot in shots
    )

    # A developer renames the button "Ticket uitgeven" (its Dutch label) to "Nieuw ticket".
    catalog = trans_real.translation("nl")._catalog
    catalog["Issue ticket"] = "Nieuw ticket"
    try:
        with pytest.raises(BuildFailed) as failed:
            walk_all(live_server.url, (walk,), tmp_path / "renamed", password=PASSWORD, video=False)
    finally:
        catalog["Issue ticket"] = "Ticket uitgeven"
    message = str(failed.value)
    assert message.startswith("task 'reception-ticket' (receptionist) stopped at step 4")
    assert "the button 'Ticket uitgeven' was not found" in message
    assert "/staff/reception/administratief-centrum/" in message
    # The steps before the renamed button were photographed; the one that broke was not.
    taken = sorted(p.stem for p in (tmp_path / "renamed" / "shots").glob("*.png"))
    assert taken == shots[:3]
