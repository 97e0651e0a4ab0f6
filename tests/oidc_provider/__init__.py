"""A real OpenID Connect provider on 127.0.0.1 for the tests (see provider.py and
/work/agents/notes/oidc.md). Use the ``oidc_provider`` fixture (tests/oidc_provider/fixtures.py,
loaded by the root conftest) or ``RunningProvider`` directly."""

from tests.oidc_provider.provider import Client, Provider, RunningProvider, User

__all__ = ["Client", "Provider", "RunningProvider", "User"]
