"""Expiring links: issuing them, their bounds, and fetching them over time."""

import datetime as dt
import io

import pytest
import time_machine
from model_bakery import baker
from PIL import Image

from tiers.models import ThumbnailHeight

T0 = dt.datetime(2030, 1, 1, 12, 0, tzinfo=dt.UTC)
WHOLE = "A whole number of seconds is required."


@pytest.fixture
def enterprise_body(enterprise_user, upload_image, make_image):
    return upload_image(enterprise_user, "photo.png", make_image(size=(800, 600)))


@pytest.fixture
def issue(enterprise_user, enterprise_body, client_for):
    """POST to the enterprise image's expiring-links URL; return the response."""

    def post(data, format="json", user=None, body=None):
        return client_for(user or enterprise_user).post(
            (body or enterprise_body)["expiring_links"], data, format=format
        )

    return post


@pytest.fixture
def frozen():
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


def test_expiring_link_is_issued_from_json(issue, frozen):
    response = issue({"expires_in": 300})

    assert response.status_code == 201
    body = response.json()
    assert body == {
        "url": body["url"],
        "expires_at": "2030-01-01T12:05:00Z",
        "expires_in": 300,
    }
    assert body["url"].startswith("http://testserver/files/")


@pytest.mark.parametrize("form_format", ["multipart", None])
def test_expiring_link_is_issued_from_form_data(
    enterprise_user, enterprise_body, client_for, frozen, form_format
):
    client = client_for(enterprise_user)
    url = enterprise_body["expiring_links"]
    if form_format is None:
        response = client.post(
            url,
            "expires_in=600&height=200",
            content_type="application/x-www-form-urlencoded",
        )
    else:
        response = client.post(url, {"expires_in": "600", "height": "200"})

    assert response.status_code == 201
    assert response.json()["expires_at"] == "2030-01-01T12:10:00Z"
    assert response.json()["expires_in"] == 600


def test_expiring_link_differs_from_the_permanent_ones(issue, enterprise_body):
    url = issue({"expires_in": 300}).json()["url"]

    permanent = [enterprise_body["original"], *enterprise_body["thumbnails"].values()]
    assert url not in permanent


def test_expiring_link_without_height_serves_the_original(
    issue, enterprise_user, fetch, upload_image, make_image
):
    content = make_image("JPEG", size=(900, 300))
    body = upload_image(enterprise_user, "wide.jpg", content)

    url = issue({"expires_in": 300}, body=body).json()["url"]
    response = fetch(url)

    assert response.status_code == 200
    assert response.body == content
    assert response["Content-Type"] == "image/jpeg"


@pytest.mark.parametrize(("height", "size"), [(200, (267, 200)), ("400", (533, 400))])
def test_expiring_link_with_height_serves_that_thumbnail(
    issue, fetch_image, height, size
):
    url = issue({"expires_in": 300, "height": height}).json()["url"]

    thumbnail = fetch_image(url)

    assert (thumbnail.format, thumbnail.size) == ("PNG", size)


def test_null_height_means_the_original(issue, fetch):
    url = issue({"expires_in": 300, "height": None}).json()["url"]

    assert Image.open(io.BytesIO(fetch(url).body)).size == (800, 600)


def test_expiring_links_work_on_a_tier_without_original_links(
    make_tier, upload_image, client_for, fetch, make_image
):
    user = baker.make(
        "tiers.User", tier=make_tier("Expiring", [100], expiring_links=True)
    )
    content = make_image("PNG", size=(320, 240))
    body = upload_image(user, content=content)
    assert "original" not in body

    response = client_for(user).post(
        body["expiring_links"], {"expires_in": 300}, format="json"
    )

    assert response.status_code == 201
    assert fetch(response.json()["url"]).body == content


def test_expiring_original_link_survives_losing_the_permanent_original_link(
    enterprise_user, issue, fetch
):
    url = issue({"expires_in": 300}).json()["url"]

    enterprise_user.tier.original_link = False
    enterprise_user.tier.save()

    assert fetch(url).status_code == 200


# --- Bounds and input -------------------------------------------------------


@pytest.mark.parametrize("seconds", [300, 301, 29999, 30000])
def test_expires_in_within_the_default_bounds_is_accepted(issue, seconds):
    response = issue({"expires_in": seconds})

    assert response.status_code == 201
    assert response.json()["expires_in"] == seconds


