"""The answers of an e-loket form, checked against its fields: pure Python on dataclasses,
no Django models (the service loads the fields and stores the result).

A field may be shown only when another field has a given value ("show when"); a hidden field
is neither required nor kept. Files are checked on their bytes by the service; here only
whether a required file is there.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from stdnum.be import nn as stdnum_nn
from stdnum.exceptions import ValidationError as StdnumError

KINDS = (
    "text",
    "long_text",
    "number",
    "date",
    "choice",
    "checkbox",
    "email",
    "phone",
    "address",
    "national_number",
    "file",
)
MAX_TEXT = 200
MAX_LONG_TEXT = 5000
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONE = re.compile(r"^\+?[0-9 ./()-]{8,20}$")


@dataclasses.dataclass(frozen=True)
class FieldSpec:
    key: str
    kind: str
    label: str = ""
    required: bool = False
    choices: tuple[str, ...] = ()
    show_when_key: str = ""
    show_when_value: str = ""


@dataclasses.dataclass
class Checked:
    answers: dict[str, Any]
    errors: dict[str, list[str]]
    files: dict[str, int]  # file field key -> number of files given

    @property
    def valid(self) -> bool:
        return not self.errors


Messages = Mapping[str, str]

# The default (English) messages; the service passes translated ones.
MESSAGES: dict[str, str] = {
    "required": "This field is required.",
    "too_long": "This text is too long.",
    "number": "Give a number.",
    "date": "Give a date as YYYY-MM-DD.",
    "choice": "Choose one of the options.",
    "email": "Give a valid e-mail address.",
    "phone": "Give a valid phone number.",
    "national_number": "This is not a valid national register number.",
    "unknown": "This form has no such field.",
    "not_needed": "This request does not need your national register number; leave it out.",
    "checkbox": "Tick the box or leave it empty.",
}


class _Anything:
    def __contains__(self, value: object) -> bool:
        return True


def _possible(spec: FieldSpec) -> Any:
    """The values a field can have, as far as a "show when" may compare with them."""
    if spec.kind == "choice":
        return spec.choices
    if spec.kind == "checkbox":
        return ("yes", "")
    return _Anything()


def show_when_problems(specs: Sequence[FieldSpec]) -> dict[str, str]:
    """The "show when" conditions of a form version (fields in their order) that cannot work,
    as field key -> code: ``no_key`` (a value but no field named), ``unknown`` (no field with
    that key), ``self`` (the field itself), ``later`` (a field that comes after it: the
    citizen answers from top to bottom), ``file`` (a file field has no value to compare),
    ``value`` (a value the field named cannot have: not one of a choice's options, not
    "yes" or empty for a checkbox)."""
    problems: dict[str, str] = {}
    seen: dict[str, FieldSpec] = {}
    keys = {spec.key for spec in specs}
    for spec in specs:
        target_key = spec.show_when_key
        if not target_key:
            if spec.show_when_value:
                problems[spec.key] = "no_key"
        elif target_key == spec.key:
            problems[spec.key] = "self"
        elif target_key not in seen:
            problems[spec.key] = "later" if target_key in keys else "unknown"
        else:
            target = seen[target_key]
            if target.kind == "file":
                problems[spec.key] = "file"
            elif spec.show_when_value not in _possible(target):
                problems[spec.key] = "value"
        seen.setdefault(spec.key, spec)
    return problems


def is_visible(spec: FieldSpec, raw: Mapping[str, Any]) -> bool:
    if not spec.show_when_key:
        return True
    value = raw.get(spec.show_when_key)
    if isinstance(value, bool):
        value = "yes" if value else ""
    return str(value or "").strip() == spec.show_when_value


def _truthy(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    text = str(value or "").strip().lower()
    if text in ("", "0", "false", "no", "off", "nee", "non"):
        return False
    if text in ("1", "true", "yes", "on", "ja", "oui"):
        return True
    return None


def national_number(value: str) -> str | None:
    """The 11 digits of a valid Belgian national register number, else None."""
    try:
        return str(stdnum_nn.validate(value))
    except StdnumError:
        return None


def _check_one(spec: FieldSpec, value: Any, msg: Messages) -> tuple[Any, str | None]:
    kind = spec.kind
    if kind == "checkbox":
        truth = _truthy(value)
        if truth is None:
            return None, msg["checkbox"]
        if spec.required and not truth:
            return None, msg["required"]
        return truth, None
    if isinstance(value, list | tuple):
        value = value[0] if value else ""
    if isinstance(value, dict | list):
        return None, msg["required"]
    text = "" if value is None else str(value).strip()
    if not text:
        return None, msg["required"] if spec.required else None
    if kind == "long_text":
        return (text, None) if len(text) <= MAX_LONG_TEXT else (None, msg["too_long"])
    if kind in ("text", "address"):
        limit = MAX_TEXT * (2 if kind == "address" else 1)
        return (text, None) if len(text) <= limit else (None, msg["too_long"])
    if kind == "number":
        try:
            number = Decimal(text.replace(",", "."))
        except InvalidOperation:
            return None, msg["number"]
        if not number.is_finite() or abs(number) >= 10**12:
            return None, msg["number"]
        return str(number), None
    if kind == "date":
        try:
            return dt.date.fromisoformat(text).isoformat(), None
        except ValueError:
            return None, msg["date"]
    if kind == "choice":
        return (text, None) if text in spec.choices else (None, msg["choice"])
    if kind == "email":
        ok = len(text) <= 254 and _EMAIL.match(text)
        return (text, None) if ok else (None, msg["email"])
    if kind == "phone":
        return (text, None) if _PHONE.match(text) else (None, msg["phone"])
    if kind == "national_number":
        digits = national_number(text)
        return (digits, None) if digits else (None, msg["national_number"])
    return None, msg["unknown"]


def check(
    specs: Sequence[FieldSpec],
    raw: Mapping[str, Any],
    files: Mapping[str, int] | None = None,
    *,
    messages: Messages = MESSAGES,
    national_number_allowed: bool = True,
    prefill: Mapping[str, Any] | None = None,
) -> Checked:
    """Check ``raw`` (field key -> text, list or bool) and ``files`` (field key -> count)
    against ``specs``. Keys that are not fields of the form are refused, each on its own key
    (a national register number where the product needs none, with its own message)."""
    files = files or {}
    merged: dict[str, Any] = {**(prefill or {}), **raw}
    answers: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    known = {spec.key for spec in specs}
    for key in list(merged) + list(files):
        if key not in known:
            nn_like = "national" in key or key in ("nn", "rijksregisternummer", "rrn")
            errors[key] = [messages["not_needed"] if nn_like else messages["unknown"]]
    given: dict[str, int] = {}
    for spec in specs:
        if not is_visible(spec, merged):
            continue
        if spec.kind == "file":
            count = int(files.get(spec.key, 0))
            if spec.required and count == 0:
                errors[spec.key] = [messages["required"]]
            given[spec.key] = count
            continue
        if spec.kind == "national_number" and not national_number_allowed:
            if str(merged.get(spec.key) or "").strip():
                errors[spec.key] = [messages["not_needed"]]
            continue
        value, error = _check_one(spec, merged.get(spec.key), messages)
        if error:
            errors[spec.key] = [error]
        elif value is not None:
            answers[spec.key] = value
    return Checked(answers=answers, errors=errors, files=given)


def json_schema(
    specs: Sequence[FieldSpec], title: str, describe: Callable[[FieldSpec], str]
) -> dict[str, Any]:
    """The form as a JSON Schema (draft 2020-12): one property per field, ``required`` for the
    required fields that are always shown; a shown-when field says so in ``x-show-when``."""
    kinds: dict[str, dict[str, Any]] = {
        "text": {"type": "string", "maxLength": MAX_TEXT},
        "long_text": {"type": "string", "maxLength": MAX_LONG_TEXT},
        "address": {"type": "string", "maxLength": 2 * MAX_TEXT},
        "number": {"type": "number"},
        "date": {"type": "string", "format": "date"},
        "choice": {"type": "string"},
        "checkbox": {"type": "boolean"},
        "email": {"type": "string", "format": "email"},
        "phone": {"type": "string", "pattern": _PHONE.pattern},
        "national_number": {"type": "string", "pattern": r"^[0-9 .-]{11,15}$"},
        "file": {"type": "string", "format": "binary", "contentMediaType": "application/pdf"},
    }
    properties: dict[str, Any] = {}
    required: list[str] = []
    for spec in specs:
        prop = dict(kinds[spec.kind])
        prop["title"] = spec.label
        description = describe(spec)
        if description:
            prop["description"] = description
        if spec.kind == "choice":
            prop["enum"] = list(spec.choices)
        prop["x-kind"] = spec.kind
        if spec.show_when_key:
            prop["x-show-when"] = {"field": spec.show_when_key, "equals": spec.show_when_value}
        elif spec.required:
            required.append(spec.key)
        properties[spec.key] = prop
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": title,
        "type": "object",
        "properties": properties,
        "required": required,
        "additionalProperties": False,
    }
