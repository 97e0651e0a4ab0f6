import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(db):
    call_command("load_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115


@pytest.fixture
def api():
    return APIClient()


def test_locations_are_public(api, demo):
    response = api.get("/api/v1/locations/")
    assert response.status_code == 200
    slugs = [loc["slug"] for loc in response.json()["results"]]
    assert slugs == ["administratief-centrum", "sociaal-huis"]


def test_departments_show_the_confidential_flag(api, demo):
    body = api.get("/api/v1/departments/").json()
    flags = {d["slug"]: d["confidential"] for d in body["results"]}
    assert flags == {
        "burgerzaken": False,
        "omgeving": False,
        "onthaal": False,
        "sociale-dienst": True,
    }


def test_products_filter_by_department_and_channel(api, demo):
    body = api.get("/api/v1/products/", {"department": "sociale-dienst"}).json()
    assert body["count"] == 4  # three at the desk, one on the e-loket
    assert {p["department"] for p in body["results"]} == {"sociale-dienst"}
    quick = api.get("/api/v1/products/", {"channel": "quick_counter"}).json()
    for product in quick["results"]:
        assert "quick_counter" in [c["channel"] for c in product["channels"]]


def test_product_names_follow_the_request_language(api, demo):
    body = api.get(
        "/api/v1/products/", {"department": "burgerzaken"}, HTTP_ACCEPT_LANGUAGE="fr"
    ).json()
    names = {p["slug"]: p["name"] for p in body["results"]}
    assert names["reispas-aanvragen"] == "Demander un passeport"


def test_unknown_department_is_a_400_with_a_field_message(api, demo):
    response = api.get("/api/v1/products/", {"department": "nope"})
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert body["fields"]["department"][0]["message"]


def test_unknown_channel_is_a_400(api, demo):
    response = api.get("/api/v1/products/", {"channel": "fax"})
    assert response.status_code == 400
    assert "channel" in response.json()["fields"]


def test_schema_is_served(api):
    response = api.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    assert "/api/v1/locations/" in response.json()["paths"]


@pytest.mark.parametrize("query", ["limit=19225739708878157464469504", "offset=10" + "0" * 30])
def test_paging_beyond_what_a_database_holds_is_still_an_answer(api, demo, query):
    """Found by schemathesis: such a limit reached SQLite as a number it cannot hold (500)."""
    response = api.get(f"/api/v1/departments/?{query}")
    assert response.status_code == 200
    assert isinstance(response.json()["results"], list)
