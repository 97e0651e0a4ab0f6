"""The citizen's strong login for e-loket products that need it (``ProductSettings.strong_login``).

An OpenID Connect provider of its own (CSAM, ACM/IDM, itsme: settings ``ELOKET_OIDC_*``),
separate from the staff's single sign-on, through ``core.oidc``. What the validated id_token
says — issuer, subject, name and the national register number (claim
``ELOKET_OIDC_NRN_CLAIM``) — is kept only in the session, for ``ELOKET_LOGIN_MINUTES``; no
account is made. The form is prefilled from it and filing uses its national register number,
never a posted one (``services.submit_request(identity=...)``).

Every sign-in and every refusal is an audit event. The audit log names the citizen by a
pseudonym (an HMAC of issuer and subject), never by the national register number.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.utils.crypto import salted_hmac

from onthaal.audit.models import Action
from onthaal.audit.services import record_event
from onthaal.core import clock, oidc
from onthaal.eloket import formspec

SESSION_KEY = "onthaal_eloket_identity"
NEXT_KEY = "onthaal_eloket_login_next"
PSEUDONYM_SALT = "onthaal.eloket.identity"
VIA = "eloket"
OBJECT_TYPE = "eloket.product"

# Reasons of refusals of our own (besides ``core.oidc``'s).
NO_NATIONAL_NUMBER = "no_national_number"  # the provider gave no valid national number
NOT_SIGNED_IN = "not_signed_in"  # a strong-login product filed without a login
EXPIRED = "login_expired"  # the login in the session is older than ELOKET_LOGIN_MINUTES


@dataclass(frozen=True)
class Identity:
    issuer: str
    subject: str
    name: str
    national_number: str
    signed_in_at: dt.datetime

    @property
    def pseudonym(self) -> str:
        return pseudonym(self.issuer, self.subject)


def pseudonym(issuer: str, subject: str) -> str:
    return salted_hmac(PSEUDONYM_SALT, f"{issuer}\n{subject}", algorithm="sha256").hexdigest()[:32]


def config() -> oidc.ProviderConfig:
    return oidc.ProviderConfig(
        name="citizen",
        discovery_url=settings.ELOKET_OIDC_DISCOVERY_URL,
        client_id=settings.ELOKET_OIDC_CLIENT_ID,
        client_secret=settings.ELOKET_OIDC_CLIENT_SECRET,
        scopes=settings.ELOKET_OIDC_SCOPES,
    )


def enabled() -> bool:
    return config().configured


def _name(claims: dict[str, Any]) -> str:
    name = str(claims.get("name") or "").strip()
    if not name:
        parts = (claims.get("given_name"), claims.get("family_name"))
        name = " ".join(str(p).strip() for p in parts if p)
    return name[:200]


class Refused(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def remember(request: HttpRequest, claims: dict[str, Any]) -> Identity:
    """Keep the verified identity in the session and audit the sign-in; ``Refused`` when the
    provider gave no subject or no valid national register number."""
    issuer = str(claims.get("iss") or "")
    subject = str(claims.get("sub") or "")
    number = formspec.national_number(str(claims.get(settings.ELOKET_OIDC_NRN_CLAIM) or ""))
    if not subject or not number:
        audit_refusal(request, NO_NATIONAL_NUMBER if subject else "no_subject")
        raise Refused(NO_NATIONAL_NUMBER)
    found = Identity(
        issuer=issuer,
        subject=subject,
        name=_name(claims),
        national_number=number,
        signed_in_at=clock.now(),
    )
    request.session.cycle_key()
    request.session[SESSION_KEY] = {
        "iss": found.issuer,
        "sub": found.subject,
        "name": found.name,
        "nrn": found.national_number,
        "at": found.signed_in_at.isoformat(),
    }
    with transaction.atomic():
        record_event(
            action=Action.LOGIN,
            actor=f"citizen:{found.pseudonym}",
            object_type="citizen",
            object_id=found.pseudonym,
            details={"via": VIA, "issuer": issuer},
            request=request,
        )
    return found


def current(request: HttpRequest) -> tuple[Identity | None, bool]:
    """The login kept in the session, and whether one was there but has expired (it is then
    forgotten)."""
    kept = request.session.get(SESSION_KEY)
    if not isinstance(kept, dict):
        return None, False
    try:
        at = dt.datetime.fromisoformat(str(kept["at"]))
        found = Identity(
            issuer=str(kept["iss"]),
            subject=str(kept["sub"]),
            name=str(kept.get("name", "")),
            national_number=str(kept["nrn"]),
            signed_in_at=at,
        )
    except (KeyError, ValueError, TypeError):
        forget(request)
        return None, False
    if clock.now() - at > dt.timedelta(minutes=settings.ELOKET_LOGIN_MINUTES):
        forget(request)
        return None, True
    return found, False


def forget(request: HttpRequest) -> None:
    request.session.pop(SESSION_KEY, None)


def sign_out(request: HttpRequest) -> bool:
    """The citizen ends the strong login before it expires: it leaves the session (a new
    session key) and the sign-out is an audit event under the login's pseudonym. False when
    there was no login."""
    found, _expired = current(request)
    forget(request)
    if found is None:
        return False
    request.session.cycle_key()
    with transaction.atomic():
        record_event(
            action=Action.LOGOUT,
            actor=f"citizen:{found.pseudonym}",
            object_type="citizen",
            object_id=found.pseudonym,
            details={"via": VIA},
            request=request,
        )
    return True


def audit_refusal(request: HttpRequest, reason: str, **details: Any) -> None:
    """A refused sign-in (bad state or nonce, provider error, no national number): its own
    event, like a failed staff sign-in."""
    with transaction.atomic():
        record_event(
            action=Action.LOGIN_FAILED,
            actor="anonymous",
            object_type="citizen",
            details={"via": VIA, "reason": reason, **details},
            request=request,
        )


def audit_filing_refused(request: HttpRequest, slug: str, reason: str) -> None:
    """A strong-login product filed without a (valid) login: refused, and recorded."""
    with transaction.atomic():
        record_event(
            action=Action.PERMISSION_DENIED,
            actor="anonymous",
            object_type=OBJECT_TYPE,
            object_id=slug[:100],
            details={"via": VIA, "reason": reason},
            request=request,
        )
