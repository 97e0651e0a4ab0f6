"""An upgrade from the previous release: its own code (``git archive`` of the commit, run with
the same virtualenv) makes a database and loads its demo; this code's ``onthaal upgrade
--check`` lists the migrations it will run and changes nothing; ``onthaal upgrade`` runs them;
the audit log still verifies and the demo's data is all there.

SQLite, in a file of the test's own (the upgrade path is the migrations', the same on
PostgreSQL; ``--check``'s lock verdicts are PostgreSQL's, see docs/upgrade.md)."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# The previous release: main at the end of the session before this one (docs/upgrade.md).
PREVIOUS_RELEASE = "4bd8746"

pytestmark = pytest.mark.xdist_group("upgrade")


def _run(env: dict[str, str], *command: str, timeout: int = 600) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "onthaal.cli", *command],
        env=env,
        cwd=env.get("_CWD", str(ROOT)),
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert done.returncode == 0, (command, done.stdout[-2000:], done.stderr[-4000:])
    return done.stdout


def _applied(database: Path) -> int:
    with sqlite3.connect(database) as db:
        return int(db.execute("SELECT count(*) FROM django_migrations").fetchone()[0])


def _count(database: Path, table: str) -> int:
    with sqlite3.connect(database) as db:
        return int(db.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


def test_a_database_of_the_previous_release_upgrades_to_this_one(tmp_path: Path) -> None:
    git = shutil.which("git")
    if (
        git is None
        or subprocess.run(
            [git, "cat-file", "-e", f"{PREVIOUS_RELEASE}^{{commit}}"], cwd=ROOT, capture_output=True
        ).returncode
    ):
        pytest.skip(f"needs git and the commit {PREVIOUS_RELEASE} (a clone with its history)")
    old = tmp_path / "previous"
    old.mkdir()
    archive = subprocess.run(
        [git, "archive", "--format=tar", PREVIOUS_RELEASE, "src"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    )
    subprocess.run(["tar", "-x", "-C", str(old)], input=archive.stdout, check=True)

    database = tmp_path / "onthaal.sqlite3"
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("PROMETHEUS_MULTIPROC_DIR", "REDIS_URL", "DJANGO_SETTINGS_MODULE")
    }
    env.update(
        {
            "DATABASE_URL": f"sqlite:///{database}",
            "ONTHAAL_DATA_DIR": str(tmp_path / "data"),
            "SECRET_KEY": "tests-only",
            "DEBUG": "1",
        }
    )
    previous = {**env, "PYTHONPATH": str(old / "src"), "_CWD": str(old)}
    # The previous release's code, as its administrator ran it.
    assert "previous" in _run(previous, "shell", "-c", "import onthaal; print(onthaal.__file__)")
    _run(previous, "migrate", "--noinput", "-v", "0")
    _run(previous, "load-demo")
    _run(previous, "audit", "anchor")
    before = _applied(database)
    tickets, events = _count(database, "queue_ticket"), _count(database, "audit_auditevent")
    locations = _count(database, "organisation_location")
    assert locations >= 2 and events > 0

    check = _run(env, "upgrade", "--check")
    assert _applied(database) == before  # --check changes nothing
    lines = check.splitlines()
    assert lines[0].endswith("migrations to run:"), check
    to_run = int(lines[0].split()[0])
    assert to_run >= 1
    assert "  operations.0001_worker_heartbeat" in lines  # one this release adds

    # With "large" at one row, the marks show: the single sign-on release adds a constraint
    # to the memberships (the demo's few rows), which writes wait for.
    marked = _run(env, "upgrade", "--check", "--large-rows", "1")
    assert "  accounts.0004_single_sign_on  LOCKS LARGE TABLES" in marked.splitlines(), marked
    assert (
        "    ! Create constraint membership_source_valid on model membership on accounts_membership"
        in marked
    )

    upgraded = _run(env, "upgrade")
    assert "Upgraded." in upgraded
    assert _applied(database) == before + to_run
    assert "No migrations to run" in _run(env, "upgrade", "--check")
    assert "[ ]" not in _run(env, "showmigrations")
    # The data is all there, the audit log's chains and anchor still verify, and the demo
    # loader of this release finds its municipality (it is idempotent).
    assert _count(database, "queue_ticket") == tickets
    assert _count(database, "organisation_location") == locations
    assert _count(database, "audit_auditevent") >= events
    _run(env, "audit", "verify")
    _run(env, "load-demo")
    assert _count(database, "organisation_location") == locations
