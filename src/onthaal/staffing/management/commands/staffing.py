"""``onthaal staffing import-people FILE`` and ``onthaal staffing import-absences FILE``: import
the CSV export of the time-registration system; prints what was imported and every rejected
row with its reasons. Exits with 1 when a row was rejected."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from onthaal.core.errors import DomainError
from onthaal.staffing import importing


class Command(BaseCommand):
    help = "Staff planning: import people or absences from CSV."

    def add_arguments(self, parser: Any) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        for name in ("import-people", "import-absences"):
            command = sub.add_parser(name, help=f"{name.replace('-', ' ')} from a CSV file")
            command.add_argument("file", type=Path)

    def handle(self, *args: Any, action: str, file: Path, **options: Any) -> None:
        try:
            data = file.read_bytes()
        except OSError as error:
            raise CommandError(f"cannot read {file}: {error.strerror}") from None
        try:
            if action == "import-people":
                report = importing.import_people(actor=None, data=data)
            else:
                report = importing.import_absences(actor=None, data=data)
        except DomainError as error:
            raise CommandError(
                "; ".join(m for v in error.fields.values() for m in map(str, v))
            ) from None
        self.stdout.write(
            f"Imported: {report.created} created, {report.updated} updated; "
            f"rejected: {len(report.rejected)}."
        )
        for line, reasons in report.rejected:
            self.stdout.write(f"  line {line}: {'; '.join(reasons)}")
        if report.rejected:
            sys.exit(1)
