"""``onthaal upgrade --check``: the migrations an upgrade will run and which of them lock or
rewrite large tables; ``onthaal upgrade``: the same, then ``migrate`` and ``collectstatic``."""

from __future__ import annotations

from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand

from onthaal.operations import upgrade


class Command(BaseCommand):
    help = "Say which migrations an upgrade runs and which lock large tables; then run them."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--check", action="store_true", help="Only say what would run; change nothing."
        )
        parser.add_argument(
            "--large-rows",
            type=int,
            default=upgrade.LARGE_ROWS,
            help="A table with at least this many rows is large (default %(default)s).",
        )

    def handle(self, *args: Any, check: bool, large_rows: int, **options: Any) -> None:
        steps = upgrade.plan(large_rows=large_rows)
        if not steps:
            self.stdout.write("No migrations to run: the database is up to date.")
        else:
            self.stdout.write(f"{len(steps)} migrations to run:")
        for step in steps:
            flag = "  LOCKS LARGE TABLES" if step.locks_large_tables else ""
            self.stdout.write(f"  {step.migration}{flag}")
            for finding in step.findings:
                if not finding.effect:
                    continue
                where = (
                    f" on {finding.table} ({finding.rows:,} rows)"
                    if finding.table and finding.rows is not None
                    else ""
                )
                mark = "!" if finding.large else "-"
                self.stdout.write(f"    {mark} {finding.operation}{where}: {finding.effect}")
        large = [step.migration for step in steps if step.locks_large_tables]
        if large:
            self.stdout.write(
                f"{len(large)} of them lock or rewrite a table of {large_rows:,} rows or more: "
                "plan the upgrade outside opening hours (docs/upgrade.md)."
            )
        if check or not steps:
            return
        call_command("migrate", interactive=False)
        call_command("collectstatic", interactive=False, verbosity=0)
        self.stdout.write("Upgraded. Then: onthaal audit verify; restart the services.")
