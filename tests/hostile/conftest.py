"""Fixtures for the tests of hostile input, faults and attacks."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from model_bakery import baker

from tiers.models import ThumbnailHeight, Tier


@pytest.fixture
def post_image(client_for):
    """Return post(user, name, content, content_type=...) -> the upload response."""

    def post(user, name, content, content_type="image/png"):
        upload = SimpleUploadedFile(name, content, content_type=content_type)
        return client_for(user).post(
            "/api/images/", {"image": upload}, format="multipart"
        )

    return post


@pytest.fixture
def media_root(settings):
    return settings.MEDIA_ROOT


@pytest.fixture
def tier_with_heights(db):
    """Return a factory of users on a new tier with the given heights."""

    def make(*heights, original_link=True, expiring_links=True):
        tier = Tier.objects.create(
            name=f"Heights {heights}",
            original_link=original_link,
            expiring_links=expiring_links,
        )
        for height in heights:
            ThumbnailHeight.objects.create(tier=tier, height=height)
        return baker.make("tiers.User", tier=tier)

    return make
