"""Fixtures shared by the whole test suite."""

import io

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from model_bakery import baker
from PIL import Image
from rest_framework.test import APIClient

from tiers.models import Tier


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
    buffer = io.BytesIO()
    Image.new(mode, size, color).save(buffer, image_format, **save)
    return buffer.getvalue()


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
def upload_image(client_for, make_upload):
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
