"""A proof of work (ALTCHA) on an anonymous booking, without a third party.

The server hands out a challenge: a random salt (with its expiry in it), the SHA-256 of the
salt followed by a secret number up to ``settings.ONTHAAL_ALTCHA_MAX_NUMBER``, and an HMAC
signature of that hash. The citizen's browser (``static/onthaal/proof.js``) tries numbers
until the hash matches and sends ``base64(JSON {algorithm, challenge, number, salt,
signature})`` with the booking. Checking costs the server one hash and one HMAC; finding the
number costs the client on average half of the maximum in hashes, which is nothing to one
citizen and a lot to a script that books by the thousand. Nothing is stored per challenge: the
signature proves that the server made it. A solved challenge is good for one booking: its
signature is kept in the cache (shared by all app processes; in the database while Redis is
unreachable, ``onthaal.core.cache``) until it expires.

Staff booking for a caller (logged in, or with an API token) are not asked for it. The
payload format is ALTCHA's v1 (``altcha.v1``), which the official widget speaks as well.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
from typing import Any, cast

from altcha import v1 as altcha
from django.conf import settings
from django.core.cache import cache
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from onthaal.core import clock
from onthaal.core.errors import DomainError

FIELD = "altcha"
LIFETIME = dt.timedelta(minutes=10)
MAX_PAYLOAD = 1000  # characters of base64: a real payload is about 300


def _hmac_key() -> str:
    """A key of its own, derived from SECRET_KEY (never the secret itself)."""
    return salted_hmac("onthaal.appointments.proof", "altcha-hmac-key").hexdigest()


def challenge() -> dict[str, Any]:
    """A fresh challenge for the client, in ALTCHA's format:
    ``{"algorithm", "challenge", "maxNumber", "salt", "signature"}``."""
    made = altcha.create_challenge(
        altcha.ChallengeOptions(
            algorithm="SHA-256",
            max_number=settings.ONTHAAL_ALTCHA_MAX_NUMBER,
            hmac_key=_hmac_key(),
            expires=clock.now() + LIFETIME,
        )
    )
    return made.to_dict()


def _parse(payload: str) -> dict[str, Any] | None:
    """The decoded payload when it has the expected shape; None for anything else (the lib
    expects a well-formed dict and would raise on, say, a JSON list)."""
    if not payload or len(payload) > MAX_PAYLOAD:
        return None
    try:
        data = json.loads(base64.b64decode(payload, validate=True).decode())
    except (ValueError, binascii.Error):  # UnicodeDecodeError and JSONDecodeError included
        return None
    if not isinstance(data, dict):
        return None
    texts = ("algorithm", "challenge", "salt", "signature")
    if not all(isinstance(data.get(k), str) for k in texts):
        return None
    number = data.get("number")
    if not isinstance(number, int) or isinstance(number, bool) or number < 0:
        return None
    return {k: data[k] for k in (*texts, "number")}


def _expires(salt: str) -> int | None:
    params = altcha.extract_params(cast(altcha.PayloadType, {"salt": salt}))
    try:
        return int(params["expires"][0])
    except (KeyError, IndexError, ValueError):
        return None


def verify(payload: str, *, idempotency_key: str | None = None) -> bool:
    """True when ``payload`` solves a challenge this server made, that has not expired and
    has not been used before. Using it marks it as used.

    A retry of the same request (the same non-empty idempotency key) may present the same
    proof again: the booking service answers it with the first booking, so one proof still
    books at most once."""
    data = _parse(payload)
    if data is None or data["algorithm"] != "SHA-256":
        return False
    expires = _expires(data["salt"])
    if expires is None:  # every challenge made here carries its expiry
        return False
    valid, _error = altcha.verify_solution(
        cast(altcha.PayloadType, data), _hmac_key(), check_expires=True
    )
    if not valid:
        return False
    key = f"onthaal:altcha:{data['signature']}"
    remaining = max(1, expires - int(clock.now().timestamp()) + 1)
    # cache.add is atomic (SET NX on Redis): of two requests with one proof, one wins.
    if cache.add(key, idempotency_key or "", timeout=remaining):
        return True
    return bool(idempotency_key) and cache.get(key) == idempotency_key


def require(payload: str, *, idempotency_key: str | None = None) -> None:
    """Refuse the booking (400, on the ``altcha`` field) unless ``payload`` is a valid,
    unused proof of work."""
    if not payload:
        message = _("Wait until the check that you are not a robot is done, then confirm again.")
        raise DomainError(message, code="proof_required", fields={FIELD: [message]})
    if not verify(payload, idempotency_key=idempotency_key):
        message = _(
            "The check that you are not a robot has expired or was already used. "
            "Confirm again to do it anew."
        )
        raise DomainError(message, code="proof_invalid", fields={FIELD: [message]})


def solve(made: dict[str, Any]) -> str:
    """The payload that solves ``made`` (a challenge as :func:`challenge` returns it): what a
    client written in Python sends (the benchmark's, the tests'). Browsers use proof.js."""
    found = altcha.solve_challenge(
        made["challenge"], made["salt"], made["algorithm"], made["maxNumber"]
    )
    if found is None:
        raise ValueError("no number solves this challenge")
    return base64.b64encode(
        json.dumps(
            {
                "algorithm": made["algorithm"],
                "challenge": made["challenge"],
                "number": found.number,
                "salt": made["salt"],
                "signature": made["signature"],
            }
        ).encode()
    ).decode()
