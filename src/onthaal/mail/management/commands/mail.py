"""``onthaal mail``: the retention jobs of the mail register, now (the worker runs them as
well).

- ``onthaal mail propose [--year Y]``: the yearly proposal — a destruction list per
  organisation with due items and no list of the year yet (the worker: once an hour).
- ``onthaal mail destroy``: carry out the approved destruction lists (the worker: every
  minute).
- ``onthaal mail archive LIST --as USERNAME --output FILE``: the package for the archive of
  the items to transfer on an approved list, built as that person (what they may not read is
  left out and recorded).
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from onthaal.core.errors import DomainError
from onthaal.mail import archive, retention


class Command(BaseCommand):
    help = "Mail register: propose the yearly destruction lists, carry out approved lists, "
    help += "make the archive package of a list."

    def add_arguments(self, parser: Any) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        propose = sub.add_parser(
            "propose",
            help="Draw up this year's destruction list for each organisation that has items "
            "whose retention period ended and no list of the year yet.",
        )
        propose.add_argument("--year", type=int, default=None)
        sub.add_parser(
            "destroy",
            help="Carry out every approved destruction list: remove the files and personal "
            "fields of the items to destroy, mark those to transfer.",
        )
        package = sub.add_parser(
            "archive",
            help="Write the archive package (ZIP, BagIt layout) of the items to transfer on "
            "an approved destruction list.",
        )
        package.add_argument("list", type=int, help="The destruction list's number.")
        package.add_argument("--as", dest="username", required=True, help="Who builds it.")
        package.add_argument("--output", required=True, help="The ZIP file to write.")

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        if action == "propose":
            made = retention.propose_yearly(year=options["year"])
            self.stdout.write(
                "Proposed: "
                + (
                    ", ".join(
                        f"list {d.pk} ({d.organisation}, {d.year}, {d.lines.count()} items)"
                        for d in made
                    )
                    or "none"
                )
                + "."
            )
        elif action == "archive":
            self._archive(options["list"], options["username"], options["output"])
        else:
            result = retention.carry_out()
            self.stdout.write(
                f"Destroyed {len(result.destroyed)} items ({result.files_removed} files "
                f"removed), transferred {len(result.transferred)}; lists carried out: "
                f"{', '.join(map(str, result.lists_done)) or 'none'}."
            )

    def _archive(self, pk: int, username: str, output: str) -> None:
        user = get_user_model().objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(f"No active user {username!r}.")
        try:
            with open(output, "wb") as target:
                package = archive.write_package(actor=user, list_pk=pk, target=target)
        except DomainError as error:
            raise CommandError(str(error.message)) from error
        self.stdout.write(
            f"Wrote {output}: {len(package.items)} items, {package.files} files"
            + (f"; left out (no access): {', '.join(package.withheld)}" if package.withheld else "")
            + "."
        )
