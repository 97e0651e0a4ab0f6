from onthaal.queue.tests.conftest import at_tuesday_10, zonnedoorn  # noqa: F401
