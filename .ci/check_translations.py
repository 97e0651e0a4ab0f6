"""Fail when a translation catalogue is incomplete: every message needs a Dutch and a French
translation (English is the source language), none may be fuzzy, and the compiled .mo must
match the .po."""

from __future__ import annotations

import sys
from pathlib import Path

import polib

LOCALE = Path(__file__).resolve().parent.parent / "src" / "onthaal" / "locale"
REQUIRED = ["nl", "fr"]


def main() -> int:
    failures = 0
    for lang in REQUIRED:
        po_path = LOCALE / lang / "LC_MESSAGES" / "django.po"
        if not po_path.exists():
            print(f"{lang}: {po_path} is missing")  # noqa: T201
            failures += 1
            continue
        po = polib.pofile(str(po_path))
        missing = [e.msgid for e in po.untranslated_entries()]
        fuzzy = [e.msgid for e in po.fuzzy_entries()]
        print(f"{lang}: {len(po)} messages, {len(missing)} missing, {len(fuzzy)} fuzzy")  # noqa: T201
        for msgid in (missing + fuzzy)[:20]:
            print(f"  - {msgid!r}")  # noqa: T201
        failures += len(missing) + len(fuzzy)
        mo_path = po_path.with_suffix(".mo")
        compiled = (
            {(e.msgctxt, e.msgid): e.msgstr for e in polib.mofile(str(mo_path))}
            if mo_path.exists()
            else {}
        )
        stale = [
            e.msgid
            for e in po.translated_entries()
            if not e.msgid_plural and compiled.get((e.msgctxt, e.msgid)) != e.msgstr
        ]
        if stale:
            print(f"{lang}: {mo_path.name} is stale ({len(stale)} messages); run make messages")  # noqa: T201
            failures += 1
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
