"""``onthaal audit verify`` walks the audit chains and checks them against the latest anchor;
``onthaal audit head`` prints the log's head; ``onthaal audit anchor`` writes an anchor now."""

from __future__ import annotations

import sys
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from onthaal.audit import anchors, selectors


class Command(BaseCommand):
    help = "Verify the audit log's hash chains, print its head, or anchor it."

    def add_arguments(self, parser: Any) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        verify = sub.add_parser(
            "verify",
            help="Walk the chains and check them against the latest anchor; exit 1 naming "
            "the first broken event.",
        )
        verify.add_argument(
            "--expect-head",
            default="",
            help="The hash of an event noted elsewhere earlier: fail unless it is still in "
            "the log.",
        )
        sub.add_parser("head", help="Print the number of events and the head of the log.")
        sub.add_parser(
            "anchor", help="Sign the chains' heads and append them to the anchor file now."
        )

    def handle(self, *args: Any, action: str, expect_head: str = "", **options: Any) -> None:
        if action == "anchor":
            written = anchors.write()
            self.stdout.write(f"Anchored {written.at}: head {written.head}")
            return
        if action == "head":
            result = selectors.verify()
            self.stdout.write(f"{result.count} {result.head}")
            return
        try:
            anchor = anchors.latest()
        except anchors.AnchorError as exc:
            self.stderr.write(f"Audit anchors BROKEN: {exc}")
            sys.exit(1)
        result = selectors.verify(anchor.heads if anchor else None)
        if not result.ok:
            self.stderr.write(
                f"Audit chain BROKEN after {result.count} good events: {result.message}"
            )
            sys.exit(1)
        if expect_head and not selectors.contains_hash(expect_head):
            raise CommandError(f"Expected head {expect_head} is no longer in the chain.")
        if anchor is None:
            self.stderr.write(
                f"No anchor in {settings.AUDIT_ANCHOR_FILE}: the chains are consistent, but a "
                "chain rewritten as a whole would be too. Run `onthaal audit anchor` (the "
                "worker writes one regularly)."
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"Audit chain intact: {result.count} events in {len(result.heads)} chains, "
                f"head {result.head}" + (f"; matches the anchor of {anchor.at}" if anchor else "")
            )
        )
