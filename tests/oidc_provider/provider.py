"""A small but real OpenID Connect provider for the tests, built on Authlib's server parts.

It speaks HTTP on 127.0.0.1 like Entra ID, ACM/IDM or CSAM would: a discovery document, a
JWKS, an authorization endpoint with a login form (authorization code flow, PKCE S256
required, ``state`` and ``nonce`` passed through), a token endpoint (client_secret_basic or
client_secret_post) that returns an ``id_token`` signed RS256, and a userinfo endpoint for
bearer tokens. The grant, PKCE and ID-token logic are Authlib's
(``AuthorizationCodeGrant``, ``CodeChallenge``, ``OpenIDCode``); this module holds the
storage (in memory), the HTTP glue (Werkzeug) and the login page.

Users and clients are plain dataclasses the test changes while the provider runs: give a user
another ``groups`` claim and the next sign-in carries it. ``tamper_id_token`` lets a test make
the provider misbehave once (a wrong ``nonce``, another ``aud``) to check the relying party
refuses it.
"""

from __future__ import annotations

import html
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from authlib.common.security import generate_token
from authlib.oauth2 import AuthorizationServer, OAuth2Request
from authlib.oauth2.rfc6749 import ClientMixin, grants
from authlib.oauth2.rfc6749.errors import OAuth2Error
from authlib.oauth2.rfc6749.requests import BasicOAuth2Payload
from authlib.oauth2.rfc6750 import BearerTokenGenerator
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oidc.core import UserInfo
from authlib.oidc.core.grants import OpenIDCode
from joserfc.jwk import RSAKey
from werkzeug.serving import BaseWSGIServer, make_server
from werkzeug.wrappers import Request, Response

# Standard claims per scope (OpenID Connect Core 5.4); any other claim of a user (groups, a
# national register number...) is sent whatever the scope, as Entra ID sends ``groups``.
SCOPE_CLAIMS = {
    "profile": {"name", "given_name", "family_name", "preferred_username", "locale"},
    "email": {"email", "email_verified"},
}
STANDARD = set().union(*SCOPE_CLAIMS.values())


@dataclass
class User:
    username: str
    password: str
    claims: dict[str, Any] = field(default_factory=dict)
    sub: str = field(default_factory=lambda: secrets.token_hex(8))


@dataclass
class Client(ClientMixin):
    client_id: str
    client_secret: str
    redirect_uris: list[str] = field(default_factory=list)
    scope: str = "openid profile email"

    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> str:
        return self.redirect_uris[0]

    def get_allowed_scope(self, scope: str) -> str:
        allowed = set(self.scope.split())
        return " ".join(s for s in (scope or "").split() if s in allowed)

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        # An empty list accepts any loopback callback: the tests' servers pick their ports.
        if not self.redirect_uris:
            return redirect_uri.startswith(("http://127.0.0.1:", "http://localhost:"))
        return redirect_uri in self.redirect_uris

    def check_client_secret(self, client_secret: str) -> bool:
        return secrets.compare_digest(self.client_secret, client_secret)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method in ("client_secret_basic", "client_secret_post")

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type == "authorization_code"


@dataclass
class AuthorizationCode:
    code: str
    client_id: str
    redirect_uri: str
    scope: str
    username: str
    nonce: str | None
    code_challenge: str | None
    code_challenge_method: str | None
    auth_time: int = field(default_factory=lambda: int(time.time()))
    expires_at: float = field(default_factory=lambda: time.time() + 60)

    def get_redirect_uri(self) -> str:
        return self.redirect_uri

    def get_scope(self) -> str:
        return self.scope

    def get_nonce(self) -> str | None:
        return self.nonce

    def get_auth_time(self) -> int:
        return self.auth_time

    def get_acr(self) -> None:
        return None

    def get_amr(self) -> list[str]:
        return ["pwd"]


class _Request(OAuth2Request):
    def __init__(self, request: Request) -> None:
        super().__init__(request.method, request.url, headers=request.headers)
        self._request = request
        data = {**request.args.to_dict(), **request.form.to_dict()}
        self.payload = BasicOAuth2Payload(data)

    @property
    def args(self) -> Any:
        return self._request.args

    @property
    def form(self) -> Any:
        return self._request.form


