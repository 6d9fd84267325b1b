"""django-admin pages for tiers, users, images and tokens."""

import re

import pytest
from django.contrib.auth import get_user_model
from rest_framework.authtoken.models import Token

from tiers.models import Tier
from uploads.models import Image

INLINE = "thumbnail_heights"


def tier_form(name, heights, **switches):
    """Return the POST data of the tier add form with inline heights."""
    data = {
        "name": name,
        f"{INLINE}-TOTAL_FORMS": str(len(heights)),
        f"{INLINE}-INITIAL_FORMS": "0",
        f"{INLINE}-MIN_NUM_FORMS": "0",
        f"{INLINE}-MAX_NUM_FORMS": "1000",
    }
    for index, height in enumerate(heights):
        data[f"{INLINE}-{index}-height"] = str(height)
    data.update({switch: "on" for switch, on in switches.items() if on})
    return data


def tier_change_form(tier, new_heights=(), **switches):
    """Return the POST data of a tier's change form, adding `new_heights`."""
    heights = list(tier.thumbnail_heights.all())
    data = {
        "name": tier.name,
        f"{INLINE}-TOTAL_FORMS": str(len(heights) + len(new_heights)),
        f"{INLINE}-INITIAL_FORMS": str(len(heights)),
        f"{INLINE}-MIN_NUM_FORMS": "0",
        f"{INLINE}-MAX_NUM_FORMS": "1000",
    }
    for index, height in enumerate(heights):
        data[f"{INLINE}-{index}-id"] = str(height.pk)
        data[f"{INLINE}-{index}-tier"] = str(tier.pk)
        data[f"{INLINE}-{index}-height"] = str(height.height)
    for index, height in enumerate(new_heights, start=len(heights)):
        data[f"{INLINE}-{index}-tier"] = str(tier.pk)
        data[f"{INLINE}-{index}-height"] = str(height)
    current = {
        "original_link": tier.original_link,
        "expiring_links": tier.expiring_links,
        "is_default": tier.is_default,
    }
    current.update(switches)
    data.update({switch: "on" for switch, on in current.items() if on})
    return data


def errors_of(response):
    """Return the texts of the error lists a rendered admin form shows."""
    html = response.content.decode()
    return re.findall(r'<ul class="errorlist[^"]*"[^>]*>\s*<li>(.*?)</li>', html)


@pytest.fixture
def populated(basic_user, premium_user, upload_image, make_image):
    """Upload a PNG and a JPEG as different users and give one a token."""
    upload_image(basic_user, "basic.png")
    upload_image(premium_user, "premium.jpg", make_image("JPEG"))
    Token.objects.create(user=premium_user)


@pytest.mark.parametrize(
    "path",
    [
        "/admin/",
        "/admin/tiers/tier/",
        "/admin/tiers/tier/add/",
        "/admin/tiers/user/",
        "/admin/tiers/user/add/",
        "/admin/tiers/user/?tier__id__exact=1",
        "/admin/uploads/image/",
        "/admin/uploads/image/?format__exact=jpeg",
        "/admin/uploads/image/?q=premium",
        "/admin/authtoken/tokenproxy/",
        "/admin/authtoken/tokenproxy/add/",
    ],
)
def test_admin_list_and_add_pages_render(admin_client, populated, path):
    assert admin_client.get(path).status_code == 200


def test_admin_change_pages_render(admin_client, populated, premium_user):
    tier = Tier.objects.get(name="Premium")
    image = Image.objects.get(owner=premium_user)

    for path in [
        f"/admin/tiers/tier/{tier.pk}/change/",
        f"/admin/tiers/user/{premium_user.pk}/change/",
        f"/admin/uploads/image/{image.pk}/change/",
        f"/admin/authtoken/tokenproxy/{premium_user.pk}/change/",
    ]:
        assert admin_client.get(path).status_code == 200, path


def test_token_list_shows_keys(admin_client, populated, premium_user):
    response = admin_client.get("/admin/authtoken/tokenproxy/")

    assert Token.objects.get(user=premium_user).key in response.content.decode()


def test_image_list_previews_are_working_signed_links(
    admin_client, populated, anonymous_client
):
    html = admin_client.get("/admin/uploads/image/").content.decode()

    sources = re.findall(r'<img src="(/files/[^"]+)"', html)
    assert len(sources) == 2
    for source in sources:
        response = anonymous_client.get(source)
        assert response.status_code == 200
        assert response["Content-Type"] in {"image/png", "image/jpeg"}
        b"".join(response.streaming_content)


