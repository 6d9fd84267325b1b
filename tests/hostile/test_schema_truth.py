"""The OpenAPI schema describes what the API really answers."""

import jsonschema
import pytest
from drf_spectacular.validation import validate_schema
from rest_framework.test import APIClient

from .files import encode


@pytest.fixture
def schema(client_for, basic_user):
    response = client_for(basic_user).get(
        "/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json"
    )
    assert response.status_code == 200
    return response.json()


def _validator(schema, component):
    document = {"$ref": f"#/components/schemas/{component}", **schema}
    return jsonschema.Draft4Validator(document)


def test_schema_is_valid_openapi(schema):
    validate_schema(schema)


@pytest.mark.parametrize("tier_user", ["basic_user", "premium_user", "enterprise_user"])
def test_image_representation_of_every_builtin_tier_matches_the_schema(
    schema, request, post_image, tier_user
):
    user = request.getfixturevalue(tier_user)
    body = post_image(user, "photo.png", encode("PNG")).json()

    _validator(schema, "Image").validate(body)
    assert set(schema["components"]["schemas"]["Image"]["required"]) == {
        "id",
        "url",
        "name",
        "format",
        "width",
        "height",
        "size",
        "created_at",
        "thumbnails",
    }


def test_every_endpoint_behind_a_login_documents_401_and_403(schema):
    for path, operations in schema["paths"].items():
        if path in ("/api/auth/token/", "/api/schema/"):
            continue
        for method, operation in operations.items():
            assert {"401", "403"} <= set(operation["responses"]), f"{method} {path}"


def test_throttled_endpoints_document_429_with_retry_after(schema):
    throttled = {
        ("post", "/api/images/"),
        ("post", "/api/images/{id}/expiring-links/"),
    }

    documented = {
        (method, path)
        for path, operations in schema["paths"].items()
        for method, operation in operations.items()
        if "429" in operation["responses"]
    }

    assert documented == throttled
    for method, path in throttled:
        response = schema["paths"][path][method]["responses"]["429"]
        assert set(response["headers"]) == {"Retry-After"}


def test_expiring_link_height_is_documented_as_a_whole_number(schema):
    height = schema["components"]["schemas"]["ExpiringLinkRequest"]["properties"][
        "height"
    ]

    assert (height["type"], height["minimum"], height["maximum"]) == (
        "integer",
        1,
        10_000,
    )


@pytest.mark.parametrize(
    "path",
    ["/api/nothing-here/", "/api/images/0.5/", "/api/images/0.5/nothing/"],
)
def test_unknown_api_paths_answer_404_in_json(client_for, basic_user, path):
    response = client_for(basic_user).get(path)

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Not found."}


def test_a_crash_under_the_api_answers_500_in_json(basic_user, monkeypatch):
    def crash(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr("uploads.views.ImageViewSet.list", crash)
    client = APIClient(raise_request_exception=False)
    client.force_authenticate(basic_user)

    response = client.get("/api/images/")

    assert response.status_code == 500
    assert response.json() == {"detail": "Server error; try again later."}


def test_pages_outside_the_api_keep_djangos_html_errors(client):
    response = client.get("/no-such-page/")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
