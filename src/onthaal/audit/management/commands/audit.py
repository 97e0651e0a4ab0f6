"""``onthaal audit verify`` walks the audit chain; ``onthaal audit head`` prints its head."""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from onthaal.audit import selectors


class Command(BaseCommand):
    help = "Verify the audit log's hash chain, or print its head."

    def add_arguments(self, parser: Any) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        verify = sub.add_parser(
            "verify", help="Walk the chain; exit 1 naming the first broken event."
        )
        verify.add_argument(
            "--expect-head",
            default="",
            help="A head hash kept elsewhere earlier: fail unless it is still in the chain "
            "(detects a cut-off tail).",
        )
        sub.add_parser("head", help="Print the number of events and the hash of the last one.")

    def handle(self, *args: Any, action: str, expect_head: str = "", **options: Any) -> None:
        result = selectors.verify()
        if action == "head":
            self.stdout.write(f"{result.count} {result.head}")
            return
        if not result.ok:
            self.stderr.write(
                f"Audit chain BROKEN after {result.count} good events: {result.message}"
            )
            sys.exit(1)
        if expect_head and not selectors.contains_hash(expect_head):
            raise CommandError(f"Expected head {expect_head} is no longer in the chain.")
        self.stdout.write(
            self.style.SUCCESS(f"Audit chain intact: {result.count} events, head {result.head}")
        )
