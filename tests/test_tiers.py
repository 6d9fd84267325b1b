"""Tiers: the builtin plans, the default for new users, and links that follow."""

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.management import call_command
from model_bakery import baker

from tiers.grants import _cache_key, grants_for_tier
from tiers.models import ThumbnailHeight, Tier

BASE_KEYS = {
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


@pytest.fixture
def image_of(upload_image, client_for):
    """Upload an image as `user`; return a function re-reading its detail."""

    def upload(user):
        url = upload_image(user)["url"]
        return lambda: client_for(user).get(url).json()

    return upload


def test_builtin_tiers_exist_after_migrate(db):
    tiers = [
        (
            tier.name,
            [height.height for height in tier.thumbnail_heights.all()],
            tier.original_link,
            tier.expiring_links,
            tier.is_default,
        )
        for tier in Tier.objects.order_by("pk")
    ]

    assert tiers == [
        ("Basic", [200], False, False, True),
        ("Premium", [200, 400], True, False, False),
        ("Enterprise", [200, 400], True, True, False),
    ]


def test_user_made_through_the_orm_without_a_tier_starts_on_basic(db):
    user = get_user_model().objects.create(username="new")

    user.refresh_from_db()
    assert user.tier.name == "Basic"


def test_user_made_by_model_bakery_without_a_tier_starts_on_basic(db):
    user = baker.make("tiers.User")

    assert user.tier.name == "Basic"
    assert Tier.objects.count() == 3


def test_user_made_with_create_user_starts_on_basic(db):
    user = get_user_model().objects.create_user("new", password="x-secret-1")

    assert get_user_model().objects.get(pk=user.pk).tier.name == "Basic"


def test_createsuperuser_command_makes_a_basic_user(db):
    call_command(
        "createsuperuser", "--noinput", username="root", email="root@example.com"
    )

    assert get_user_model().objects.get(username="root").tier.name == "Basic"


def test_superuser_starts_on_basic(db):
    user = get_user_model().objects.create_superuser("root", "r@example.com", "pw")

    assert get_user_model().objects.get(pk=user.pk).tier.name == "Basic"


def test_new_users_start_on_whichever_tier_is_the_default(db):
    Tier.objects.filter(name="Basic").update(is_default=False)
    Tier.objects.filter(name="Premium").update(is_default=True)

    user = get_user_model().objects.create_user("new")

    assert user.tier.name == "Premium"


def test_new_users_fall_back_to_the_oldest_tier_when_none_is_default(db):
    Tier.objects.update(is_default=False)

    user = get_user_model().objects.create_user("new")

    assert user.tier.name == "Basic"


def test_user_keeps_the_tier_given_at_creation(db):
    enterprise = Tier.objects.get(name="Enterprise")

    user = get_user_model().objects.create_user("new", tier=enterprise)

    assert get_user_model().objects.get(pk=user.pk).tier == enterprise


# --- Representation per tier -------------------------------------------------


def test_basic_user_gets_only_200px_thumbnail(basic_user, upload_image):
    body = upload_image(basic_user)

    assert set(body) == BASE_KEYS
    assert list(body["thumbnails"]) == ["200"]
    assert "original" not in body
    assert "expiring_links" not in body


def test_premium_user_gets_200_and_400px_thumbnails_and_the_original(
    premium_user, upload_image
):
    body = upload_image(premium_user)

    assert set(body) == BASE_KEYS | {"original"}
    assert list(body["thumbnails"]) == ["200", "400"]
    assert body["original"].startswith("http://testserver/files/")


def test_enterprise_user_also_gets_expiring_links(enterprise_user, upload_image):
    body = upload_image(enterprise_user)

    assert set(body) == BASE_KEYS | {"original", "expiring_links"}
    assert list(body["thumbnails"]) == ["200", "400"]
    assert body["expiring_links"] == body["url"] + "expiring-links/"


def test_every_link_in_the_representation_is_distinct(enterprise_user, upload_image):
    body = upload_image(enterprise_user)

    links = [*body["thumbnails"].values(), body["original"], body["url"]]
    assert len(set(links)) == len(links)


@pytest.mark.parametrize(
    ("heights", "keys"),
    [
        ([50, 1000], ["50", "1000"]),
        ([1000, 50], ["50", "1000"]),
        ([1000, 50, 300, 9], ["9", "50", "300", "1000"]),
        ([], []),
    ],
)
def test_thumbnail_keys_are_heights_in_ascending_numeric_order(
    make_tier, upload_image, heights, keys
):
    user = baker.make("tiers.User", tier=make_tier("Custom", heights))

    body = upload_image(user)

    assert list(body["thumbnails"]) == keys


def test_tier_with_expiring_links_but_no_original_link(make_tier, upload_image):
    tier = make_tier("Expiring only", [100], expiring_links=True)
    user = baker.make("tiers.User", tier=tier)

    body = upload_image(user)

    assert set(body) == BASE_KEYS | {"expiring_links"}


# --- Edits show in the next response ------------------------------------------


def test_height_added_to_a_tier_shows_in_the_next_response(basic_user, image_of):
    detail = image_of(basic_user)
    assert list(detail()["thumbnails"]) == ["200"]

    ThumbnailHeight.objects.create(tier=basic_user.tier, height=100)

    assert list(detail()["thumbnails"]) == ["100", "200"]


def test_height_removed_from_a_tier_leaves_the_next_response(
    premium_user, image_of, fetch
):
    detail = image_of(premium_user)
    old_link = detail()["thumbnails"]["400"]

    ThumbnailHeight.objects.get(tier=premium_user.tier, height=400).delete()

    assert list(detail()["thumbnails"]) == ["200"]
    assert fetch(old_link).status_code == 404


def test_height_changed_in_place_replaces_the_old_one(premium_user, image_of, fetch):
    detail = image_of(premium_user)
    old_link = detail()["thumbnails"]["400"]

    height = ThumbnailHeight.objects.get(tier=premium_user.tier, height=400)
    height.height = 300
    height.save()

    assert list(detail()["thumbnails"]) == ["200", "300"]
    assert fetch(old_link).status_code == 404
    assert fetch(detail()["thumbnails"]["300"]).status_code == 200


def test_height_moved_to_another_tier_leaves_the_first_one(
    premium_user, image_of, make_tier, fetch
):
    detail = image_of(premium_user)
    old_link = detail()["thumbnails"]["400"]

    height = ThumbnailHeight.objects.get(tier=premium_user.tier, height=400)
    height.tier = make_tier("Other")
    height.save()

    assert list(detail()["thumbnails"]) == ["200"]
    assert fetch(old_link).status_code == 404


@pytest.mark.parametrize(
    ("switch", "key"),
    [("original_link", "original"), ("expiring_links", "expiring_links")],
)
def test_switch_turned_on_adds_its_key(basic_user, image_of, switch, key):
    detail = image_of(basic_user)
    assert key not in detail()

    tier = basic_user.tier
    setattr(tier, switch, True)
    tier.save()

    assert key in detail()


@pytest.mark.parametrize(
    ("switch", "key"),
    [("original_link", "original"), ("expiring_links", "expiring_links")],
)
def test_switch_turned_off_removes_its_key(enterprise_user, image_of, switch, key):
    detail = image_of(enterprise_user)
    assert key in detail()

    tier = enterprise_user.tier
    setattr(tier, switch, False)
    tier.save()

    assert key not in detail()


def test_original_link_is_revoked_with_the_switch(premium_user, image_of, fetch):
    detail = image_of(premium_user)
    original = detail()["original"]
    assert fetch(original).status_code == 200

    premium_user.tier.original_link = False
    premium_user.tier.save()

    assert fetch(original).status_code == 404


def test_user_moved_to_another_tier_gets_its_links(basic_user, image_of, fetch):
    detail = image_of(basic_user)
    assert set(detail()) == BASE_KEYS

    basic_user.tier = Tier.objects.get(name="Enterprise")
    basic_user.save()

    body = detail()
    assert set(body) == BASE_KEYS | {"original", "expiring_links"}
    assert list(body["thumbnails"]) == ["200", "400"]
    assert fetch(body["thumbnails"]["400"]).status_code == 200
    assert fetch(body["original"]).status_code == 200


def test_user_moved_down_loses_the_links_of_the_old_tier(
    enterprise_user, image_of, fetch
):
    detail = image_of(enterprise_user)
    old = detail()

    enterprise_user.tier = Tier.objects.get(name="Basic")
    enterprise_user.save()

    assert set(detail()) == BASE_KEYS
    assert fetch(old["thumbnails"]["400"]).status_code == 404
    assert fetch(old["original"]).status_code == 404
    assert fetch(old["thumbnails"]["200"]).status_code == 200


def test_edit_to_one_tier_leaves_other_tiers_alone(
    basic_user, premium_user, image_of
):
    basic_detail = image_of(basic_user)
    premium_detail = image_of(premium_user)
    basic_detail(), premium_detail()

    ThumbnailHeight.objects.create(tier=basic_user.tier, height=100)

    assert list(premium_detail()["thumbnails"]) == ["200", "400"]


def test_grants_cached_by_a_request_during_the_edit_are_dropped_on_commit(
    premium_user, django_capture_on_commit_callbacks
):
    tier = premium_user.tier
    stale = grants_for_tier(tier.pk)

    with django_capture_on_commit_callbacks(execute=True):
        tier.original_link = False
        tier.save()
        # Another request, still seeing the tier as it was before the commit,
        # remembers the old grants.
        cache.set(_cache_key(tier.pk), stale)

    assert grants_for_tier(tier.pk).original_link is False
