"""``onthaal backup DIR``: the database, the uploaded files and the audit anchors, with a
manifest (SHA-256 of each part, the audit head). See docs/backup.md."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from onthaal.core import backup


class Command(BaseCommand):
    help = "Back up the database, the uploaded files and the audit anchors into a new directory."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("directory", type=Path, help="A new (or empty) directory.")

    def handle(self, *args: Any, directory: Path, **options: Any) -> None:
        try:
            result = backup.backup(directory.resolve())
        except backup.BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"Backed up into {result.directory}: audit log {result.audit_count} events, "
                f"head {result.audit_head}"
            )
        )
