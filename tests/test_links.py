"""Signed links: absolute, shareable, tamper-proof, revoked with their grant."""

from urllib.parse import urlsplit

import pytest
from django.test import Client

from tiers.models import ThumbnailHeight
from uploads.links import Link
from uploads.models import Image

PREFIX = "http://testserver/files/"


def token_of(url):
    assert url.startswith(PREFIX)
    return url.removeprefix(PREFIX)


def flip(text, index):
    """Return `text` with the character at `index` replaced by another."""
    replacement = "A" if text[index] != "A" else "B"
    return text[:index] + replacement + text[index + 1 :]


@pytest.fixture
def premium_body(premium_user, upload_image):
    return upload_image(premium_user)


def test_every_link_is_absolute(enterprise_user, upload_image):
    body = upload_image(enterprise_user)

    assert body["url"].startswith("http://testserver/api/images/")
    assert body["expiring_links"].startswith("http://testserver/api/images/")
    assert body["original"].startswith(PREFIX)
    for url in body["thumbnails"].values():
        assert url.startswith(PREFIX)


def test_links_made_over_https_are_https(premium_user, client_for, make_upload):
    response = client_for(premium_user).post(
        "/api/images/", {"image": make_upload()}, format="multipart", secure=True
    )

    body = response.json()
    assert body["url"].startswith("https://testserver/api/images/")
    assert body["original"].startswith("https://testserver/files/")


def test_links_work_without_credentials(premium_body, fetch):
    for url in [*premium_body["thumbnails"].values(), premium_body["original"]]:
        assert fetch(url).status_code == 200


def test_links_work_for_another_logged_in_user(premium_body, basic_user, client_for):
    response = client_for(basic_user).get(premium_body["original"])

    assert response.status_code == 200


def test_links_stay_the_same_between_responses(premium_user, premium_body, client_for):
    again = client_for(premium_user).get(premium_body["url"]).json()

    assert again == premium_body


@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param(lambda token: flip(token, 0), id="first-char"),
        pytest.param(lambda token: flip(token, len(token) // 2), id="middle-char"),
        pytest.param(lambda token: flip(token, -1), id="last-char"),
        pytest.param(lambda token: token + "A", id="appended"),
        pytest.param(lambda token: token + "/", id="trailing-slash"),
        pytest.param(lambda token: token[:-1], id="truncated"),
        pytest.param(lambda token: token.rsplit(":", 1)[0], id="no-signature"),
        pytest.param(lambda token: token.swapcase(), id="case-swapped"),
        pytest.param(lambda token: "", id="empty"),
    ],
)
def test_changed_link_is_404(premium_body, fetch, tamper):
    for url in [premium_body["thumbnails"]["200"], premium_body["original"]]:
        assert fetch(PREFIX + tamper(token_of(url))).status_code == 404


def test_link_made_of_two_links_parts_is_404(premium_body, fetch):
    small_payload, _ = token_of(premium_body["thumbnails"]["200"]).rsplit(":", 1)
    _, large_signature = token_of(premium_body["thumbnails"]["400"]).rsplit(":", 1)

    response = fetch(f"{PREFIX}{small_payload}:{large_signature}")

    assert response.status_code == 404


def test_link_of_one_image_signed_for_another_is_404(
    premium_user, upload_image, fetch
):
    first = upload_image(premium_user, "first.png")
    second = upload_image(premium_user, "second.png")
    payload, _ = token_of(first["original"]).rsplit(":", 1)
    _, signature = token_of(second["original"]).rsplit(":", 1)

    assert fetch(f"{PREFIX}{payload}:{signature}").status_code == 404


def test_link_signed_with_another_key_is_404(premium_body, fetch, settings, rf):
    real_key = settings.SECRET_KEY
    settings.SECRET_KEY = "some-other-key"
    forged = Link(Image.objects.get().pk.hex).absolute_url(rf.get("/"))
    settings.SECRET_KEY = real_key

    assert forged != premium_body["original"]
    assert fetch(forged).status_code == 404


def test_link_to_a_deleted_image_is_404(
    premium_user, premium_body, client_for, fetch, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client_for(premium_user).delete(premium_body["url"])

    for url in [*premium_body["thumbnails"].values(), premium_body["original"]]:
        assert fetch(url).status_code == 404


def test_thumbnail_link_whose_height_the_tier_dropped_is_404(
    premium_user, premium_body, fetch
):
    ThumbnailHeight.objects.filter(tier=premium_user.tier, height=400).delete()

    assert fetch(premium_body["thumbnails"]["400"]).status_code == 404
    assert fetch(premium_body["thumbnails"]["200"]).status_code == 200


def test_original_link_after_the_tier_lost_original_links_is_404(
    premium_user, premium_body, fetch
):
    premium_user.tier.original_link = False
    premium_user.tier.save()

    assert fetch(premium_body["original"]).status_code == 404
    assert fetch(premium_body["thumbnails"]["400"]).status_code == 200


def test_genuine_signature_does_not_grant_what_the_tier_lacks(
    basic_user, upload_image, fetch, rf
):
    upload_image(basic_user)
    image_id = Image.objects.get().pk.hex
    request = rf.get("/")

    assert fetch(Link(image_id).absolute_url(request)).status_code == 404
    assert fetch(Link(image_id, 400).absolute_url(request)).status_code == 404
    assert fetch(Link(image_id, 200).absolute_url(request)).status_code == 200


@pytest.mark.parametrize("prefix", ["/media/", "/media-not-public/", "/files/", "/"])
def test_no_url_serves_the_media_folder_unsigned(premium_body, fetch, prefix):
    stored = Image.objects.get().file.name
    fetch(premium_body["thumbnails"]["200"])

    for name in [stored, stored.replace("original", "200")]:
        assert fetch(prefix + name).status_code == 404


def test_link_answers_only_safe_methods(premium_body, anonymous_client):
    response = anonymous_client.post(premium_body["original"])

    assert response.status_code == 405


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_link_answers_writes_with_405_not_a_csrf_page(premium_body, method):
    client = Client(enforce_csrf_checks=True)

    response = getattr(client, method)(urlsplit(premium_body["original"]).path)

    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD"
