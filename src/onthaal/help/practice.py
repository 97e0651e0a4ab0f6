"""The practice environment (``onthaal practice``): the demo municipality in a data dir of its
own, with a banner on every page, walk-in open all day so that a group can train at any hour,
and a reset to a fresh state in one command. ``make manual`` prepares its walks' instance the
same way (without the banner).

``onthaal.cli`` points the command at the practice data dir before Django reads its settings
(``ONTHAAL_PRACTICE_DIR``, default the data dir's name with ``-practice``), and leaves out
``DATABASE_URL`` and ``REDIS_URL``: a practice environment never uses the real database.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any

from django.conf import settings
from django.http import HttpRequest

REASON = "Oefenomgeving: vrije inloop de hele dag"
# What a practice environment must not inherit from the shell it is started from.
NOT_INHERITED = (
    "DATABASE_URL",
    "REDIS_URL",
    "EMAIL_HOST",
    "EMAIL_BACKEND",
    "EMAIL_FILE_PATH",
    "SMS_BACKEND",
)


def banner(request: HttpRequest) -> dict[str, Any]:
    """Context processor: ``practice`` on every page of a practice environment."""
    return {"practice": True} if settings.PRACTICE else {}


def practice_dir(environ: dict[str, str] | os._Environ[str]) -> Path:
    """The practice data dir: ``ONTHAAL_PRACTICE_DIR``, or beside the data dir (``var`` ->
    ``var-practice``)."""
    if explicit := environ.get("ONTHAAL_PRACTICE_DIR"):
        return Path(explicit).resolve()
    data = Path(environ.get("ONTHAAL_DATA_DIR") or "var").resolve()
    return data.with_name(data.name + "-practice")


def environment(environ: dict[str, str] | os._Environ[str]) -> dict[str, str]:
    """The environment of a practice command: its own data dir, SQLite, DEBUG (the demo
    accounts' passwords), the banner, e-mail and SMS to files in its data dir, warnings and
    errors only in the log."""
    env = {key: value for key, value in environ.items() if key not in NOT_INHERITED}
    env["ONTHAAL_DATA_DIR"] = str(practice_dir(environ))
    env["ONTHAAL_PRACTICE"] = "1"
    env["DEBUG"] = "1"
    env.setdefault("LOG_LEVEL", "WARNING")  # as `onthaal demo`: its instructions stay visible
    return env


def reset() -> Path:
    """Remove the practice database (and its uploads): the next start builds a fresh demo.
    Refuses anything but SQLite inside the practice data dir."""
    database = settings.DATABASES["default"]
    name = Path(str(database["NAME"])).resolve()
    data_dir = Path(settings.DATA_DIR).resolve()
    if (
        not settings.PRACTICE
        or database["ENGINE"] != "django.db.backends.sqlite3"
        or name.parent != data_dir
    ):
        raise RuntimeError("only a practice environment's own SQLite database can be reset")
    for path in data_dir.glob("onthaal.sqlite3*"):
        path.unlink()
    for sub in ("documents", "media"):
        folder = data_dir / sub
        if folder.is_dir():
            for path in sorted(folder.rglob("*"), reverse=True):
                path.rmdir() if path.is_dir() else path.unlink()
    return name


def open_walk_in_today() -> int:
    """Walk-in open all day today at every location, so that tickets can be taken at the hour
    a group trains (or the manual is built). Returns the number of locations opened."""
    from onthaal.core import clock
    from onthaal.hours.models import HoursChannel, OpeningException
    from onthaal.hours.services import exception_create
    from onthaal.organisation.models import Location

    today = clock.today()
    opened = 0
    for location in Location.objects.all():
        if OpeningException.objects.filter(
            location=location, date=today, channel=HoursChannel.WALK_IN, department=None
        ).exists():
            continue  # opened before today (a restart), or closed by the group on purpose
        exception_create(
            actor=None,
            location=location,
            date=today,
            channel=HoursChannel.WALK_IN,
            closed=False,
            opens=dt.time(0, 0),
            closes=dt.time(23, 59),
            reason=REASON,
        )
        opened += 1
    return opened
