"""``onthaal restore DIR``: a backup of ``onthaal backup`` into an empty database, every part
checked against the manifest first. See docs/backup.md."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from onthaal.core import backup


class Command(BaseCommand):
    help = "Restore a backup made by `onthaal backup` into an empty database."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("directory", type=Path, help="The backup's directory.")

    def handle(self, *args: Any, directory: Path, **options: Any) -> None:
        try:
            result = backup.restore(directory.resolve())
        except backup.BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"Restored {result.directory}: audit log {result.audit_count} events, "
                f"head {result.audit_head} (as backed up). Next: `onthaal migrate` if this "
                "version is newer than the backup's, then `onthaal audit verify`."
            )
        )
