"""The Belgian structured communication ("gestructureerde mededeling", OGM/VCS):
+++123/4567/89002+++, ten digits and two check digits, the remainder of the ten digits
divided by 97 (97 when that remainder is 0). Pure functions, no Django."""

from __future__ import annotations

import re

_DIGITS = re.compile(r"\d")


def check_digits(base: int) -> int:
    remainder = base % 97
    return remainder or 97


def make(base: int) -> str:
    """The 12 digits of the communication for ``base`` (0 <= base < 10**10)."""
    if not 0 <= base < 10**10:
        raise ValueError("the base of a structured communication has at most ten digits")
    return f"{base:010d}{check_digits(base):02d}"


def normalise(text: str) -> str | None:
    """The 12 digits of ``text`` when it is a valid structured communication in any of its
    written forms (+++123/4567/89002+++, ***123/4567/89002***, 123456789002); else None."""
    digits = "".join(_DIGITS.findall(text or ""))
    if len(digits) != 12:
        return None
    if int(digits[10:]) != check_digits(int(digits[:10])):
        return None
    return digits


def display(digits: str) -> str:
    """``+++123/4567/89002+++`` for the 12 digits."""
    return f"+++{digits[:3]}/{digits[3:7]}/{digits[7:]}+++"
