"""Fuzz the public API from its own OpenAPI schema: whatever the input, never a 5xx, and every
response matches the documented schema (schemathesis, in-process through WSGI)."""

from __future__ import annotations

import pytest
import schemathesis
from django.core.management import call_command
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error, response_schema_conformance

from onthaal.wsgi import application

schema = schemathesis.openapi.from_wsgi("/api/v1/schema/?format=json", application)


@pytest.fixture
def demo(db):
    # Requests go straight to the WSGI handler; like Django's test client, keep the test's
    # database connection open across them (the handler would close it after each request).
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    call_command("load_demo", verbosity=0, stdout=open("/dev/null", "w"))  # noqa: SIM115
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.mark.django_db
@pytest.mark.xdist_group("api_fuzz")
@schema.parametrize()
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_never_fails_on_any_input(case, demo):
    response = case.call()
    case.validate_response(response, checks=[not_a_server_error, response_schema_conformance])
