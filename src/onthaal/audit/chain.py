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
    marker = secrets.token_hex(32)
    content = canonical({**fields, "prev_hash": marker})
    before, found, after = content.partition(f'"prev_hash":"{marker}"'.encode())
    assert found, "prev_hash is a top-level key of the canonical content"
    return before + b'"prev_hash":"', b'"' + after


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
