"""Backup and restore of an install: the database, the uploaded files and the audit anchors, with
a manifest that holds the SHA-256 of each part and the audit log's head at the backup.

* PostgreSQL: ``pg_dump`` in its custom format, of a snapshot in which the audit head is read
  too (``pg_export_snapshot``), so the manifest's head is the dump's; restored with
  ``pg_restore`` into an empty database. Both come from Debian's ``postgresql-client``, which
  must be at least the server's major version.
* SQLite: SQLite's online backup API (a consistent copy while the app runs), copied back into
  an empty database file.

``restore`` checks every part against the manifest first, refuses a database that holds any
table, and leaves an existing anchor file alone (the install's own anchors then show what the
backup lacks). See docs/backup.md.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection

from onthaal.audit import chain
from onthaal.audit.services import CHAINS
from onthaal.core import clock

MANIFEST = "manifest.json"
FORMAT = 1
PG_DUMP_FILE = "database.dump"
SQLITE_FILE = "database.sqlite3"
MEDIA_DIR = "media"
ANCHORS_FILE = "audit-anchors.jsonl"


class BackupError(Exception):
    """A backup or restore cannot go on; the message says why and what to do."""


@dataclass(frozen=True)
class Result:
    directory: Path
    audit_count: int
    audit_head: str


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as source:
        for block in iter(lambda: source.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _files(directory: Path) -> Iterator[Path]:
    for path in sorted(directory.rglob("*")):
        if path.is_file():
            yield path


def _audit_head(cursor: Any, placeholder: str = "%s") -> tuple[int, str]:
    """The number of audit events and the head of the log, read with ``cursor`` (a DB-API
    cursor on the database being backed up or restored, in the snapshot that matters)."""
    cursor.execute("SELECT count(*) FROM audit_auditevent")
    count = int(cursor.fetchone()[0])
    heads = {}
    last = "SELECT id, hash FROM audit_auditevent WHERE chain = {} ORDER BY id DESC LIMIT 1"
    for number in range(CHAINS):
        cursor.execute(last.format(placeholder), [number])
        row = cursor.fetchone()
        if row is not None:
            heads[number] = (int(row[0]), str(row[1]))
    return count, chain.heads_digest(heads)


# --- PostgreSQL ------------------------------------------------------------------------------


def _pg_env() -> dict[str, str]:
    """libpq's environment for pg_dump and pg_restore: the app's database settings."""
    db: Mapping[str, Any] = settings.DATABASES["default"]
    env = {**os.environ, "PGDATABASE": str(db["NAME"])}
    for key, variable in (
        ("HOST", "PGHOST"),
        ("PORT", "PGPORT"),
        ("USER", "PGUSER"),
        ("PASSWORD", "PGPASSWORD"),
    ):
        if db.get(key):
            env[variable] = str(db[key])
    return env


def _pg_tool(name: str) -> str:
    """The path of ``pg_dump`` or ``pg_restore``, at least the server's major version."""
    path = shutil.which(name)
    if path is None:
        raise BackupError(
            f"{name} is not installed: install PostgreSQL's client tools "
            "(Debian: apt-get install postgresql-client)."
        )
    output = subprocess.run(  # noqa: S603  (a fixed tool, no shell)
        [path, "--version"], capture_output=True, text=True, check=True
    ).stdout
    found = re.search(r"(\d+)(?:\.\d+)?", output)
    tool_major = int(found.group(1)) if found else 0
    server_major = connection.pg_version // 10000  # type: ignore[attr-defined]
    if tool_major < server_major:
        raise BackupError(
            f"{name} {tool_major} is older than the server ({server_major}): install the "
            f"client tools of PostgreSQL {server_major} or later."
        )
    return path


def _dump_postgresql(directory: Path) -> tuple[int, str]:
    pg_dump = _pg_tool("pg_dump")
    connection.ensure_connection()
    # One snapshot for the dump and the head: the manifest's head is exactly the dump's.
    with connection.cursor() as cursor:
        cursor.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        try:
            cursor.execute("SELECT pg_export_snapshot()")
            snapshot = cursor.fetchone()[0]
            count, head = _audit_head(cursor)
            run = subprocess.run(  # noqa: S603
                [
                    pg_dump,
                    "--format=custom",
                    f"--snapshot={snapshot}",
                    f"--file={directory / PG_DUMP_FILE}",
                ],
                env=_pg_env(),
                capture_output=True,
                text=True,
                check=False,
            )
        finally:
            cursor.execute("COMMIT")
    if run.returncode != 0:
        raise BackupError(f"pg_dump failed: {run.stderr.strip()}")
    return count, head


def _restore_postgresql(directory: Path) -> None:
    pg_restore = _pg_tool("pg_restore")
    run = subprocess.run(  # noqa: S603
        [
            pg_restore,
            "--no-owner",
            "--no-privileges",
            "--exit-on-error",
            "--single-transaction",
            f"--dbname={settings.DATABASES['default']['NAME']}",
            str(directory / PG_DUMP_FILE),
        ],
        env=_pg_env(),
        capture_output=True,
        text=True,
        check=False,
    )
    if run.returncode != 0:
        raise BackupError(f"pg_restore failed, nothing was restored: {run.stderr.strip()}")


# --- SQLite ----------------------------------------------------------------------------------


