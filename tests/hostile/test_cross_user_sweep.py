"""No route lets one user reach another user's image or its files."""

import base64
import json
import uuid
from urllib.parse import urlsplit

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from model_bakery import baker
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tiers.models import Tier
from uploads.models import Image

from .files import body_of, encode, fetch, media_files

METHODS = ["get", "head", "post", "put", "patch", "delete", "options"]
PASSWORD = "correct horse battery staple"


def _routes():
    """Yield (name, parameter names) of every named route outside the admin."""

    def walk(patterns, namespace):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns, pattern.namespace or namespace)
            elif isinstance(pattern, URLPattern) and pattern.name and not namespace:
                yield pattern.name, frozenset(pattern.pattern.regex.groupindex)

    return sorted(set(walk(get_resolver().url_patterns, None)))


def _paths_with(image_id):
    """Return every path of the API that names an image, for `image_id`."""
    paths = []
    for name, parameters in _routes():
        if name == "file" or not parameters:
            continue
        unknown = parameters - {"pk", "format"}
        assert not unknown, f"Route {name} takes {unknown}: teach this sweep."
        if "pk" not in parameters:
            continue
        kwargs = {"pk": image_id}
        if "format" in parameters:
            kwargs["format"] = "json"
        paths.append(reverse(name, kwargs=kwargs))
    return paths


@pytest.fixture
def alice(db):
    user = baker.make(
        "tiers.User", username="alice", tier=Tier.objects.get(name="Enterprise")
    )
    user.set_password(PASSWORD)
    user.save()
    return user


@pytest.fixture
def mallory(db):
    user = baker.make(
        "tiers.User", username="mallory", tier=Tier.objects.get(name="Enterprise")
    )
    user.set_password(PASSWORD)
    user.save()
    return user


def _clients(user):
    """Return the user's clients for each way of logging in."""
    token = APIClient()
    token.credentials(
        HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}"
    )
    basic = APIClient()
    encoded = base64.b64encode(f"{user.username}:{PASSWORD}".encode()).decode()
    basic.credentials(HTTP_AUTHORIZATION=f"Basic {encoded}")
    session = APIClient(enforce_csrf_checks=False)
    assert session.login(username=user.username, password=PASSWORD)
    return {"token": token, "basic": basic, "session": session}


def _upload(client, size):
    response = client.post(
        "/api/images/",
        {"image": _file(size)},
        format="multipart",
    )
    assert response.status_code == 201, response.content
    return response.json()


def _file(size):
    return SimpleUploadedFile("secret-holiday.png", encode("PNG", size=size))


def test_every_route_answers_another_users_id_as_if_it_did_not_exist(
    alice, mallory, media_root
):
    alice_image = _upload(_clients(alice)["token"], (120, 80))
    _upload(_clients(mallory)["token"], (60, 40))
    files_before = media_files(media_root)
    unknown_id = str(uuid.uuid4())
    paths = _paths_with(alice_image["id"])
    assert len(paths) >= 2

    for way, client in _clients(mallory).items():
        for path in paths:
            for method in METHODS:
                data = {"expires_in": 600} if method == "post" else None
                attempt = getattr(client, method)(path, data, format="json")
                control = getattr(client, method)(
                    path.replace(alice_image["id"], unknown_id), data, format="json"
                )
                where = f"{way} {method.upper()} {path}"
                # OPTIONS describes the route, never the object.
                allowed = (200, 404, 405) if method == "options" else (404, 405)
                assert attempt.status_code in allowed, where
                assert attempt.status_code == control.status_code, where
                content = body_of(attempt)
                assert content == body_of(control).replace(
                    unknown_id.encode(), alice_image["id"].encode()
                ), where
                assert alice_image["id"].replace("-", "").encode() not in content
                assert b"secret-holiday" not in content, where

    assert Image.objects.filter(pk=alice_image["id"]).exists()
    assert media_files(media_root) == files_before


def test_listing_and_filters_show_only_your_own_images(alice, mallory):
    _upload(_clients(alice)["token"], (120, 80))
    mine = _upload(_clients(mallory)["token"], (60, 40))

    for way, client in _clients(mallory).items():
        for query in (
            "",
            "?format=png",
            "?created_after=2000-01-01T00:00:00Z",
            "?page_size=100",
        ):
            listing = client.get(f"/api/images/{query}").json()
            assert [image["id"] for image in listing["results"]] == [mine["id"]], way


def test_anonymous_requests_reach_no_image_route(alice):
    image = _upload(_clients(alice)["token"], (120, 80))
    client = APIClient()

    for path in [*_paths_with(image["id"]), "/api/images/"]:
        for method in METHODS:
            response = getattr(client, method)(path)
            assert response.status_code in (401, 405), f"{method} {path}"
            assert image["id"].encode() not in body_of(response)


def test_a_link_cannot_be_pointed_at_another_users_image(alice, mallory):
    alice_image = _upload(_clients(alice)["token"], (120, 80))
    mallory_image = _upload(_clients(mallory)["token"], (60, 40))
    token = urlsplit(mallory_image["original"]).path.removeprefix("/files/")
    payload, signature = token.rsplit(":", 1)
    forged_payload = (
        base64.urlsafe_b64encode(
            json.dumps(
                {"i": uuid.UUID(alice_image["id"]).hex}, separators=(",", ":")
            ).encode()
        )
        .decode()
        .rstrip("=")
    )
    client = APIClient()

    assert fetch(client, mallory_image["original"]).status_code == 200
    assert client.get(f"/files/{forged_payload}:{signature}").status_code == 404
    assert client.get(f"/files/{forged_payload}").status_code == 404


def test_admin_pages_of_another_users_image_send_a_non_staff_user_to_login(
    alice, mallory
):
    image = _upload(_clients(alice)["token"], (120, 80))
    session = _clients(mallory)["session"]

    for action in ("change", "delete", "history"):
        path = reverse(f"admin:uploads_image_{action}", args=[image["id"]])
        response = session.get(path)
        assert response.status_code == 302
        assert response["Location"].startswith("/admin/login/")


def test_format_suffix_urls_do_not_exist(alice):
    image = _upload(_clients(alice)["token"], (120, 80))
    client = _clients(alice)["token"]

    for path in (
        "/api/images.json",
        f"/api/images/{image['id']}.json",
        f"/api/images/{image['id']}/expiring-links.json",
    ):
        response = client.get(path, follow=True)
        assert (response.status_code, response["Content-Type"]) == (
            404,
            "application/json",
        ), path
        posted = client.post(path, {"expires_in": 600}, format="json")
        assert posted.status_code in (301, 404), path
