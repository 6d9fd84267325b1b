"""Who may call the API: session, HTTP Basic and token authentication."""

import base64

import pytest
from django.contrib.auth import get_user_model
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

PASSWORD = "correct-horse-battery"


@pytest.fixture
def alice(db):
    return get_user_model().objects.create_user("alice", password=PASSWORD)


def basic_auth(username, password):
    pair = base64.b64encode(f"{username}:{password}".encode()).decode()
    return {"Authorization": f"Basic {pair}"}


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/images/"),
        ("post", "/api/images/"),
        ("get", "/api/images/00000000-0000-0000-0000-000000000000/"),
        ("delete", "/api/images/00000000-0000-0000-0000-000000000000/"),
        ("post", "/api/images/00000000-0000-0000-0000-000000000000/expiring-links/"),
    ],
)
def test_anonymous_request_gets_401(anonymous_client, db, method, path):
    response = getattr(anonymous_client, method)(path)

    assert response.status_code == 401
    assert response.json() == {
        "detail": "Authentication credentials were not provided."
    }
    assert response["WWW-Authenticate"] == "Token"


def test_http_basic_authenticates(alice, upload_image):
    mine = upload_image(alice)

    response = APIClient().get("/api/images/", headers=basic_auth("alice", PASSWORD))

    assert response.status_code == 200
    assert response.json()["results"] == [mine]


def test_http_basic_with_a_wrong_password_is_401(alice):
    response = APIClient().get("/api/images/", headers=basic_auth("alice", "wrong"))

    assert response.status_code == 401
    assert response.json() == {"detail": "Invalid username/password."}


def test_session_login_authenticates(alice):
    client = APIClient()
    assert client.login(username="alice", password=PASSWORD)

    assert client.get("/api/images/").status_code == 200


def test_browsable_api_login_page_logs_in(alice):
    client = APIClient()

    response = client.post(
        "/api-auth/login/",
        {"username": "alice", "password": PASSWORD, "next": "/api/images/"},
    )

    assert response.status_code == 302
    assert response["Location"] == "/api/images/"
    assert client.get("/api/images/").status_code == 200


def test_token_is_issued_for_form_credentials(alice):
    response = APIClient().post(
        "/api/auth/token/", {"username": "alice", "password": PASSWORD}
    )

    assert response.status_code == 200
    assert response.json() == {"token": Token.objects.get(user=alice).key}


def test_token_is_issued_for_json_credentials(alice):
    response = APIClient().post(
        "/api/auth/token/",
        {"username": "alice", "password": PASSWORD},
        format="json",
    )

    assert response.status_code == 200
    assert response.json() == {"token": Token.objects.get(user=alice).key}


def test_token_is_the_same_on_every_request(alice):
    keys = {
        APIClient()
        .post("/api/auth/token/", {"username": "alice", "password": PASSWORD})
        .json()["token"]
        for _ in range(2)
    }

    assert len(keys) == 1


def test_token_authenticates(alice, upload_image):
    mine = upload_image(alice)
    key = (
        APIClient()
        .post("/api/auth/token/", {"username": "alice", "password": PASSWORD})
        .json()["token"]
    )

    response = APIClient().get(
        "/api/images/", headers={"Authorization": f"Token {key}"}
    )

    assert response.status_code == 200
    assert response.json()["results"] == [mine]


def test_token_can_upload(alice, make_upload):
    key = Token.objects.create(user=alice).key

    response = APIClient().post(
        "/api/images/",
        {"image": make_upload()},
        format="multipart",
        headers={"Authorization": f"Token {key}"},
    )

    assert response.status_code == 201


def test_unknown_token_is_401(db):
    response = APIClient().get(
        "/api/images/", headers={"Authorization": "Token not-a-real-key"}
    )

    assert response.status_code == 401
    assert response.json() == {"detail": "Invalid token."}


@pytest.mark.parametrize(
    "credentials",
    [
        {"username": "alice", "password": "wrong"},
        {"username": "nobody", "password": PASSWORD},
    ],
)
@pytest.mark.parametrize("data_format", ["multipart", "json"])
def test_token_request_with_wrong_credentials_is_400(alice, credentials, data_format):
    response = APIClient().post("/api/auth/token/", credentials, format=data_format)

    assert response.status_code == 400
    assert response.json() == {
        "non_field_errors": ["Unable to log in with provided credentials."]
    }
    assert not Token.objects.exists()


def test_token_request_without_credentials_is_400(db):
    response = APIClient().post("/api/auth/token/", {}, format="json")

    assert response.status_code == 400
    assert response.json() == {
        "username": ["This field is required."],
        "password": ["This field is required."],
    }


def test_inactive_user_gets_no_token(alice):
    alice.is_active = False
    alice.save()

    response = APIClient().post(
        "/api/auth/token/", {"username": "alice", "password": PASSWORD}
    )

    assert response.status_code == 400
