"""What the API answers besides success: a path it does not serve answers 404 in the error
shape (never an HTML page), and the schema documents, for every operation, the errors that
every operation can give (found by schemathesis against a running demo)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from rest_framework.test import APIClient

SCHEMA = Path(__file__).resolve().parents[4] / "openapi.yaml"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/locations/null,null/display/",
        "/api/v1/tickets/1e3/finish/",
        "/api/v1/nothing-here/",
        "/api/v1/mail/not-a-uuid/documents/x/",
        "/api/v1/mail/a%0Ab/documents/null/",  # a newline in the path
        "/api/v1/tickets",  # no final slash: not redirected, as an API client expects
    ],
)
def test_a_path_the_api_does_not_serve_answers_404_in_the_error_shape(path):
    # As a browser session would: with CSRF checks, and signed in (schemathesis sent the
    # session cookie and got Django's HTML CSRF page).
    from django.contrib.auth import get_user_model

    client = APIClient(enforce_csrf_checks=True)
    client.force_login(get_user_model().objects.create_user("someone"))
    for method in (client.get, client.post):
        response = method(path)
        assert response.status_code == 404
        assert response["Content-Type"] == "application/json"
        assert response.json()["code"] == "not_found"


def test_every_operation_documents_the_errors_every_operation_can_give():
    schema = yaml.safe_load(SCHEMA.read_text())
    counted = 0
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            codes = set(operation["responses"])
            assert "400" in codes, (method, path)
            if {} not in operation.get("security", [{}]):
                assert {"401", "403"} <= codes, (method, path)
            if "{" in path:
                assert "404" in codes, (method, path)
            counted += 1
    assert counted >= 28