@pytest.mark.parametrize(
    ("seconds", "message"),
    [
        (299, "Ensure this value is greater than or equal to 300."),
        (0, "Ensure this value is greater than or equal to 300."),
        (-300, "Ensure this value is greater than or equal to 300."),
        (30001, "Ensure this value is less than or equal to 30000."),
        (10**30, "Ensure this value is less than or equal to 30000."),
    ],
)
def test_expires_in_outside_the_default_bounds_is_refused(issue, seconds, message):
    response = issue({"expires_in": seconds})

    assert response.status_code == 400
    assert response.json() == {"expires_in": [message]}


@pytest.mark.parametrize(
    ("seconds", "status"), [(9, 400), (10, 201), (20, 201), (21, 400)]
)
def test_expires_in_bounds_come_from_the_settings(issue, settings, seconds, status):
    settings.IMAGEAPI_EXPIRING_LINK_MIN_SECONDS = 10
    settings.IMAGEAPI_EXPIRING_LINK_MAX_SECONDS = 20

    response = issue({"expires_in": seconds})

    assert response.status_code == status


def test_expires_in_bounds_are_named_in_the_message(issue, settings):
    settings.IMAGEAPI_EXPIRING_LINK_MIN_SECONDS = 10
    settings.IMAGEAPI_EXPIRING_LINK_MAX_SECONDS = 20

    assert issue({"expires_in": 9}).json() == {
        "expires_in": ["Ensure this value is greater than or equal to 10."]
    }
    assert issue({"expires_in": 21}).json() == {
        "expires_in": ["Ensure this value is less than or equal to 20."]
    }


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "This field is required."),
        ({"height": 200}, "This field is required."),
        ({"expires_in": 300.5}, WHOLE),
        ({"expires_in": 300.0}, WHOLE),
        ({"expires_in": "300.5"}, WHOLE),
        ({"expires_in": "300.0"}, WHOLE),
        ({"expires_in": True}, WHOLE),
        ({"expires_in": False}, WHOLE),
        ({"expires_in": "soon"}, WHOLE),
        ({"expires_in": "3e2"}, WHOLE),
        ({"expires_in": ""}, WHOLE),
        ({"expires_in": [300]}, WHOLE),
        ({"expires_in": {"seconds": 300}}, WHOLE),
        ({"expires_in": None}, "This field may not be null."),
    ],
)
def test_expires_in_that_is_not_a_whole_number_is_refused(issue, data, message):
    response = issue(data)

    assert response.status_code == 400
    assert response.json() == {"expires_in": [message]}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"expires_in": "300.5"}, WHOLE),
        ({"expires_in": "true"}, WHOLE),
        ({"expires_in": "soon"}, WHOLE),
        ({"expires_in": " 600 "}, WHOLE),
        ({"expires_in": "+600"}, WHOLE),
        # Full-width digits, which int() would read as 600.
        ({"expires_in": "\uff16\uff10\uff10"}, WHOLE),
        ({"height": "200"}, "This field is required."),
    ],
)
def test_form_expires_in_that_is_not_a_whole_number_is_refused(issue, data, message):
    response = issue(data, format="multipart")

    assert response.status_code == 400
    assert response.json() == {"expires_in": [message]}


def test_expires_in_as_a_numeric_string_is_accepted(issue):
    response = issue({"expires_in": "450"})

    assert response.status_code == 201
    assert response.json()["expires_in"] == 450


@pytest.mark.parametrize(
    ("height", "message"),
    [
        (500, '"500" is not a thumbnail height of your tier.'),
        ("100", '"100" is not a thumbnail height of your tier.'),
        (200.5, '"200.5" is not a thumbnail height of your tier.'),
        ("big", '"big" is not a thumbnail height of your tier.'),
        (True, '"True" is not a thumbnail height of your tier.'),
    ],
)
def test_height_the_tier_lacks_is_refused(issue, height, message):
    response = issue({"expires_in": 300, "height": height})

    assert response.status_code == 400
    assert response.json() == {"height": [message]}


def test_both_fields_wrong_give_both_messages(issue):
    response = issue({"expires_in": 1, "height": 500})

    assert response.status_code == 400
    assert response.json() == {
        "expires_in": ["Ensure this value is greater than or equal to 300."],
        "height": ['"500" is not a thumbnail height of your tier.'],
    }


@pytest.mark.parametrize("user_fixture", ["basic_user", "premium_user"])
def test_tier_without_expiring_links_gets_403(
    request, upload_image, client_for, user_fixture
):
    user = request.getfixturevalue(user_fixture)
    body = upload_image(user)
    url = f"{body['url']}expiring-links/"

    for data in [{"expires_in": 300}, {"expires_in": "nonsense"}]:
        response = client_for(user).post(url, data, format="json")

        assert response.status_code == 403
        assert response.json() == {
            "detail": "Your tier does not include expiring links."
        }


