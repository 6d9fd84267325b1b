"""The list and the links: same answers as the generic paths, fixed queries."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core import signing
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import RequestFactory
from model_bakery import baker
from rest_framework import serializers
from rest_framework.request import Request

from conftest import image_bytes
from tiers.grants import grants_for_tier
from uploads.imaging import inspect_upload
from uploads.links import Link, LinkUrls, read_link
from uploads.serializers import ImageSerializer

LINKS = [
    Link("0123456789abcdef0123456789abcdef"),
    Link("0123456789abcdef0123456789abcdef", 200),
    Link("fedcba9876543210fedcba9876543210", 10_000, datetime(2031, 5, 6, tzinfo=UTC)),
    Link("fedcba9876543210fedcba9876543210", None, datetime(2031, 5, 6, tzinfo=UTC)),
]


def stock_token(link):
    payload = {"i": link.image_id}
    if link.height is not None:
        payload["h"] = link.height
    if link.expires_at is not None:
        payload["x"] = int(link.expires_at.timestamp())
    return signing.Signer(salt="uploads.links").sign_object(payload)


@pytest.mark.parametrize("link", LINKS)
def test_link_tokens_are_those_of_djangos_signer(link):
    assert link.sign() == stock_token(link)


@pytest.mark.parametrize("link", LINKS)
def test_link_tokens_read_back(link):
    assert read_link(link.sign(), now=datetime(2030, 1, 1, tzinfo=UTC)) == link


def test_link_tokens_follow_the_secret_key(settings):
    link = LINKS[1]
    before = link.sign()

    settings.SECRET_KEY = "another-test-only-key"

    assert link.sign() != before
    assert link.sign() == stock_token(link)


@pytest.mark.parametrize("host", ["testserver", "example.org:8443"])
@pytest.mark.parametrize("link", LINKS)
def test_link_urls_equal_reversed_absolute_urls(settings, host, link):
    settings.ALLOWED_HOSTS = [host.split(":")[0], "testserver"]
    request = RequestFactory().get("/api/images/", HTTP_HOST=host, secure=True)

    assert LinkUrls(request).url(link) == link.absolute_url(request)


def generic_representation(image, context):
    """Return what ModelSerializer's field-by-field path makes of `image`."""
    serializer = ImageSerializer(image, context=context)
    data = serializers.ModelSerializer.to_representation(serializer, image)
    return {key: value for key, value in data.items() if value is not None}


@pytest.mark.parametrize("user", ["basic_user", "premium_user", "enterprise_user"])
def test_representation_equals_the_field_by_field_one(request, upload_image, user):
    owner = request.getfixturevalue(user)
    body = upload_image(owner)
    image = owner.images.get()
    http = Request(RequestFactory().get("/api/images/"))
    context = {"request": http, "grants": grants_for_tier(owner.tier_id)}

    fast = ImageSerializer(image, context=context).data

    assert fast == generic_representation(image, context)
    assert list(fast) == list(generic_representation(image, context))
    assert fast["id"] == body["id"]


def make_images(owner, count):
    start = datetime(2024, 1, 1, tzinfo=UTC)
    return baker.make(
        "uploads.Image",
        owner=owner,
        format="jpeg",
        file="images/ab/abc/original.jpg",
        _quantity=count,
        created_at=iter(start + timedelta(minutes=n) for n in range(count)),
        _bulk_create=True,
    )


@pytest.mark.parametrize("count", [3, 60])
def test_list_queries_do_not_grow_with_the_page(
    enterprise_user, client_for, django_assert_num_queries, count
):
    make_images(enterprise_user, count)
    client = client_for(enterprise_user)
    client.get("/api/images/")  # the tier's grants are cached from here on

    with django_assert_num_queries(1):
        response = client.get("/api/images/?page_size=50")

    assert len(response.json()["results"]) == min(count, 50)


def test_deep_pages_use_the_cursor_not_an_offset(
    enterprise_user, client_for, django_assert_num_queries
):
    make_images(enterprise_user, 120)
    client = client_for(enterprise_user)
    page = client.get("/api/images/?page_size=50").json()
    page = client.get(page["next"]).json()

    with django_assert_num_queries(1) as queries:
        last = client.get(page["next"]).json()

    assert len(last["results"]) == 20
    sql = queries.captured_queries[0]["sql"]
    assert "OFFSET" not in sql and "COUNT" not in sql.upper()


def test_jpeg_facts_without_heights_give_the_full_size():
    upload = SimpleUploadedFile("p.jpg", image_bytes("JPEG", size=(1234, 567)))

    facts = inspect_upload(upload, max_bytes=10**8, max_pixels=10**8)

    assert (facts.format, facts.width, facts.height) == ("jpeg", 1234, 567)
    assert facts.decoded is None
