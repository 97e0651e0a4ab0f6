"""`onthaal backup` and `onthaal restore`, as an operator runs them (separate processes): the
demo after a morning's activity is backed up, restored into a fresh database of the same kind,
and the restored log verifies with the same head, against the anchor the backup carried."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
import time_machine
from django.db import connection

from onthaal.audit.models import AuditEvent
from onthaal.audit.services import record_event
from onthaal.core.clock import BRUSSELS
from onthaal.queue import services
from onthaal.queue.models import Queue, Source, Status, Ticket

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.xdist_group("backup")]

ROOT = Path(__file__).resolve().parents[1]
TUESDAY_10 = dt.datetime(2027, 3, 23, 10, 0, tzinfo=BRUSSELS)


def _url(settings_dict: dict) -> str:
    if connection.vendor == "postgresql":
        host = settings_dict["HOST"] or "127.0.0.1"
        return f"postgres://{settings_dict['USER']}@{host}:{settings_dict['PORT'] or 5432}/{settings_dict['NAME']}"
    return f"sqlite:///{settings_dict['NAME']}"


def _onthaal(*args: str, database_url: str, data_dir: Path) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "ONTHAAL_DATA_DIR": str(data_dir),
        "SECRET_KEY": "tests-only",
        "DEBUG": "0",
        "DB_POOL": "0",
        "AUDIT_ANCHOR_KEY": "tests-only-anchor-key",
    }
    for name in ("AUDIT_ANCHOR_FILE", "AUDIT_ANCHOR_KEY_FILE"):
        env.pop(name, None)
    return subprocess.run(
        [sys.executable, "-m", "onthaal.cli", *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture
def fresh_database(tmp_path: Path) -> Iterator[str]:
    """The URL of a new, empty database of the suite's kind."""
    if connection.vendor != "postgresql":
        yield f"sqlite:///{tmp_path / 'restored.sqlite3'}"
        return
    params = connection.get_connection_params()
    params.pop("pool", None)
    params.pop("context", None)
    name = f"{connection.settings_dict['NAME']}_restore_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(**{**params, "dbname": "postgres"}, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield _url({**connection.settings_dict, "NAME": name})
    finally:
        with psycopg.connect(**{**params, "dbname": "postgres"}, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _a_morning() -> None:
    """The demo, tickets issued and called, records consulted."""
    from onthaal.accounts.models import Membership, Role
    from onthaal.accounts.tests.factories import UserFactory
    from onthaal.demo import zonnedoorn
    from onthaal.organisation.models import Desk

    with time_machine.travel(TUESDAY_10, tick=False):
        zonnedoorn.load()
    with time_machine.travel(TUESDAY_10, tick=True):
        queue = Queue.objects.select_related("location", "department").get(
            location__slug="administratief-centrum", prefix="B"
        )
        agent = UserFactory()
        Membership.objects.create(user=agent, department=queue.department, role=Role.DESK_AGENT)
        for _ in range(6):
            services.issue_ticket(
                location=queue.location,
                queue=queue,
                source=Source.RECEPTION,
                actor=agent,
                check_hours=False,
            )
        desk = Desk.objects.create(location=queue.location, name="Balie back-up")
        desk.departments.add(queue.department)
        queue.desks.add(desk)
        services.open_desk(desk=desk, actor=agent)
        for _ in range(3):
            ticket = services.call_next(desk=desk, actor=agent)
            assert ticket is not None
            services.finish(ticket=ticket, desk=desk, actor=agent)
        for n in range(5):
            record_event(action="view", actor=agent, object_type="queue.ticket", object_id=n)


def test_backup_after_activity_restores_into_a_fresh_database_with_the_same_head(
    tmp_path: Path, fresh_database: str
):
    _a_morning()
    source = _url(connection.settings_dict)
    live_dir, restored_dir, backup_dir = tmp_path / "live", tmp_path / "restored", tmp_path / "b"
    (live_dir / "media" / "mail").mkdir(parents=True)
    (live_dir / "media" / "mail" / "scan.pdf").write_bytes(b"%PDF-1.4 a scanned letter")
    anchored = _onthaal("audit", "anchor", database_url=source, data_dir=live_dir)
    assert anchored.returncode == 0, anchored.stderr
    head = _onthaal("audit", "head", database_url=source, data_dir=live_dir)
    assert head.returncode == 0, head.stderr
    count, digest = head.stdout.split()
    assert int(count) == AuditEvent.objects.count() > 0

    made = _onthaal("backup", str(backup_dir), database_url=source, data_dir=live_dir)
    assert made.returncode == 0, made.stderr
    assert f"audit log {count} events, head {digest}" in made.stdout
    manifest = json.loads((backup_dir / "manifest.json").read_text())
    assert manifest["audit"] == {"events": int(count), "head": digest}
    assert manifest["database"]["vendor"] == connection.vendor
    assert set(manifest["parts"]) == {
        manifest["database"]["file"],
        "media/mail/scan.pdf",
        "audit-anchors.jsonl",
    }

    restored = _onthaal(
        "restore", str(backup_dir), database_url=fresh_database, data_dir=restored_dir
    )
    assert restored.returncode == 0, restored.stderr
    verified = _onthaal("audit", "verify", database_url=fresh_database, data_dir=restored_dir)
    assert verified.returncode == 0, verified.stderr
    assert f"Audit chain intact: {count} events" in verified.stdout
    assert f"head {digest}" in verified.stdout and "matches the anchor" in verified.stdout
    assert (
        restored_dir / "media" / "mail" / "scan.pdf"
    ).read_bytes() == b"%PDF-1.4 a scanned letter"
    again = _onthaal("audit", "head", database_url=fresh_database, data_dir=restored_dir)
    assert again.stdout.split() == [count, digest]
    count_done = "from onthaal.queue.models import Ticket; print(Ticket.objects.filter(status='done').count(), Ticket.objects.count())"
    tickets = _onthaal(
        "shell",
        "--no-imports",
        "-c",
        count_done,
        database_url=fresh_database,
        data_dir=restored_dir,
    )
    assert tickets.stdout.split() == ["3", str(Ticket.objects.count())]
    assert Ticket.objects.filter(status=Status.DONE).count() == 3

    # A second restore into the now full database is refused, and changes nothing.
    refused = _onthaal(
        "restore", str(backup_dir), database_url=fresh_database, data_dir=restored_dir
    )
    assert refused.returncode != 0
    assert (
        "is not empty" in refused.stderr and "restore only into an empty database" in refused.stderr
    )
    assert _onthaal(
        "audit", "head", database_url=fresh_database, data_dir=restored_dir
    ).stdout.split() == [count, digest]


def test_a_damaged_backup_is_refused_before_anything_is_restored(
    tmp_path: Path, fresh_database: str
):
    record_event(action="view", object_type="x")
    backup_dir = tmp_path / "b"
    made = _onthaal(
        "backup",
        str(backup_dir),
        database_url=_url(connection.settings_dict),
        data_dir=tmp_path / "live",
    )
    assert made.returncode == 0, made.stderr
    manifest = json.loads((backup_dir / "manifest.json").read_text())
    database = backup_dir / manifest["database"]["file"]
    damaged = bytearray(database.read_bytes())
    damaged[len(damaged) // 2] ^= 0xFF  # one byte changed, whatever it was
    database.write_bytes(bytes(damaged))
    refused = _onthaal(
        "restore", str(backup_dir), database_url=fresh_database, data_dir=tmp_path / "restored"
    )
    assert refused.returncode != 0
    assert (
        f"{manifest['database']['file']} does not match its SHA-256 in the manifest"
        in refused.stderr
    )
    head = _onthaal("audit", "head", database_url=fresh_database, data_dir=tmp_path / "restored")
    assert head.returncode != 0  # still empty: no tables


def test_backup_refuses_a_directory_that_is_not_empty(tmp_path: Path):
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "other").write_text("x")
    made = _onthaal(
        "backup",
        str(tmp_path / "b"),
        database_url=_url(connection.settings_dict),
        data_dir=tmp_path / "live",
    )
    assert made.returncode != 0 and "is not empty: back up into a new directory" in made.stderr
    assert [p.name for p in (tmp_path / "b").iterdir()] == ["other"]
