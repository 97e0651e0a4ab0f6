import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/appointments/AB%00CD/?token=x",
        "/api/v1/appointments/ABCD/?token=x%00y",
        "/api/v1/opening-hours/?location=1%00",
    ],
)
def test_a_nul_character_in_an_api_address_is_a_400_in_the_error_shape(client, url):
    response = client.get(url)
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid" and body["message"] and body["fields"] == {}


def test_a_nul_character_in_a_page_address_is_a_400(client):
    response = client.get("/ticket/abc%00def/")
    assert response.status_code == 400
    assert "niet is toegestaan" in response.content.decode()  # Dutch by default


def test_ordinary_addresses_pass(client):
    assert client.get("/api/v1/locations/?x=%2500").status_code == 200
