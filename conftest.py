"""Test configuration shared by every app.

Tests run against SQLite by default and against PostgreSQL when DATABASE_URL points there
(CI does both). Tests marked ``postgres`` need PostgreSQL's own behaviour (triggers, advisory
locks, many concurrent connections) and are skipped, with that reason, on SQLite.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

# A real OpenID Connect provider on 127.0.0.1 (tests/oidc_provider): the ``oidc_provider``
# fixture, for the staff single sign-on and any other relying party.
pytest_plugins = ["tests.oidc_provider.fixtures"]

# The properties test what the code computes, not how fast Hypothesis makes examples: on a
# shared CI machine the time-based health check and the per-example deadline fail at random.
hypothesis_settings.register_profile(
    "onthaal", deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
hypothesis_settings.load_profile("onthaal")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    from django.db import connection

    if connection.vendor == "postgresql":
        return
    skip = pytest.mark.skip(
        reason="needs PostgreSQL: run with DATABASE_URL=postgres://... (CI does)"
    )
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings: object) -> None:
    """Hash test passwords with a fast hasher; production keeps Django's default."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # type: ignore[attr-defined]


@pytest.fixture(autouse=True)
def _default_language() -> Iterator[None]:
    """Each test starts in the default language (Dutch). A request through the test client
    leaves the language it activated (e.g. French from a cookie) active in the worker's
    thread, and a later test that renders a message outside a request would read French."""
    from django.utils import translation

    translation.activate("nl")
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _empty_cache() -> None:
    """Each test starts with an empty cache (rate-limit counters live there)."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def _no_refusals_from_earlier_tests() -> None:
    """Each test starts with no refusal kept aside: a test that records one inside its own
    transaction, outside a request, leaves it pending in the worker's context (the middleware
    flushes them only for requests), and the next test's first audited write would flush it."""
    from onthaal.audit import services as audit_services

    audit_services._pending_refusals.set(None)


@pytest.fixture(autouse=True)
def _easy_proof_of_work(settings: object) -> None:
    """Proof-of-work challenges (appointments.proof) with a tiny range: solved at once, and
    still checked in full. A test that wants the real effort sets the setting itself."""
    settings.ONTHAAL_ALTCHA_MAX_NUMBER = 100  # type: ignore[attr-defined]


@pytest.fixture(autouse=True)
def _audit_anchors_apart(settings: object, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Each test has its own audit anchor file and key (onthaal.audit.anchors), never the
    data dir's: an anchor of one test's log would not match another's."""
    where = tmp_path_factory.mktemp("anchors")
    settings.AUDIT_ANCHOR_FILE = where / "audit-anchors.jsonl"  # type: ignore[attr-defined]
    settings.AUDIT_ANCHOR_KEY_FILE = where / "audit-anchor.key"  # type: ignore[attr-defined]
    settings.AUDIT_ANCHOR_KEY = ""  # type: ignore[attr-defined]


@pytest.fixture(autouse=True)
def _second_factor_done(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests log staff in with ``client.force_login`` (one step): the second step of the
    login counts as done, except in tests marked ``second_factor``, which test that step."""
    if request.node.get_closest_marker("second_factor") is None:
        from onthaal.accounts.services import twofactor

        monkeypatch.setattr(twofactor, "due", lambda request: None)