def test_image_change_page_previews_the_image(admin_client, populated, fetch):
    image = Image.objects.get(name="basic.png")

    html = admin_client.get(f"/admin/uploads/image/{image.pk}/change/").content
    (source,) = re.findall(r'<img src="(/files/[^"]+)"', html.decode())

    assert fetch(source).status_code == 200


def test_image_of_a_tier_without_thumbnails_lists_without_preview(
    admin_client, make_tier, upload_image
):
    user = get_user_model().objects.create_user("bare", tier=make_tier("Bare"))
    upload_image(user)

    response = admin_client.get("/admin/uploads/image/")

    assert response.status_code == 200
    assert 'src="/files/' not in response.content.decode()


def test_images_cannot_be_added_in_the_admin(admin_client, db):
    assert admin_client.get("/admin/uploads/image/add/").status_code == 403


def test_image_name_can_be_edited(admin_client, populated):
    image = Image.objects.get(name="basic.png")

    response = admin_client.post(
        f"/admin/uploads/image/{image.pk}/change/", {"name": "renamed.png"}
    )

    assert response.status_code == 302
    image.refresh_from_db()
    assert image.name == "renamed.png"


def test_admin_resets_a_token_by_deleting_and_adding_it(
    admin_client, populated, premium_user
):
    old_key = Token.objects.get(user=premium_user).key

    deleted = admin_client.post(
        f"/admin/authtoken/tokenproxy/{premium_user.pk}/delete/", {"post": "yes"}
    )
    added = admin_client.post(
        "/admin/authtoken/tokenproxy/add/", {"user": premium_user.pk}
    )

    assert (deleted.status_code, added.status_code) == (302, 302)
    new_key = Token.objects.get(user=premium_user).key
    assert new_key != old_key


# --- Tiers ------------------------------------------------------------------


def test_tier_with_inline_heights_is_added(admin_client):
    response = admin_client.post(
        "/admin/tiers/tier/add/",
        tier_form("Gold", [800, 100], original_link=True),
    )

    assert response.status_code == 302
    tier = Tier.objects.get(name="Gold")
    assert [h.height for h in tier.thumbnail_heights.all()] == [100, 800]
    assert (tier.original_link, tier.expiring_links, tier.is_default) == (
        True,
        False,
        False,
    )


def test_duplicate_height_in_the_inline_is_a_form_error(admin_client):
    response = admin_client.post(
        "/admin/tiers/tier/add/", tier_form("Twice", [300, 300])
    )

    assert response.status_code == 200
    assert "Please correct the duplicate data for height." in errors_of(response)
    assert not Tier.objects.filter(name="Twice").exists()


def test_height_already_on_the_tier_is_a_form_error(admin_client):
    basic = Tier.objects.get(name="Basic")

    response = admin_client.post(
        f"/admin/tiers/tier/{basic.pk}/change/", tier_change_form(basic, [200])
    )

    assert response.status_code == 200
    assert "Please correct the duplicate data for height." in errors_of(response)
    assert [h.height for h in basic.thumbnail_heights.all()] == [200]


@pytest.mark.parametrize(
    ("height", "message"),
    [
        (0, "Ensure this value is greater than or equal to 1."),
        (-5, "Ensure this value is greater than or equal to 0."),
        (10_001, "Ensure this value is less than or equal to 10000."),
    ],
)
def test_height_out_of_range_is_a_form_error(admin_client, height, message):
    response = admin_client.post("/admin/tiers/tier/add/", tier_form("Odd", [height]))

    assert response.status_code == 200
    assert errors_of(response) == [message]
    assert not Tier.objects.filter(name="Odd").exists()


def test_second_default_tier_is_a_form_error(admin_client):
    response = admin_client.post(
        "/admin/tiers/tier/add/", tier_form("Also default", [100], is_default=True)
    )

    assert response.status_code == 200
    assert "Another tier is already the default." in errors_of(response)
    assert list(Tier.objects.filter(is_default=True)) == [
        Tier.objects.get(name="Basic")
    ]


def test_duplicate_tier_name_is_a_form_error(admin_client):
    response = admin_client.post("/admin/tiers/tier/add/", tier_form("Basic", []))

    assert response.status_code == 200
    assert "Tier with this Name already exists." in errors_of(response)


def test_tier_edited_in_the_admin_changes_the_next_response(
    admin_client, basic_user, upload_image, client_for
):
    url = upload_image(basic_user)["url"]
    basic = Tier.objects.get(name="Basic")

    response = admin_client.post(
        f"/admin/tiers/tier/{basic.pk}/change/",
        tier_change_form(basic, [100], original_link=True),
    )

    assert response.status_code == 302
    body = client_for(basic_user).get(url).json()
    assert list(body["thumbnails"]) == ["100", "200"]
    assert "original" in body


