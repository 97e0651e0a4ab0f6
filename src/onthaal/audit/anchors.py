"""Anchors: the heads of the audit chains, signed and kept outside the database.

The hash chains show that no event was changed, removed or slipped in *unless the whole rest
of a chain was hashed again*, which anyone who can write the table can do: the hash has no key.
An anchor holds each chain's last event (its pk and hash) at a moment, signed with HMAC-SHA256
under a key that is not in the database, and is appended to a file (and logged) where the
database's role cannot write. ``onthaal audit verify`` checks the chains against the latest
anchor: an anchored event that was rewritten, or is gone, is found.

Each anchor also carries the signature of the one before it in the file, so a line removed
from the middle is seen too. Written by the worker every ``AUDIT_ANCHOR_MINUTES`` when the log
has grown, and on demand by ``onthaal audit anchor``. See docs/audit.md and ADR 0010.
"""

from __future__ import annotations

import fcntl
import hashlib
import hmac
import json
import logging
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from onthaal.audit import chain, selectors
from onthaal.core import clock

log = logging.getLogger("onthaal.audit.anchors")


class AnchorError(Exception):
    """The anchors cannot be trusted or read: a bad signature, a broken sequence, no key."""


@dataclass(frozen=True)
class Anchor:
    at: str  # UTC, as the chain writes times
    heads: Mapping[int, tuple[int, str]]  # chain -> (pk, hash) of its last event
    prev: str  # the signature of the anchor before it in the file; "" for the first
    mac: str

    @property
    def head(self) -> str:
        return chain.heads_digest(self.heads)

    def line(self) -> str:
        return json.dumps({**_content(self.at, self.heads, self.prev), "mac": self.mac})


def _content(at: str, heads: Mapping[int, tuple[int, str]], prev: str) -> dict[str, object]:
    return {
        "at": at,
        "heads": [[number, *heads[number]] for number in sorted(heads)],
        "prev": prev,
    }


def _mac(key: bytes, at: str, heads: Mapping[int, tuple[int, str]], prev: str) -> str:
    payload = json.dumps(_content(at, heads, prev), sort_keys=True, separators=(",", ":"))
    return hmac.new(key, payload.encode(), hashlib.sha256).hexdigest()


def sign(key: bytes, at: str, heads: Mapping[int, tuple[int, str]], prev: str) -> Anchor:
    return Anchor(at, dict(heads), prev, _mac(key, at, heads, prev))


def parse(key: bytes, line: str) -> Anchor:
    """One line of the anchor file, its signature checked."""
    try:
        data = json.loads(line)
        heads = {int(n): (int(pk), str(h)) for n, pk, h in data["heads"]}
        anchor = Anchor(str(data["at"]), heads, str(data["prev"]), str(data["mac"]))
    except (ValueError, KeyError, TypeError) as exc:
        raise AnchorError(f"unreadable anchor: {line[:80]!r}") from exc
    if not hmac.compare_digest(anchor.mac, _mac(key, anchor.at, heads, anchor.prev)):
        raise AnchorError(
            f"the anchor of {anchor.at} does not carry a valid signature "
            "(changed, forged, or signed with another key)"
        )
    return anchor


def key(*, create: bool = False) -> bytes:
    """The signing key: ``AUDIT_ANCHOR_KEY``, else the key file (made once, 0600, when
    ``create``)."""
    if settings.AUDIT_ANCHOR_KEY:
        return str(settings.AUDIT_ANCHOR_KEY).encode()
    path = Path(settings.AUDIT_ANCHOR_KEY_FILE)
    if not path.exists():
        if not create:
            raise AnchorError(f"no anchor key: set AUDIT_ANCHOR_KEY or provide {path}")
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as out:
            out.write(secrets.token_hex(32))
    return path.read_text().strip().encode()


def _read(path: Path, signing_key: bytes) -> list[Anchor]:
    anchors: list[Anchor] = []
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if not line.strip():
            continue
        try:
            anchor = parse(signing_key, line)
        except AnchorError as exc:
            raise AnchorError(f"{path}, line {number}: {exc}") from exc
        if anchors and anchor.prev != anchors[-1].mac:
            raise AnchorError(f"{path}, line {number}: the anchor before it is missing or replaced")
        anchors.append(anchor)
    return anchors


def latest() -> Anchor | None:
    """The last anchor in the file, after checking every line's signature and sequence; None
    when there is no anchor yet."""
    path = Path(settings.AUDIT_ANCHOR_FILE)
    if not path.exists() or not path.read_text().strip():
        return None
    anchors = _read(path, key())
    return anchors[-1] if anchors else None


def write() -> Anchor:
    """Append an anchor of the chains' heads now (unless nothing was appended since the last
    one: then that one is returned)."""
    signing_key = key(create=True)
    path = Path(settings.AUDIT_ANCHOR_FILE)
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o600)
    with os.fdopen(descriptor, "r+") as out:
        fcntl.flock(out, fcntl.LOCK_EX)  # one writer at a time: the sequence stays linear
        anchors = _read(path, signing_key)
        last = anchors[-1] if anchors else None
        heads = selectors.heads()
        if last is not None and dict(last.heads) == heads:
            return last
        anchor = sign(
            signing_key, chain.canonical_time(clock.now()), heads, last.mac if last else ""
        )
        out.write(anchor.line() + "\n")
        out.flush()
        os.fsync(out.fileno())
    log.info("audit anchor %s", anchor.line())
    return anchor
