"""``onthaal mail destroy``: carry out the approved destruction lists now (the worker does it
every minute as well)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from onthaal.mail import retention


class Command(BaseCommand):
    help = "Mail register: carry out approved destruction lists (destroy, transfer)."

    def add_arguments(self, parser: Any) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser(
            "destroy",
            help="Carry out every approved destruction list: remove the files and personal "
            "fields of the items to destroy, mark those to transfer.",
        )

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        result = retention.carry_out()
        self.stdout.write(
            f"Destroyed {len(result.destroyed)} items ({result.files_removed} files removed), "
            f"transferred {len(result.transferred)}; lists carried out: "
            f"{', '.join(map(str, result.lists_done)) or 'none'}."
        )