def _dump_sqlite(directory: Path) -> tuple[int, str]:
    source = sqlite3.connect(str(settings.DATABASES["default"]["NAME"]))
    target = sqlite3.connect(str(directory / SQLITE_FILE))
    try:
        source.backup(target)  # the online backup API: a consistent copy, writers go on
    finally:
        source.close()
    try:
        return _audit_head(target.cursor(), "?")
    finally:
        target.close()


def _restore_sqlite(directory: Path) -> None:
    source = sqlite3.connect(str(directory / SQLITE_FILE))
    target = sqlite3.connect(str(settings.DATABASES["default"]["NAME"]))
    try:
        source.backup(target)
    finally:
        source.close()
        target.close()


# --- both --------------------------------------------------------------------------------------


@contextmanager
def _new_directory(directory: Path) -> Iterator[None]:
    if directory.exists() and any(directory.iterdir()):
        raise BackupError(f"{directory} is not empty: back up into a new directory.")
    directory.mkdir(parents=True, exist_ok=True)
    directory.chmod(0o700)  # it holds personal data
    try:
        yield
    except BaseException:
        shutil.rmtree(directory, ignore_errors=True)  # no half backup that looks whole
        raise


def backup(directory: Path) -> Result:
    """Back the install up into ``directory`` (new or empty)."""
    with _new_directory(directory):
        if connection.vendor == "postgresql":
            database, (count, head) = PG_DUMP_FILE, _dump_postgresql(directory)
        elif connection.vendor == "sqlite":
            database, (count, head) = SQLITE_FILE, _dump_sqlite(directory)
        else:
            raise BackupError(f"no backup for {connection.vendor}")
        media = Path(settings.MEDIA_ROOT)
        if media.is_dir():
            shutil.copytree(media, directory / MEDIA_DIR)
        anchors = Path(settings.AUDIT_ANCHOR_FILE)
        if anchors.is_file():
            shutil.copy2(anchors, directory / ANCHORS_FILE)
        parts = {
            str(path.relative_to(directory)): {
                "sha256": _sha256(path),
                "bytes": path.stat().st_size,
            }
            for path in _files(directory)
        }
        manifest = {
            "format": FORMAT,
            "created": clock.now().isoformat(),
            "database": {"vendor": connection.vendor, "file": database},
            "audit": {"events": count, "head": head},
            "parts": parts,
        }
        (directory / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
    return Result(directory, count, head)


def read_manifest(directory: Path) -> Mapping[str, Any]:
    """The manifest of the backup in ``directory``, every part checked against it."""
    path = directory / MANIFEST
    if not path.is_file():
        raise BackupError(f"{directory} holds no backup ({MANIFEST} is missing).")
    manifest = json.loads(path.read_text())
    if manifest.get("format") != FORMAT:
        raise BackupError(f"unknown backup format {manifest.get('format')!r}")
    found = {str(p.relative_to(directory)) for p in _files(directory)} - {MANIFEST}
    listed = set(manifest["parts"])
    if found != listed:
        raise BackupError(
            "the backup's files are not those of its manifest: "
            f"missing {sorted(listed - found)}, unexpected {sorted(found - listed)}"
        )
    for name, part in sorted(manifest["parts"].items()):
        if _sha256(directory / name) != part["sha256"]:
            raise BackupError(f"{name} does not match its SHA-256 in the manifest: damaged.")
    return manifest


def _existing_tables() -> list[str]:
    connection.ensure_connection()
    with connection.cursor() as cursor:
        return sorted(connection.introspection.table_names(cursor))


def restore(directory: Path) -> Result:
    """Restore the backup in ``directory`` into this install's database, which must be empty."""
    manifest = read_manifest(directory)
    vendor = manifest["database"]["vendor"]
    if vendor != connection.vendor:
        raise BackupError(
            f"the backup is of a {vendor} database; this install uses {connection.vendor}."
        )
    tables = _existing_tables()
    if tables:
        name = settings.DATABASES["default"]["NAME"]
        raise BackupError(
            f"the database {name} is not empty ({len(tables)} tables, e.g. {tables[0]}): restore "
            "only into an empty database. Create a new one and point DATABASE_URL at it."
        )
    media = Path(settings.MEDIA_ROOT)
    if (directory / MEDIA_DIR).is_dir() and media.is_dir() and any(media.iterdir()):
        raise BackupError(f"{media} is not empty: restore the files into an empty one.")
    if vendor == "postgresql":
        _restore_postgresql(directory)
    else:
        _restore_sqlite(directory)
    connection.close()
    if (directory / MEDIA_DIR).is_dir():
        shutil.copytree(directory / MEDIA_DIR, media, dirs_exist_ok=True)
    anchors = Path(settings.AUDIT_ANCHOR_FILE)
    if (directory / ANCHORS_FILE).is_file() and not anchors.exists():
        anchors.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(directory / ANCHORS_FILE, anchors)
    if vendor == "postgresql":
        with connection.cursor() as cursor:
            count, head = _audit_head(cursor)
    else:
        restored = sqlite3.connect(str(settings.DATABASES["default"]["NAME"]))
        try:
            count, head = _audit_head(restored.cursor(), "?")
        finally:
            restored.close()
    if (count, head) != (manifest["audit"]["events"], manifest["audit"]["head"]):
        raise BackupError(
            f"the restored audit log ({count} events, head {head}) is not the backup's "
            f"({manifest['audit']['events']} events, head {manifest['audit']['head']})."
        )
    return Result(directory, count, head)
