"""Fixtures shared by the whole test suite."""

import io
import os
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from model_bakery import baker
from PIL import ExifTags, Image
from rest_framework.test import APIClient

from tiers.models import ThumbnailHeight, Tier


@pytest.fixture(autouse=True)
def _isolated_media_and_cache(settings, tmp_path):
    """Give each test an empty media folder and an empty cache."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    cache.clear()
    yield
    cache.clear()


def image_bytes(
    image_format="PNG", size=(640, 480), mode="RGB", color=(200, 30, 60), **save
):
    """Return an encoded image made in memory."""
    if mode in ("L", "1", "P", "I;16", "I"):
        color = 128
    elif mode == "LA":
        color = (128, 100)
    elif mode == "RGBA" and len(color) == 3:
        color = (*color, 128)
    elif mode == "CMYK":
        color = (10, 200, 30, 0)
    return encode(Image.new(mode, size, color), image_format, **save)


def encode(image, image_format="PNG", **save):
    """Return `image` encoded in `image_format`."""
    buffer = io.BytesIO()
    image.save(buffer, image_format, **save)
    return buffer.getvalue()


def exif_with(orientation=None, gps=False):
    """Return an Exif block with the given orientation and, if asked, a GPS fix."""
    exif = Image.Exif()
    if orientation is not None:
        exif[ExifTags.Base.Orientation] = orientation
    exif[ExifTags.Base.Make] = "Test Camera"
    if gps:
        exif[ExifTags.Base.GPSInfo] = {
            ExifTags.GPS.GPSLatitudeRef: "N",
            ExifTags.GPS.GPSLatitude: (52.0, 13.0, 0.0),
        }
    return exif


def two_halves(size, left=(255, 0, 0), right=(0, 0, 255), mode="RGB"):
    """Return an image whose left half is `left` and right half is `right`."""
    image = Image.new(mode, size, left)
    width, height = size
    image.paste(right, (width // 2, 0, width, height))
    return image


@pytest.fixture
def make_image():
    """Return image_bytes(): an encoded image made in memory."""
    return image_bytes


@pytest.fixture
def encode_image():
    """Return encode(): a PIL image encoded in a format."""
    return encode


@pytest.fixture
def make_exif():
    """Return exif_with(): an Exif block with an orientation and maybe GPS."""
    return exif_with


@pytest.fixture
def halves():
    """Return two_halves(): an image coloured differently left and right."""
    return two_halves


@pytest.fixture
def make_upload():
    """Return a factory of uploaded files: make_upload(name, content=None, ...)."""

    def make(name="photo.png", content=None, **image_options):
        if content is None:
            content = image_bytes(**image_options)
        return SimpleUploadedFile(name, content)

    return make


def tier(name):
    return Tier.objects.get(name=name)


@pytest.fixture
def make_tier(db):
    """Return a factory of tiers: make_tier(name, heights, original, expiring)."""

    def make(name, heights=(), original_link=False, expiring_links=False):
        new_tier = Tier.objects.create(
            name=name, original_link=original_link, expiring_links=expiring_links
        )
        for height in heights:
            ThumbnailHeight.objects.create(tier=new_tier, height=height)
        return new_tier

    return make


@pytest.fixture
def basic_user(db):
    return baker.make("tiers.User", username="basic-user", tier=tier("Basic"))


@pytest.fixture
def premium_user(db):
    return baker.make("tiers.User", username="premium-user", tier=tier("Premium"))


@pytest.fixture
def enterprise_user(db):
    return baker.make(
        "tiers.User", username="enterprise-user", tier=tier("Enterprise")
    )


@pytest.fixture
def client_for():
    """Return a factory of API clients logged in as the given user."""

    def make(user):
        client = APIClient()
        client.force_authenticate(user)
        return client

    return make


@pytest.fixture
def anonymous_client():
    return APIClient()


@pytest.fixture
def upload_image(db, client_for, make_upload):
    """Upload through the API as `user`; return the 201 response's body."""

    def upload(user, name="photo.png", content=None, **image_options):
        response = client_for(user).post(
            "/api/images/",
            {"image": make_upload(name, content, **image_options)},
            format="multipart",
        )
        assert response.status_code == 201, response.content
        return response.json()

    return upload


@pytest.fixture
def fetch():
    """Return a function that GETs a link with no credentials at all.

    The response's whole body is in its `body` attribute.
    """

    def get(url, **headers):
        response = APIClient().get(url, headers=headers)
        # Reading a file response to the end closes the file behind it.
        response.body = body_of(response)
        return response

    return get


def body_of(response):
    """Return the whole body of a plain or streaming response."""
    if response.streaming:
        return b"".join(response.streaming_content)
    return response.content


@pytest.fixture
def fetch_image(fetch):
    """Return a function that GETs a link, expects 200 and opens the image."""

    def get(url):
        response = fetch(url)
        assert response.status_code == 200, response
        image = Image.open(io.BytesIO(response.body))
        image.load()
        return image

    return get


def media_entries(kind):
    """Return the paths, relative to MEDIA_ROOT, of its files or its folders."""
    root = Path(settings.MEDIA_ROOT)
    found = []
    for folder, dirnames, filenames in os.walk(root):
        names = filenames if kind == "files" else dirnames
        for name in names:
            found.append((Path(folder) / name).relative_to(root).as_posix())
    return sorted(found)


@pytest.fixture
def media_files():
    """Return a function listing every file left in MEDIA_ROOT."""
    return lambda: media_entries("files")


@pytest.fixture
def media_folders():
    """Return a function listing every folder left in MEDIA_ROOT."""
    return lambda: media_entries("folders")
