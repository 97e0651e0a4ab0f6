"""The hash chain, pure Python: canonical content of an event and its SHA-256."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

GENESIS = "0" * 64

# The fields that make up an event's canonical content, in a fixed order.
CHAINED_FIELDS: tuple[str, ...] = (
    "at",
    "actor_type",
    "actor_id",
    "actor_label",
    "role",
    "action",
    "object_type",
    "object_id",
    "organisation_id",
    "department_id",
    "request_id",
    "ip",
    "user_agent",
    "details",
    "prev_hash",
)


def _normalise(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return value


def canonical(fields: Mapping[str, Any]) -> bytes:
    """The canonical bytes of an event: sorted-key compact JSON of the chained fields."""
    data = {name: _normalise(fields.get(name)) for name in CHAINED_FIELDS}
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def canonical_around_prev_hash(fields: Mapping[str, Any]) -> tuple[bytes, bytes]:
    """The canonical bytes before and after the value of ``prev_hash``, for a database that
    hashes ``before + prev_hash + after`` once it knows the head of the chain."""
    (before, after), _order = canonical_with_holes(fields, ["prev_hash"])
    return before + b'"', b'"' + after


def canonical_with_holes(
    fields: Mapping[str, Any], holes: Iterable[str]
) -> tuple[list[bytes], list[str]]:
    """The canonical bytes of an event cut where the database fills in values only it knows
    (the head of the chain; the row a statement has just changed).

    ``holes`` names fields, or ``details.<key>``. Returns the pieces and the holes in the order
    they occur: the content is ``pieces[0] + json(holes[0]) + pieces[1] + ...``, where
    ``json(v)`` is the value as compact JSON — a string with its quotes, a number, ``null``.
    Only for values that PostgreSQL's ``to_json`` writes as Python's ``json`` does: numbers,
    ids, hashes, ticket codes."""
    data = dict(fields)
    details = dict(data.get("details") or {})
    markers: dict[str, str] = {}
    for hole in holes:
        marker = secrets.token_hex(32)
        markers[f'"{marker}"'] = hole
        if hole.startswith("details."):
            details[hole.removeprefix("details.")] = marker
        else:
            data[hole] = marker
    data["details"] = details
    content = canonical(data)
    positions = sorted((content.index(m.encode()), m) for m in markers)
    pieces, order, start = [], [], 0
    for position, marker in positions:
        pieces.append(content[start:position])
        order.append(markers[marker])
        start = position + len(marker.encode())
    pieces.append(content[start:])
    return pieces, order


def event_hash(fields: Mapping[str, Any]) -> str:
    return hashlib.sha256(canonical(fields)).hexdigest()


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    count: int
    head: str
    broken_pk: int | None = None
    message: str = ""


def verify_chain(rows: Iterable[Mapping[str, Any]]) -> VerifyResult:
    """Walk events in chain order and report the first one that breaks the chain.

    Each row holds ``pk``, ``hash`` and the chained fields. A changed row fails its own hash;
    a deleted row leaves the next row pointing at a hash that is not its predecessor's; a row
    inserted by hand does not follow its predecessor while the row after it still does.
    """
    previous, before_previous = GENESIS, GENESIS
    previous_pk: int | None = None
    count = 0
    iterator = iter(rows)
    row = next(iterator, None)
    while row is not None:
        following = next(iterator, None)
        pk = int(row["pk"])
        if event_hash(row) != row["hash"]:
            return VerifyResult(
                False, count, previous, pk, f"event #{pk}: content changed (hash mismatch)"
            )
        if row["prev_hash"] != previous:
            if following is not None and following["prev_hash"] == previous:
                message = f"event #{pk}: inserted into the chain (it does not follow event #{previous_pk})"
                return VerifyResult(False, count, previous, pk, message)
            if count >= 1 and row["prev_hash"] == before_previous:
                message = f"event #{previous_pk}: inserted into the chain (event #{pk} follows the event before it)"
                return VerifyResult(False, count, previous, previous_pk, message)
            after = f"event #{previous_pk}" if previous_pk is not None else "the start of the chain"
            message = f"event #{pk}: previous event missing or replaced (prev_hash does not match {after})"
            return VerifyResult(False, count, previous, pk, message)
        before_previous, previous, previous_pk = previous, str(row["hash"]), pk
        count += 1
        row = following
    return VerifyResult(True, count, previous)
