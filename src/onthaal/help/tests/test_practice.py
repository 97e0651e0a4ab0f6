"""The practice environment: its own data dir and never the real database, walk-in open all
day today, and a reset that removes only a practice SQLite database."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.management import call_command

from onthaal.help import practice


def test_the_environment_is_its_own_data_dir_without_the_real_database(tmp_path):
    shell = {
        "ONTHAAL_DATA_DIR": str(tmp_path / "var"),
        "DATABASE_URL": "postgres://onthaal@db.internal/onthaal",
        "REDIS_URL": "redis://cache.internal/0",
        "EMAIL_HOST": "smtp.zonnedoorn.be",
        "PATH": "/usr/bin",
    }
    env = practice.environment(shell)
    assert env["ONTHAAL_DATA_DIR"] == str(tmp_path / "var-practice")
    assert env["ONTHAAL_PRACTICE"] == "1" and env["DEBUG"] == "1"
    assert not {"DATABASE_URL", "REDIS_URL", "EMAIL_HOST"} & set(env)
    # As `onthaal demo`: e-mail to files in its own data dir, warnings and errors in the log.
    assert "EMAIL_FILE_PATH" not in practice.environment({**shell, "EMAIL_FILE_PATH": "/srv/x"})
    assert env["LOG_LEVEL"] == "WARNING"
    assert env["PATH"] == "/usr/bin"
    own = practice.environment({**shell, "ONTHAAL_PRACTICE_DIR": str(tmp_path / "oefen")})
    assert own["ONTHAAL_DATA_DIR"] == str(tmp_path / "oefen")


def test_reset_refuses_anything_but_a_practice_environment(settings):
    settings.PRACTICE = False
    with pytest.raises(RuntimeError):
        practice.reset()
    settings.PRACTICE = True  # but the test database is not a file inside the data dir
    settings.DATA_DIR = Path("/nonexistent-practice")
    with pytest.raises(RuntimeError):
        practice.reset()


def test_the_command_runs_only_as_onthaal_practice(settings):
    from django.core.management.base import CommandError

    settings.PRACTICE = False
    with pytest.raises(CommandError, match="onthaal practice"):
        call_command("practice", "--no-serve")


def test_walk_in_opens_all_day_today_once(db):
    import os

    from onthaal.core import clock
    from onthaal.hours.models import OpeningException

    call_command("load_demo", verbosity=0, stdout=open(os.devnull, "w"))  # noqa: SIM115
    assert practice.open_walk_in_today() == 2
    assert practice.open_walk_in_today() == 0  # a restart the same day changes nothing
    opened = OpeningException.objects.filter(date=clock.today(), reason=practice.REASON)
    assert opened.count() == 2
    assert {(e.opens.isoformat(), e.closes.isoformat(), e.closed) for e in opened} == {
        ("00:00:00", "23:59:00", False)
    }


def test_on_another_port_the_practice_demos_e_mails_link_to_that_port(db, settings, monkeypatch):
    """`onthaal practice --port 8153` (or PORT=8153): the links in the e-mails its first load
    of the demo puts in the outbox lead to 8153, not to the default public URL's :8000."""
    import io
    import re

    from onthaal.eloket.models import Notification

    settings.PRACTICE = True
    settings.ONTHAAL_PUBLIC_URL = "http://127.0.0.1:8000"  # the default without the variable
    monkeypatch.setenv("ONTHAAL_PUBLIC_URL", "")
    monkeypatch.delenv("ONTHAAL_PUBLIC_URL")  # so that it is absent again after the test
    monkeypatch.setattr("onthaal.reporting.demo.load_demo_history", lambda: None)

    call_command("practice", "--no-serve", "--port", "8153", stdout=io.StringIO())

    bodies = Notification.objects.values_list("body", flat=True)
    links = [link for body in bodies for link in re.findall(r"https?://\S+", body)]
    assert len(links) >= 10
    assert {link.split("/")[2] for link in links} == {"127.0.0.1:8153"}