def test_height_deleted_in_the_admin_revokes_its_links(
    admin_client, premium_user, upload_image, fetch
):
    link = upload_image(premium_user)["thumbnails"]["400"]
    premium = Tier.objects.get(name="Premium")
    data = tier_change_form(premium)
    data[f"{INLINE}-1-DELETE"] = "on"

    response = admin_client.post(f"/admin/tiers/tier/{premium.pk}/change/", data)

    assert response.status_code == 302
    assert fetch(link).status_code == 404


def test_tier_in_use_cannot_be_deleted(admin_client, premium_user):
    premium = Tier.objects.get(name="Premium")
    path = f"/admin/tiers/tier/{premium.pk}/delete/"

    page = admin_client.get(path)
    attempt = admin_client.post(path, {"post": "yes"})

    assert page.status_code == 200
    assert "would require deleting the following protected" in page.content.decode()
    assert attempt.status_code == 200
    assert Tier.objects.filter(pk=premium.pk).exists()


def test_tier_in_use_cannot_be_deleted_in_bulk(admin_client, premium_user):
    premium = Tier.objects.get(name="Premium")

    response = admin_client.post(
        "/admin/tiers/tier/",
        {"action": "delete_selected", "_selected_action": [premium.pk], "post": "yes"},
    )

    assert response.status_code == 200
    assert Tier.objects.filter(pk=premium.pk).exists()


def test_default_tier_cannot_be_deleted(admin_client):
    basic = Tier.objects.get(name="Basic")

    path = f"/admin/tiers/tier/{basic.pk}/delete/"

    response = admin_client.post(path, {"post": "yes"})

    assert response.status_code == 403
    assert Tier.objects.filter(pk=basic.pk).exists()


def test_unused_tier_is_deleted(admin_client, make_tier):
    spare = make_tier("Spare", [100])

    path = f"/admin/tiers/tier/{spare.pk}/delete/"

    response = admin_client.post(path, {"post": "yes"})

    assert response.status_code == 302
    assert not Tier.objects.filter(pk=spare.pk).exists()


# --- Users ------------------------------------------------------------------


def test_user_added_in_the_admin_without_a_tier_starts_on_basic(admin_client):
    response = admin_client.post(
        "/admin/tiers/user/add/",
        {
            "username": "newcomer",
            "tier": "",
            "usable_password": "true",
            "password1": "a-long-secret-phrase",
            "password2": "a-long-secret-phrase",
        },
    )

    assert response.status_code == 302
    assert get_user_model().objects.get(username="newcomer").tier.name == "Basic"


def test_user_moved_to_another_tier_in_the_admin_gets_its_links(
    admin_client, basic_user, upload_image, client_for
):
    url = upload_image(basic_user)["url"]
    enterprise = Tier.objects.get(name="Enterprise")

    response = admin_client.post(
        f"/admin/tiers/user/{basic_user.pk}/change/",
        {
            "username": basic_user.username,
            "tier": str(enterprise.pk),
            "is_active": "on",
            "date_joined_0": "2030-01-01",
            "date_joined_1": "00:00:00",
        },
    )

    assert response.status_code == 302, errors_of(response)
    # A real client's user is read afresh on every request.
    basic_user.refresh_from_db()
    assert "expiring_links" in client_for(basic_user).get(url).json()


def test_deleting_a_user_deletes_their_images_files(
    admin_client,
    premium_user,
    basic_user,
    upload_image,
    fetch,
    media_files,
    django_capture_on_commit_callbacks,
):
    body = upload_image(premium_user)
    fetch(body["thumbnails"]["400"])
    upload_image(basic_user)
    kept_folder = Image.objects.get(owner=basic_user).folder

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            f"/admin/tiers/user/{premium_user.pk}/delete/", {"post": "yes"}
        )

    assert response.status_code == 302
    assert not Image.objects.filter(owner_id=premium_user.pk).exists()
    assert media_files() == [f"{kept_folder}/200.png", f"{kept_folder}/original.png"]


def test_deleting_images_in_bulk_deletes_their_files(
    admin_client, populated, media_files, django_capture_on_commit_callbacks
):
    pks = [str(pk) for pk in Image.objects.values_list("pk", flat=True)]

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            "/admin/uploads/image/",
            {"action": "delete_selected", "_selected_action": pks, "post": "yes"},
        )

    assert response.status_code == 302
    assert not Image.objects.exists()
    assert media_files() == []
