"""The relying-party helper (``core.oidc``) against real providers on 127.0.0.1
(tests/oidc_provider): two providers configured apart sign in within one session without
mixing their state, a citizens' provider's own claims (a national register number) come
through, and an unreachable provider is one ``SignInFailed``."""

from __future__ import annotations

import socket
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
from django.contrib.sessions.backends.cache import SessionStore
from django.test import RequestFactory
from tests.oidc_provider import Provider, RunningProvider

from onthaal.core import oidc


def _request(session: Any, url: str = "/") -> Any:
    parts = urlsplit(url)
    request = RequestFactory().get(f"{parts.path}?{parts.query}" if parts.query else parts.path)
    request.session = session
    return request


def _login_at_provider(authorize_url: str, username: str, password: str) -> str:
    browser = requests.Session()
    back = browser.post(
        authorize_url,
        data={"username": username, "password": password},
        timeout=10,
        allow_redirects=False,
    )
    assert back.status_code == 302, back.text
    return back.headers["Location"]


@pytest.fixture
def second_provider() -> Any:
    running = RunningProvider()
    yield running.provider
    running.stop()


def test_two_providers_sign_in_apart_within_one_session(
    oidc_provider: Provider, second_provider: Provider
):
    oidc_provider.add_client("onthaal-staff", "staff-secret")
    second_provider.add_client("onthaal-eloket", "eloket-secret", scope="openid profile")
    oidc_provider.add_user("an", "pw1", groups=["g-balie"])
    citizen = second_provider.add_user(
        "jan", "pw2", given_name="Jan", nrn="85073003328", email="not-asked@example.be"
    )
    staff_config = oidc.ProviderConfig(
        name="staff",
        discovery_url=oidc_provider.discovery_url,
        client_id="onthaal-staff",
        client_secret="staff-secret",
    )
    citizen_config = oidc.ProviderConfig(
        name="citizen",
        discovery_url=second_provider.discovery_url,
        client_id="onthaal-eloket",
        client_secret="eloket-secret",
        scopes="openid profile",
        fetch_userinfo=True,
    )
    session = SessionStore()
    to_staff = oidc.begin(
        _request(session), staff_config, redirect_uri="http://127.0.0.1:8107/staff/cb/"
    )
    to_citizen = oidc.begin(
        _request(session), citizen_config, redirect_uri="http://127.0.0.1:8107/citizen/cb/"
    )
    assert to_staff["Location"].startswith(oidc_provider.issuer + "/authorize?")
    assert to_citizen["Location"].startswith(second_provider.issuer + "/authorize?")

    # Back in the other order: each callback finds its own state and nonce.
    citizen_back = _login_at_provider(to_citizen["Location"], "jan", "pw2")
    staff_back = _login_at_provider(to_staff["Location"], "an", "pw1")
    citizen_claims = oidc.complete(_request(session, citizen_back), citizen_config)
    staff_claims = oidc.complete(_request(session, staff_back), staff_config)

    assert citizen_claims["iss"] == second_provider.issuer and citizen_claims["sub"] == citizen.sub
    assert citizen_claims["nrn"] == "85073003328" and citizen_claims["given_name"] == "Jan"
    assert "email" not in citizen_claims  # not asked for: no email scope
    assert staff_claims["iss"] == oidc_provider.issuer and staff_claims["groups"] == ["g-balie"]
    assert citizen_claims["aud"] == ["onthaal-eloket"]


def test_a_callback_for_one_provider_is_not_accepted_by_the_other(
    oidc_provider: Provider, second_provider: Provider
):
    oidc_provider.add_client("a", "sa")
    second_provider.add_client("b", "sb")
    oidc_provider.add_user("an", "pw")
    first = oidc.ProviderConfig("first", oidc_provider.discovery_url, "a", "sa")
    second = oidc.ProviderConfig("second", second_provider.discovery_url, "b", "sb")
    session = SessionStore()
    to_first = oidc.begin(_request(session), first, redirect_uri="http://127.0.0.1:8107/cb/")
    back = _login_at_provider(to_first["Location"], "an", "pw")

    with pytest.raises(oidc.SignInFailed) as failed:
        oidc.complete(_request(session, back), second)

    assert failed.value.reason == oidc.STATE


def test_an_unreachable_provider_is_one_sign_in_failure():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed once the block ends: nobody listens
    config = oidc.ProviderConfig(
        "gone", f"http://127.0.0.1:{port}/.well-known/openid-configuration", "a", "s", timeout=2
    )

    with pytest.raises(oidc.SignInFailed) as failed:
        oidc.begin(_request(SessionStore()), config, redirect_uri="http://127.0.0.1:8107/cb/")

    assert failed.value.reason == oidc.UNREACHABLE


def test_an_unconfigured_provider_is_refused_before_any_request():
    with pytest.raises(oidc.SignInFailed) as failed:
        oidc.begin(
            _request(SessionStore()),
            oidc.ProviderConfig("none", "", "", ""),
            redirect_uri="http://127.0.0.1:8107/cb/",
        )
    assert failed.value.reason == oidc.CONFIGURATION
