"""Signed links answered by Django itself or handed to nginx (X-Accel-Redirect)."""

import io
import re
from pathlib import Path

import pytest
from django.conf import settings
from PIL import Image as PILImage

from conftest import image_bytes
from tiers.models import Tier
from uploads.models import Image

ACCEL = "/protected-media/"


@pytest.fixture
def accel(settings):
    settings.IMAGEAPI_ACCEL_REDIRECT_LOCATION = ACCEL


def media_file(accel_redirect):
    """Return the file under MEDIA_ROOT that an X-Accel-Redirect names."""
    return Path(settings.MEDIA_ROOT) / accel_redirect.removeprefix(ACCEL)


def max_age(response):
    return int(re.search(r"max-age=(\d+)", response["Cache-Control"])[1])


def test_without_accel_setting_django_streams_the_original(
    premium_user, upload_image, anonymous_client
):
    content = image_bytes("PNG", size=(300, 200))
    body = upload_image(premium_user, "photo.png", content)

    response = anonymous_client.get(body["original"])

    assert response.status_code == 200
    assert "X-Accel-Redirect" not in response
    assert b"".join(response.streaming_content) == content
    assert response["Content-Type"] == "image/png"
    assert response["Content-Length"] == str(len(content))
    assert response["Cache-Control"] == "public, max-age=600"
    assert response["ETag"] and response["Last-Modified"]


def test_with_accel_setting_the_original_is_handed_to_nginx(
    accel, premium_user, upload_image, anonymous_client
):
    content = image_bytes("JPEG", size=(300, 200))
    body = upload_image(premium_user, "holiday.jpg", content)
    stored = Image.objects.get(pk=body["id"])

    response = anonymous_client.get(body["original"])

    assert response.status_code == 200
    assert response.content == b""
    assert response["X-Accel-Redirect"] == ACCEL + stored.file.name
    assert media_file(response["X-Accel-Redirect"]).read_bytes() == content
    assert response["Content-Type"] == "image/jpeg"
    assert response["Content-Disposition"] == 'inline; filename="holiday.jpg"'
    assert response["Cache-Control"] == "public, max-age=600"
    assert response["ETag"] == f'"{stored.pk.hex}-original"'
    assert response["Last-Modified"]


def test_with_accel_setting_the_thumbnail_exists_before_the_redirect(
    accel, basic_user, upload_image, anonymous_client
):
    body = upload_image(basic_user, "photo.png", size=(600, 400))

    response = anonymous_client.get(body["thumbnails"]["200"])

    assert response.status_code == 200
    assert response.content == b""
    with PILImage.open(media_file(response["X-Accel-Redirect"])) as thumbnail:
        assert thumbnail.size == (300, 200)


def test_with_accel_setting_a_vanished_thumbnail_is_made_again(
    accel, basic_user, upload_image, anonymous_client
):
    body = upload_image(basic_user, "photo.png", size=(600, 400))
    first = anonymous_client.get(body["thumbnails"]["200"])
    media_file(first["X-Accel-Redirect"]).unlink()

    second = anonymous_client.get(body["thumbnails"]["200"])

    assert second["X-Accel-Redirect"] == first["X-Accel-Redirect"]
    assert media_file(second["X-Accel-Redirect"]).is_file()


def test_with_accel_setting_an_expiring_link_limits_caching_to_its_time_left(
    accel, enterprise_user, upload_image, client_for, anonymous_client
):
    body = upload_image(enterprise_user, "photo.png")
    link = client_for(enterprise_user).post(
        body["expiring_links"], {"expires_in": 300, "height": 400}, format="json"
    )

    response = anonymous_client.get(link.json()["url"])

    assert response.status_code == 200
    assert response["X-Accel-Redirect"].endswith("/400.png")
    assert 295 <= max_age(response) <= 300


def test_with_accel_setting_a_tampered_link_is_404_without_redirect(
    accel, premium_user, upload_image, anonymous_client
):
    body = upload_image(premium_user, "photo.png")

    response = anonymous_client.get(body["original"][:-2] + "xx")

    assert response.status_code == 404
    assert "X-Accel-Redirect" not in response


def test_with_accel_setting_a_link_the_tier_no_longer_grants_is_404(
    accel, premium_user, upload_image, anonymous_client
):
    body = upload_image(premium_user, "photo.png")
    premium_user.tier = Tier.objects.get(name="Basic")
    premium_user.save()

    response = anonymous_client.get(body["original"])

    assert response.status_code == 404
    assert "X-Accel-Redirect" not in response


def test_both_paths_serve_the_same_thumbnail_bytes(
    settings, basic_user, upload_image, anonymous_client
):
    body = upload_image(basic_user, "photo.png", size=(900, 600))
    streamed = b"".join(
        anonymous_client.get(body["thumbnails"]["200"]).streaming_content
    )

    settings.IMAGEAPI_ACCEL_REDIRECT_LOCATION = ACCEL
    redirected = anonymous_client.get(body["thumbnails"]["200"])

    assert media_file(redirected["X-Accel-Redirect"]).read_bytes() == streamed
    with PILImage.open(io.BytesIO(streamed)) as thumbnail:
        assert thumbnail.height == 200
