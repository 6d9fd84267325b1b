"""The OpenAPI schema served at /api/schema/."""

import json

import pytest

OPENAPI_JSON = {"Accept": "application/vnd.oai.openapi+json"}


@pytest.fixture
def client(client, basic_user):
    """Return Django's test client, signed in: the schema is for users."""
    client.force_login(basic_user)
    return client


@pytest.fixture
def schema(client):
    response = client.get("/api/schema/", headers=OPENAPI_JSON)
    assert response.status_code == 200
    return json.loads(response.content)


def test_schema_needs_a_signed_in_user(anonymous_client):
    response = anonymous_client.get("/api/schema/")

    assert response.status_code == 401


def test_schema_is_openapi_3(client):
    response = client.get("/api/schema/")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.oai.openapi")
    assert response.content.startswith(b"openapi: 3.")


def test_schema_names_every_endpoint(schema):
    operations = {
        path: sorted(methods) for path, methods in schema["paths"].items()
    }

    assert schema["openapi"].startswith("3.")
    assert operations == {
        "/api/auth/token/": ["post"],
        "/api/images/": ["get", "post"],
        "/api/images/{id}/": ["delete", "get"],
        "/api/images/{id}/expiring-links/": ["post"],
    }


def test_schema_describes_the_list_filters_and_paging(schema):
    parameters = schema["paths"]["/api/images/"]["get"]["parameters"]

    assert {p["name"] for p in parameters} == {
        "created_after",
        "created_before",
        "format",
        "cursor",
        "page_size",
    }
    (image_format,) = [p for p in parameters if p["name"] == "format"]
    assert image_format["schema"]["enum"] == ["jpeg", "png"]


def test_schema_upload_is_a_file_under_image(schema):
    body = schema["paths"]["/api/images/"]["post"]["requestBody"]
    upload = schema["components"]["schemas"]["ImageUploadRequest"]

    assert "multipart/form-data" in body["content"]
    assert upload["properties"]["image"]["format"] == "binary"
    assert upload["required"] == ["image"]


def test_schema_marks_links_a_tier_may_withhold_as_optional(schema):
    image = schema["components"]["schemas"]["Image"]

    assert set(image["properties"]) == {
        "id",
        "url",
        "name",
        "format",
        "width",
        "height",
        "size",
        "created_at",
        "thumbnails",
        "original",
        "expiring_links",
    }
    assert "original" not in image["required"]
    assert "expiring_links" not in image["required"]
    assert "thumbnails" in image["required"]


def test_schema_expiring_link_request_takes_seconds_and_a_height(schema):
    request = schema["components"]["schemas"]["ExpiringLinkRequest"]

    assert request["required"] == ["expires_in"]
    assert request["properties"]["expires_in"]["type"] == "integer"
    assert request["properties"]["expires_in"]["minimum"] == 300
    assert request["properties"]["expires_in"]["maximum"] == 30000
    height = request["properties"]["height"]
    assert height["type"] == "integer"
    assert height.get("nullable") is True


def test_schema_expiring_link_answer(schema):
    answer = schema["components"]["schemas"]["ExpiringLink"]
    responses = schema["paths"]["/api/images/{id}/expiring-links/"]["post"][
        "responses"
    ]

    assert set(answer["properties"]) == {"url", "expires_at", "expires_in"}
    # 401, 406, 415 and 429 come from DRF before the view runs.
    assert set(responses) == {"201", "400", "401", "403", "404", "406", "415", "429"}
