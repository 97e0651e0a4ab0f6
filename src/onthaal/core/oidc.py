"""Signing in with an OpenID Connect provider: the relying party's two steps, for any provider.

Authlib's Django client does the protocol (``authlib.integrations.django_client``): the
discovery document, the authorization code flow with PKCE (S256), ``state`` and ``nonce``
kept in the session, the code exchanged for tokens on the back channel, and the ``id_token``'s
RS256 signature (keys from the provider's JWKS), issuer, audience, expiry and nonce checked.
This module gives it one shape for the apps that sign people in — staff through the
municipality's Entra ID or ACM/IDM (``accounts.sso``), and any other provider with its own
settings — and turns every way a sign-in can fail into one ``SignInFailed`` with a short
machine ``reason`` the caller audits.

    config = oidc.ProviderConfig(name="staff", discovery_url=..., client_id=..., client_secret=...)
    return oidc.begin(request, config, redirect_uri=request.build_absolute_uri(reverse(...)))
    ...
    claims = oidc.complete(request, config)   # in the callback view; raises SignInFailed

What to do with the claims (find or create an account, which roles) is the caller's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import requests
from authlib.common.errors import AuthlibBaseError
from authlib.integrations.base_client import MismatchingStateError, OAuthError
from authlib.integrations.django_client import DjangoOAuth2App, OAuth
from django.http import HttpRequest, HttpResponseRedirect
from joserfc.errors import InvalidClaimError, JoseError, MissingClaimError

# Why a sign-in failed (``SignInFailed.reason``), as the audit log records it.
STATE = "state"  # the callback's state is not one this browser session started
NONCE = "nonce"  # the id_token's nonce is not the one sent (a replayed token)
PROVIDER = "provider_error"  # the provider answered with an error (e.g. access_denied)
ID_TOKEN = "id_token"  # noqa: S105 - no id_token, or a wrong signature, issuer, audience or expiry
UNREACHABLE = "unreachable"  # the provider could not be reached or answered nonsense
CONFIGURATION = "not_configured"  # the provider is not configured


@dataclass(frozen=True)
class ProviderConfig:
    """One provider as one relying party knows it. ``name`` keeps two providers' sessions
    apart (state and nonce are stored under it)."""

    name: str
    discovery_url: str
    client_id: str
    client_secret: str
    scopes: str = "openid profile email"
    # Extra parameters of the authorization request (e.g. ``acr_values``, ``prompt``).
    authorize_params: tuple[tuple[str, str], ...] = field(default=())
    # Ask the userinfo endpoint too and add what it says that the id_token did not.
    fetch_userinfo: bool = False
    timeout: float = 10.0

    @property
    def configured(self) -> bool:
        return bool(self.discovery_url and self.client_id)


class SignInFailed(Exception):
    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail[:200]


_clients: dict[ProviderConfig, DjangoOAuth2App] = {}


def client(config: ProviderConfig) -> DjangoOAuth2App:
    """Authlib's client for ``config``, kept per configuration: it caches the discovery
    document and the JWKS (fetched again when an id_token names an unknown key)."""
    if not config.configured:
        raise SignInFailed(CONFIGURATION)
    app = _clients.get(config)
    if app is None:
        registry = OAuth()
        app = registry.register(
            name=config.name,
            client_id=config.client_id,
            client_secret=config.client_secret,
            server_metadata_url=config.discovery_url,
            client_kwargs={
                "scope": config.scopes,
                "code_challenge_method": "S256",
                "timeout": config.timeout,
            },
        )
        _clients[config] = app
    return app


def begin(
    request: HttpRequest, config: ProviderConfig, *, redirect_uri: str
) -> HttpResponseRedirect:
    """Send the browser to the provider. State, nonce and the PKCE verifier stay in the
    session until the callback."""
    try:
        response: HttpResponseRedirect = client(config).authorize_redirect(
            request, redirect_uri, **dict(config.authorize_params)
        )
    except (requests.RequestException, ValueError, AuthlibBaseError) as error:
        raise SignInFailed(UNREACHABLE, type(error).__name__) from error
    return response


def complete(request: HttpRequest, config: ProviderConfig) -> dict[str, Any]:
    """Finish the sign-in in the callback view: the validated id_token's claims (``iss`` and
    ``sub`` among them), or ``SignInFailed``."""
    app = client(config)
    try:
        token = app.authorize_access_token(request)
    except MismatchingStateError as error:
        raise SignInFailed(STATE) from error
    except (InvalidClaimError, MissingClaimError) as error:
        claim = getattr(error, "claim", "")
        raise SignInFailed(NONCE if claim == "nonce" else ID_TOKEN, str(claim)) from error
    except JoseError as error:
        raise SignInFailed(ID_TOKEN, type(error).__name__) from error
    except OAuthError as error:
        raise SignInFailed(PROVIDER, str(error.error or "")) from error
    except (requests.RequestException, ValueError, AuthlibBaseError) as error:
        raise SignInFailed(UNREACHABLE, type(error).__name__) from error
    if not token.get("userinfo"):
        # No id_token (or no nonce kept): never sign anyone in on an access token alone.
        raise SignInFailed(ID_TOKEN, "missing")
    claims = dict(token["userinfo"])
    if config.fetch_userinfo:
        try:
            extra = dict(app.userinfo(token=token))
        except (requests.RequestException, ValueError, AuthlibBaseError) as error:
            raise SignInFailed(UNREACHABLE, "userinfo") from error
        if extra.get("sub") != claims.get("sub"):
            raise SignInFailed(ID_TOKEN, "userinfo sub")
        claims = {**extra, **claims}
    return claims
