"""The hash chains, pure Python: canonical content of an event, its SHA-256, and verification.

The log is a set of chains (``CHAINS`` of them on PostgreSQL, one on SQLite): each event
belongs to one chain and carries the hash of the event before it in that chain. The first
event of chain ``k`` follows ``genesis(k)``. See ADR 0010.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson

GENESIS = "0" * 64  # what the first event of chain 0 follows: genesis(0)

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


def genesis(chain: int) -> str:
    """What the first event of ``chain`` follows: the chain's number as 64 hex digits. Every
    chain starts from a different value, so ``prev_hash`` stays unique across chains."""
    return f"{chain:064x}"


def canonical_time(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical(fields: Mapping[str, Any]) -> bytes:
    """The canonical bytes of an event: sorted-key compact JSON of the chained fields, the
    time as ``YYYY-MM-DDTHH:MM:SS.ffffffZ`` (UTC). ``at`` may be given already written so.
    (The time is the only field that is not a JSON value: details are JSON.)"""
    return json.dumps(
        _chained_values(fields), sort_keys=True, separators=(",", ":"), ensure_ascii=False
    ).encode()


def _chained_values(fields: Mapping[str, Any]) -> dict[str, Any]:
    """The chained fields of an event as JSON values (the time written as text)."""
    data = {name: fields.get(name) for name in CHAINED_FIELDS}
    at = data["at"]
    if isinstance(at, dt.datetime):
        data["at"] = canonical_time(at)
    return data


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


def hash_matches(fields: Mapping[str, Any], expected: str) -> bool:
    """Whether ``expected`` is the event's hash, as ``event_hash(fields) == expected``, about
    fifteen times faster for verification: the same content serialised by orjson, which writes
    the same canonical bytes as ``canonical`` for the values the log holds (strings, integers,
    null, the details' JSON). Where it would write other bytes (a float it formats otherwise,
    an integer beyond 64 bits, a value it does not serialise) the hashes differ or it refuses,
    and the event is judged by ``event_hash``: the answer is always ``event_hash``'s."""
    try:
        fast = orjson.dumps(_chained_values(fields), option=orjson.OPT_SORT_KEYS)
    except orjson.JSONEncodeError:
        return event_hash(fields) == expected
    return hashlib.sha256(fast).hexdigest() == expected or event_hash(fields) == expected


def heads_digest(heads: Mapping[int, tuple[int, str]]) -> str:
    """The head of the whole log: SHA-256 over each chain's number and last hash, in chain
    order (``heads`` maps a chain to its last event's pk and hash). ``GENESIS`` when empty."""
    if not heads:
        return GENESIS
    text = "".join(f"{chain} {heads[chain][1]}\n" for chain in sorted(heads))
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    count: int
    head: str  # heads_digest of the chains' last good events
    broken_pk: int | None = None
    message: str = ""
    heads: Mapping[int, tuple[int, str]] = field(default_factory=dict)


@dataclass
class _Chain:
    """Where the walk of one chain stands."""

    number: int
    previous: str
    before_previous: str
    previous_pk: int | None = None
    # A row that does not follow ``previous``: what it is depends on the chain's next row.
    pending: Mapping[str, Any] | None = None


class _Broken(Exception):
    def __init__(self, pk: int | None, message: str) -> None:
        super().__init__(message)
        self.pk, self.message = pk, message


def _judge(state: _Chain, row: Mapping[str, Any], following: Mapping[str, Any] | None) -> None:
    """``row`` does not follow the last good event of its chain: say why (raises)."""
    pk = int(row["pk"])
    if following is not None and following["prev_hash"] == state.previous:
        raise _Broken(
            pk,
            f"event #{pk}: inserted into the chain (it does not follow event #{state.previous_pk})",
        )
    if state.previous_pk is not None and row["prev_hash"] == state.before_previous:
        raise _Broken(
            state.previous_pk,
            f"event #{state.previous_pk}: inserted into the chain "
            f"(event #{pk} follows the event before it)",
        )
    after = (
        f"event #{state.previous_pk}"
        if state.previous_pk is not None
        else f"the start of chain {state.number}"
    )
    raise _Broken(
        pk, f"event #{pk}: previous event missing or replaced (prev_hash does not match {after})"
    )


def verify_chain(
    rows: Iterable[Mapping[str, Any]], anchor: Mapping[int, tuple[int, str]] | None = None
) -> VerifyResult:
    """Walk events in primary-key order and report the first one found that breaks its chain.

    Each row holds ``pk``, ``hash``, ``chain`` (0 when absent) and the chained fields. A
    changed row fails its own hash; a deleted row leaves the next row of its chain pointing at a
    hash that is not its predecessor's; a row inserted by hand does not follow its predecessor
    while the row after it still does.

    ``anchor`` (chain -> pk and hash of its last event when the anchor was written, see
    ``onthaal.audit.anchors``) catches what a consistent chain cannot show by itself: a chain
    rewritten and hashed again from some event on (the anchored event's hash differs), or cut
    off (the anchored event is gone).
    """
    chains: dict[int, _Chain] = {}
    anchored = dict(anchor or {})
    count = 0
    try:
        for row in rows:
            pk = int(row["pk"])
            number = int(row.get("chain") or 0)
            state = chains.get(number)
            if state is None:
                state = chains[number] = _Chain(number, genesis(number), genesis(number))
            if not hash_matches(row, row["hash"]):
                raise _Broken(pk, f"event #{pk}: content changed (hash mismatch)")
            if state.pending is not None:
                _judge(state, state.pending, row)
            if row["prev_hash"] != state.previous:
                state.pending = row
                continue
            state.before_previous, state.previous, state.previous_pk = (
                state.previous,
                str(row["hash"]),
                pk,
            )
            count += 1
            if anchored.get(number, (None, ""))[0] == pk and anchored.pop(number)[1] != row["hash"]:
                raise _Broken(
                    pk,
                    f"event #{pk}: not the event the anchor holds (chain {number} was "
                    "rewritten up to here and hashed again)",
                )
        for state in chains.values():
            if state.pending is not None:
                _judge(state, state.pending, None)
        for number, (pk, _hash) in sorted(anchored.items()):
            raise _Broken(
                pk, f"event #{pk}: in the anchor but no longer in chain {number} (cut off)"
            )
    except _Broken as broken:
        heads = _heads(chains)
        return VerifyResult(False, count, heads_digest(heads), broken.pk, broken.message, heads)
    heads = _heads(chains)
    return VerifyResult(True, count, heads_digest(heads), heads=heads)


def _heads(chains: Mapping[int, _Chain]) -> dict[int, tuple[int, str]]:
    return {
        n: (state.previous_pk, state.previous)
        for n, state in chains.items()
        if state.previous_pk is not None
    }
