"""The ``oidc_provider`` fixture: a running provider for one test, with no users or clients
yet (the test adds them). Loaded for every test by the root conftest (``pytest_plugins``)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.oidc_provider.provider import Provider, RunningProvider


@pytest.fixture
def oidc_provider() -> Iterator[Provider]:
    running = RunningProvider()
    try:
        yield running.provider
    finally:
        running.stop()