def test_expiring_links_endpoint_takes_only_post(
    enterprise_user, enterprise_body, client_for
):
    response = client_for(enterprise_user).get(enterprise_body["expiring_links"])

    assert response.status_code == 405


def test_anonymous_client_cannot_issue_expiring_links(
    enterprise_body, anonymous_client
):
    response = anonymous_client.post(
        enterprise_body["expiring_links"], {"expires_in": 300}, format="json"
    )

    assert response.status_code == 401


# --- Fetching over time -----------------------------------------------------


def test_expiring_link_works_for_anyone_until_it_expires(issue, fetch, frozen):
    url = issue({"expires_in": 300, "height": 200}).json()["url"]

    response = fetch(url)
    assert response.status_code == 200
    assert response["Cache-Control"] == "public, max-age=300"

    frozen.move_to(T0 + dt.timedelta(seconds=299))
    response = fetch(url)
    assert response.status_code == 200
    assert response["Cache-Control"] == "public, max-age=1"


def test_expiring_link_is_gone_at_and_after_its_expiry(issue, fetch, frozen):
    url = issue({"expires_in": 300}).json()["url"]

    frozen.move_to(T0 + dt.timedelta(seconds=300))
    at_expiry = fetch(url)
    frozen.move_to(T0 + dt.timedelta(days=30))
    long_after = fetch(url)

    for response in (at_expiry, long_after):
        assert response.status_code == 410
        assert response.body == b"This link has expired.\n"
        assert response["Content-Type"] == "text/plain"


def test_expiring_link_is_never_cached_past_its_expiry(issue, fetch, frozen):
    url = issue({"expires_in": 300}).json()["url"]

    frozen.move_to(T0 + dt.timedelta(seconds=299, milliseconds=600))
    response = fetch(url)

    assert response.status_code == 200
    assert response["Cache-Control"] == "public, max-age=0"


def test_long_expiring_link_is_cached_no_longer_than_permanent_links(
    issue, fetch, frozen
):
    url = issue({"expires_in": 30000}).json()["url"]

    assert fetch(url)["Cache-Control"] == "public, max-age=600"


def test_tampered_expiring_link_is_404(issue, fetch, frozen):
    url = issue({"expires_in": 300}).json()["url"]
    payload, signature = url.rsplit(":", 1)

    assert fetch(payload + ":" + signature[::-1]).status_code == 404
    assert fetch(url + "0").status_code == 404
    assert fetch(url[:-1]).status_code == 404


def test_expiring_link_cannot_be_extended_by_editing_it(issue, fetch, frozen):
    short = issue({"expires_in": 300}).json()["url"]
    long = issue({"expires_in": 3000}).json()["url"]
    payload, _ = long.rsplit(":", 1)
    _, signature = short.rsplit(":", 1)

    frozen.move_to(T0 + dt.timedelta(seconds=400))

    assert fetch(payload + ":" + signature).status_code == 404
    assert fetch(long).status_code == 200
    assert fetch(short).status_code == 410


def test_expiring_link_to_a_deleted_image_is_404(
    issue,
    enterprise_user,
    enterprise_body,
    client_for,
    fetch,
    django_capture_on_commit_callbacks,
):
    url = issue({"expires_in": 300}).json()["url"]

    with django_capture_on_commit_callbacks(execute=True):
        client_for(enterprise_user).delete(enterprise_body["url"])

    assert fetch(url).status_code == 404


def test_expiring_link_dies_when_the_tier_loses_expiring_links(
    issue, enterprise_user, fetch
):
    original = issue({"expires_in": 300}).json()["url"]
    thumbnail = issue({"expires_in": 300, "height": 200}).json()["url"]

    enterprise_user.tier.expiring_links = False
    enterprise_user.tier.save()

    assert fetch(original).status_code == 404
    assert fetch(thumbnail).status_code == 404


def test_expiring_link_dies_when_the_owner_moves_to_a_tier_without_them(
    issue, enterprise_user, fetch, basic_user
):
    url = issue({"expires_in": 300, "height": 200}).json()["url"]

    enterprise_user.tier = basic_user.tier
    enterprise_user.save()

    assert fetch(url).status_code == 404


def test_expiring_thumbnail_link_dies_with_its_height(issue, enterprise_user, fetch):
    url = issue({"expires_in": 300, "height": 400}).json()["url"]

    ThumbnailHeight.objects.filter(tier=enterprise_user.tier, height=400).delete()

    assert fetch(url).status_code == 404