class Provider:
    """One provider: its users, clients, key and the tokens it issued (all in memory)."""

    def __init__(self, issuer: str = "") -> None:
        self.issuer = issuer
        self.users: dict[str, User] = {}
        self.clients: dict[str, Client] = {}
        self.key = RSAKey.generate_key(
            2048, parameters={"kid": secrets.token_hex(4), "use": "sig", "alg": "RS256"}
        )
        self.codes: dict[str, AuthorizationCode] = {}
        self.tokens: dict[str, dict[str, Any]] = {}
        self.tamper_id_token: dict[str, Any] = {}
        self.lock = threading.Lock()
        self.server = self._authorization_server()

    # --- what the tests set up ------------------------------------------------------------
    def add_user(self, username: str, password: str = "secret", **claims: Any) -> User:
        user = User(username=username, password=password, claims=claims)
        self.users[username] = user
        return user

    def add_client(
        self,
        client_id: str,
        client_secret: str,
        redirect_uris: list[str] | None = None,
        scope: str = "openid profile email",
    ) -> Client:
        client = Client(client_id, client_secret, list(redirect_uris or []), scope)
        self.clients[client_id] = client
        return client

    @property
    def discovery_url(self) -> str:
        return f"{self.issuer}/.well-known/openid-configuration"

    # --- Authlib's server ------------------------------------------------------------------
    def _authorization_server(self) -> AuthorizationServer:
        provider = self

        class Server(AuthorizationServer):
            def query_client(self, client_id: str) -> Client | None:
                return provider.clients.get(client_id)

            def save_token(self, token: dict[str, Any], request: OAuth2Request) -> None:
                with provider.lock:
                    provider.tokens[token["access_token"]] = {
                        "username": request.user.username,
                        "scope": token.get("scope", ""),
                        "client_id": request.client.client_id,
                        "expires_at": time.time() + token.get("expires_in", 3600),
                    }

            def create_oauth2_request(self, request: Any) -> OAuth2Request:
                return request if isinstance(request, OAuth2Request) else _Request(request)

            def create_json_request(self, request: Any) -> Any:
                # Authlib's hook for JSON endpoints (dynamic client registration); this
                # provider has none, so nothing calls it.
                raise NotImplementedError("the test provider has no JSON endpoints")

            def handle_response(self, status: int, body: Any, headers: Any) -> Response:
                if isinstance(body, dict):
                    return Response(_json(body), status=status, headers=headers)
                return Response(body, status=status, headers=headers)

            def send_signal(self, name: str, *args: Any, **kwargs: Any) -> None:
                return None

        class CodeGrant(grants.AuthorizationCodeGrant):
            TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]

            def save_authorization_code(self, code: str, request: OAuth2Request) -> None:
                payload = request.payload.data
                with provider.lock:
                    provider.codes[code] = AuthorizationCode(
                        code=code,
                        client_id=request.client.client_id,
                        redirect_uri=payload.get("redirect_uri", ""),
                        scope=request.client.get_allowed_scope(payload.get("scope", "")),
                        username=request.user.username,
                        nonce=payload.get("nonce"),
                        code_challenge=payload.get("code_challenge"),
                        code_challenge_method=payload.get("code_challenge_method"),
                    )

            def query_authorization_code(
                self, code: str, client: Client
            ) -> AuthorizationCode | None:
                item = provider.codes.get(code)
                if item and item.client_id == client.client_id and item.expires_at > time.time():
                    return item
                return None

            def delete_authorization_code(self, authorization_code: AuthorizationCode) -> None:
                with provider.lock:
                    provider.codes.pop(authorization_code.code, None)

            def authenticate_user(self, authorization_code: AuthorizationCode) -> User | None:
                return provider.users.get(authorization_code.username)

        class IdToken(OpenIDCode):
            def resolve_client_private_key(self, client: Client) -> RSAKey:
                return provider.key

            def get_client_algorithm(self, client: Client) -> str:
                return "RS256"

            def get_encode_header(self, client: Client) -> dict[str, str]:
                return {"alg": "RS256", "kid": provider.key.kid or ""}

            def get_client_claims(self, client: Client) -> dict[str, Any]:
                return {"iss": provider.issuer, "aud": [client.client_id]}

            def exists_nonce(self, nonce: str, request: OAuth2Request) -> bool:
                return any(c.nonce == nonce for c in provider.codes.values())

            def generate_user_info(self, user: User, scope: str) -> UserInfo:
                info = provider.user_info(user, scope)
                if provider.tamper_id_token:
                    info.update(provider.tamper_id_token)
                    provider.tamper_id_token = {}
                return info

        server = Server()
        server.register_token_generator(
            "default", BearerTokenGenerator(lambda *a, **k: generate_token(42))
        )
        server.register_grant(
            CodeGrant, [CodeChallenge(required=True), IdToken(require_nonce=True)]
        )
        return server

    def user_info(self, user: User, scope: str) -> UserInfo:
        scopes = set((scope or "").split())
        allowed = set().union(*(SCOPE_CLAIMS.get(s, set()) for s in scopes))
        claims = {k: v for k, v in user.claims.items() if k in allowed or k not in STANDARD}
        return UserInfo(sub=user.sub, **claims)

    # --- HTTP ------------------------------------------------------------------------------
    def wsgi(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        routes = {
            "/.well-known/openid-configuration": self._discovery,
            "/jwks": self._jwks,
            "/authorize": self._authorize,
            "/token": self._token,
            "/userinfo": self._userinfo,
        }
        handler = routes.get(request.path)
        response = handler(request) if handler else Response("not found", status=404)
        return response(environ, start_response)

    def _discovery(self, request: Request) -> Response:
        return Response(
            _json(
                {
                    "issuer": self.issuer,
                    "authorization_endpoint": f"{self.issuer}/authorize",
                    "token_endpoint": f"{self.issuer}/token",
                    "userinfo_endpoint": f"{self.issuer}/userinfo",
                    "jwks_uri": f"{self.issuer}/jwks",
                    "response_types_supported": ["code"],
                    "grant_types_supported": ["authorization_code"],
                    "subject_types_supported": ["public"],
                    "id_token_signing_alg_values_supported": ["RS256"],
                    "scopes_supported": ["openid", "profile", "email"],
                    "token_endpoint_auth_methods_supported": [
                        "client_secret_basic",
                        "client_secret_post",
                    ],
                    "code_challenge_methods_supported": ["S256"],
                    "claims_supported": ["sub", "iss", "aud", "exp", "iat", "nonce", *STANDARD],
                }
            ),
            content_type="application/json",
        )

    def _jwks(self, request: Request) -> Response:
        return Response(
            _json({"keys": [self.key.as_dict(private=False)]}), content_type="application/json"
        )

    def _authorize(self, request: Request) -> Response:
        try:
            grant = self.server.get_consent_grant(request)
        except OAuth2Error as error:
            return Response(
                _json({"error": error.error, "error_description": error.description or ""}),
                status=400,
                content_type="application/json",
            )
        error = ""
        if request.method == "POST":
            user = self.users.get(request.form.get("username", ""))
            if user is not None and secrets.compare_digest(
                user.password, request.form.get("password", "")
            ):
                return self.server.create_authorization_response(
                    request, grant_user=user, grant=grant
                )
            error = "Unknown user name or wrong password."
        return Response(_login_page(request.args.to_dict(), error), content_type="text/html")

    def _token(self, request: Request) -> Response:
        return self.server.create_token_response(request)

    def _userinfo(self, request: Request) -> Response:
        scheme, _, value = request.headers.get("Authorization", "").partition(" ")
        token = self.tokens.get(value) if scheme.lower() == "bearer" else None
        if token is None or token["expires_at"] < time.time():
            return Response(
                _json({"error": "invalid_token"}),
                status=401,
                headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
                content_type="application/json",
            )
        user = self.users[token["username"]]
        return Response(
            _json(dict(self.user_info(user, token["scope"]))), content_type="application/json"
        )


def _json(data: Any) -> str:
    import json

    return json.dumps(data)


def _login_page(args: dict[str, str], error: str) -> str:
    action = "/authorize?" + urlencode(args)
    message = f'<p role="alert">{html.escape(error)}</p>' if error else ""
    return f"""<!doctype html><html lang="en"><head><title>Test provider: sign in</title></head>
<body><h1>Test identity provider</h1>{message}
<form method="post" action="{html.escape(action)}">
<label for="username">User name</label> <input id="username" name="username" autocomplete="username">
<label for="password">Password</label> <input id="password" name="password" type="password">
<button type="submit">Sign in</button></form></body></html>"""


class RunningProvider:
    """A provider served on 127.0.0.1 (a free port) by a thread until ``stop``."""

    def __init__(self, provider: Provider | None = None) -> None:
        self.provider = provider or Provider()
        self._server: BaseWSGIServer = make_server(
            "127.0.0.1", 0, self.provider.wsgi, threaded=True
        )
        self.provider.issuer = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
