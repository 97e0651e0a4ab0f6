from collections.abc import Callable

import pytest

from onthaal.appointments import proof
from onthaal.queue.tests.conftest import at_tuesday_10, zonnedoorn  # noqa: F401


@pytest.fixture
def solved(client) -> Callable[[], str]:
    """A function that fetches a challenge from the public API and returns its solution, as
    an anonymous client sends it in ``altcha``."""

    def solve() -> str:
        response = client.get("/api/v1/appointments/challenge/")
        assert response.status_code == 200, response.content
        return proof.solve(response.json())

    return solve
