"""The list endpoint's cost does not grow with images or heights."""

import pytest
from django.core.files.storage import FileSystemStorage
from model_bakery import baker

from uploads.models import Image

# One query for the page of images, one for the owner's tier grants.
LIST_QUERIES = 2


def add_images(owner, count):
    baker.make(
        Image,
        owner=owner,
        file="images/00/0/original.png",
        format="png",
        width=640,
        height=480,
        size=1000,
        _quantity=count,
    )


@pytest.fixture
def user_with_heights(make_tier):
    def make(count):
        heights = [100 * (index + 1) for index in range(count)]
        return baker.make("tiers.User", tier=make_tier(f"{count} heights", heights))

    return make


@pytest.mark.parametrize("image_count", [1, 50])
def test_list_query_count_does_not_grow_with_images(
    enterprise_user, client_for, django_assert_num_queries, image_count
):
    add_images(enterprise_user, image_count)
    client = client_for(enterprise_user)

    with django_assert_num_queries(LIST_QUERIES):
        response = client.get("/api/images/", {"page_size": 100})

    assert len(response.json()["results"]) == image_count


@pytest.mark.parametrize("height_count", [1, 5])
def test_list_query_count_does_not_grow_with_heights(
    user_with_heights, client_for, django_assert_num_queries, height_count
):
    user = user_with_heights(height_count)
    add_images(user, 20)
    client = client_for(user)

    with django_assert_num_queries(LIST_QUERIES):
        response = client.get("/api/images/")

    assert len(response.json()["results"][0]["thumbnails"]) == height_count


def test_list_remembers_the_tier_grants_between_requests(
    basic_user, client_for, django_assert_num_queries
):
    add_images(basic_user, 5)
    client = client_for(basic_user)
    client.get("/api/images/")

    with django_assert_num_queries(LIST_QUERIES - 1):
        client.get("/api/images/")


def test_filtered_list_costs_the_same(
    basic_user, client_for, django_assert_num_queries
):
    add_images(basic_user, 30)
    client = client_for(basic_user)

    with django_assert_num_queries(LIST_QUERIES):
        response = client.get(
            "/api/images/",
            {"format": "png", "created_after": "2000-01-01T00:00:00Z"},
        )

    assert response.status_code == 200


def test_listing_never_touches_the_image_files(
    premium_user, upload_image, client_for, monkeypatch
):
    upload_image(premium_user)
    add_images(premium_user, 49)

    def refuse(*args, **kwargs):
        raise AssertionError("listing touched the storage")

    for method in ["open", "exists", "size", "path", "listdir", "url"]:
        monkeypatch.setattr(FileSystemStorage, method, refuse)

    response = client_for(premium_user).get("/api/images/", {"page_size": 100})
    detail = client_for(premium_user).get(response.json()["results"][0]["url"])

    assert response.status_code == 200
    assert len(response.json()["results"]) == 50
    assert detail.status_code == 200
