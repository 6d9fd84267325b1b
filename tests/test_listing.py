"""Listing, showing and deleting one's own images."""

import base64
import datetime as dt
import uuid
from urllib.parse import parse_qs, urlparse

import pytest
import time_machine
from model_bakery import baker

from uploads.models import Image

T0 = dt.datetime(2030, 1, 1, 10, 0, tzinfo=dt.UTC)
NOT_FOUND = {"detail": "No Image matches the given query."}


@pytest.fixture
def upload_at(upload_image):
    """Upload as `user` with the clock frozen at `moment`."""

    def upload(user, moment, **options):
        with time_machine.travel(moment, tick=False):
            return upload_image(user, **options)

    return upload


@pytest.fixture
def three_uploads(basic_user, upload_at, make_image):
    """Upload a PNG at 10:00, a JPEG at 11:00 and a PNG at 12:00."""
    return [
        upload_at(basic_user, T0, name="ten.png"),
        upload_at(
            basic_user,
            T0 + dt.timedelta(hours=1),
            name="eleven.jpg",
            content=make_image("JPEG"),
        ),
        upload_at(basic_user, T0 + dt.timedelta(hours=2), name="twelve.png"),
    ]


def names(response):
    return [image["name"] for image in response.json()["results"]]


def many_images(owner, count):
    return baker.make(
        Image,
        owner=owner,
        file="images/00/0/original.png",
        format="png",
        width=10,
        height=10,
        size=100,
        _quantity=count,
    )


# --- Listing ----------------------------------------------------------------


def test_list_shows_only_the_callers_images(
    basic_user, premium_user, upload_image, client_for
):
    mine = upload_image(basic_user, "mine.png")
    upload_image(premium_user, "theirs.png")

    response = client_for(basic_user).get("/api/images/")

    assert response.status_code == 200
    assert response.json()["results"] == [mine]


def test_list_is_newest_first(basic_user, three_uploads, client_for):
    response = client_for(basic_user).get("/api/images/")

    assert names(response) == ["twelve.png", "eleven.jpg", "ten.png"]


def test_list_of_a_user_without_images_is_an_empty_page(basic_user, client_for):
    response = client_for(basic_user).get("/api/images/")

    assert response.json() == {"next": None, "previous": None, "results": []}


def test_list_pages_with_a_cursor(basic_user, three_uploads, client_for):
    client = client_for(basic_user)

    first = client.get("/api/images/", {"page_size": 2}).json()
    second = client.get(first["next"]).json()

    assert set(first) == {"next", "previous", "results"}
    assert [image["name"] for image in first["results"]] == ["twelve.png", "eleven.jpg"]
    assert first["previous"] is None
    assert first["next"].startswith("http://testserver/api/images/?")
    assert "cursor" in parse_qs(urlparse(first["next"]).query)
    assert [image["name"] for image in second["results"]] == ["ten.png"]
    assert second["next"] is None
    back = client.get(second["previous"]).json()
    assert [image["name"] for image in back["results"]] == ["twelve.png", "eleven.jpg"]


def test_list_pages_hold_twenty_images_by_default(basic_user, client_for):
    many_images(basic_user, 21)

    body = client_for(basic_user).get("/api/images/").json()

    assert len(body["results"]) == 20
    assert body["next"] is not None


@pytest.mark.parametrize("page_size", [1, 7, 100])
def test_list_honours_page_size(basic_user, client_for, page_size):
    many_images(basic_user, 101)

    body = client_for(basic_user).get("/api/images/", {"page_size": page_size}).json()

    assert len(body["results"]) == page_size
    assert parse_qs(urlparse(body["next"]).query)["page_size"] == [str(page_size)]


def test_list_caps_page_size_at_100(basic_user, client_for):
    many_images(basic_user, 105)

    body = client_for(basic_user).get("/api/images/", {"page_size": 1000}).json()

    assert len(body["results"]) == 100


def test_list_keeps_the_order_across_equal_times(basic_user, client_for):
    with time_machine.travel(T0, tick=False):
        many_images(basic_user, 5)
    client = client_for(basic_user)

    first = client.get("/api/images/", {"page_size": 3}).json()
    second = client.get(first["next"]).json()

    seen = [image["id"] for image in first["results"] + second["results"]]
    every_id = Image.objects.values_list("pk", flat=True)
    assert sorted(seen) == sorted(str(pk) for pk in every_id)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"created_after": "2030-01-01T11:00:00Z"}, ["twelve.png", "eleven.jpg"]),
        ({"created_before": "2030-01-01T11:00:00Z"}, ["eleven.jpg", "ten.png"]),
        (
            {
                "created_after": "2030-01-01T11:00:00Z",
                "created_before": "2030-01-01T11:00:00Z",
            },
            ["eleven.jpg"],
        ),
        ({"created_after": "2030-01-01T12:00:00+01:00"}, ["twelve.png", "eleven.jpg"]),
        ({"created_after": "2030-01-01T11:00:01Z"}, ["twelve.png"]),
        ({"created_before": "2030-01-01T10:59:59Z"}, ["ten.png"]),
        ({"created_after": "2030-01-02T00:00:00Z"}, []),
    ],
)
def test_list_filters_by_creation_time_inclusively(
    basic_user, three_uploads, client_for, query, expected
):
    response = client_for(basic_user).get("/api/images/", query)

    assert response.status_code == 200
    assert names(response) == expected


@pytest.mark.parametrize(
    ("image_format", "expected"),
    [("png", ["twelve.png", "ten.png"]), ("jpeg", ["eleven.jpg"])],
)
def test_list_filters_by_format(
    basic_user, three_uploads, client_for, image_format, expected
):
    response = client_for(basic_user).get("/api/images/", {"format": image_format})

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert names(response) == expected


def test_format_filter_does_not_pick_the_renderer(
    basic_user, three_uploads, client_for
):
    response = client_for(basic_user).get(
        "/api/images/?format=png", headers={"Accept": "text/html"}
    )

    assert response.status_code == 200
    assert response["Content-Type"] == "text/html; charset=utf-8"


@pytest.mark.parametrize(
    "query",
    [
        {"created_after": "0001-01-01T00:00:00+01:00"},
        {"created_before": "9999-12-31T23:59:59-01:00"},
    ],
)
def test_list_refuses_a_moment_outside_the_years_utc_can_hold(
    basic_user, client_for, query
):
    response = client_for(basic_user).get("/api/images/", query)

    (key,) = query
    assert response.status_code == 400
    assert response.json() == {
        key: ["Enter a date and time between the years 1 and 9999 in UTC."]
    }


@pytest.mark.parametrize(
    "position", ["p=2026", "p=", "p=zzz", "p=0001-01-01 00:00:00+05:00"]
)
def test_list_cursor_that_names_no_moment_is_404(basic_user, client_for, position):
    cursor = base64.b64encode(position.encode()).decode()

    response = client_for(basic_user).get("/api/images/", {"cursor": cursor})

    assert response.status_code == 404
    assert response.json() == {"detail": "Invalid cursor"}


@pytest.mark.parametrize("query", ["format=png", "format=json", "created_after=x"])
def test_list_filters_do_not_touch_one_image(
    basic_user, client_for, upload_image, query, django_capture_on_commit_callbacks
):
    url = upload_image(basic_user, "photo.jpg", image_format="JPEG")["url"]
    client = client_for(basic_user)

    assert client.get(f"{url}?{query}").status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        assert client.delete(f"{url}?{query}").status_code == 204


@pytest.mark.parametrize("value", ["json", "api", "gif", "PNG"])
def test_list_refuses_an_unknown_format(basic_user, client_for, value):
    response = client_for(basic_user).get("/api/images/", {"format": value})

    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert response.json() == {
        "format": [
            f"Select a valid choice. {value} is not one of the available choices."
        ]
    }


@pytest.mark.parametrize("key", ["created_after", "created_before"])
def test_list_refuses_a_malformed_time(basic_user, client_for, key):
    response = client_for(basic_user).get("/api/images/", {key: "yesterday"})

    assert response.status_code == 400
    assert response.json() == {key: ["Enter a valid date/time."]}


# --- One image --------------------------------------------------------------


def test_detail_shows_the_image_as_listed(basic_user, upload_image, client_for):
    body = upload_image(basic_user)
    client = client_for(basic_user)

    response = client.get(body["url"])

    assert response.status_code == 200
    assert response.json() == body
    assert client.get("/api/images/").json()["results"] == [body]


def test_delete_removes_the_image_and_answers_204(
    basic_user, upload_image, client_for, django_capture_on_commit_callbacks
):
    body = upload_image(basic_user)
    client = client_for(basic_user)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.delete(body["url"])

    assert response.status_code == 204
    assert response.content == b""
    assert not Image.objects.exists()
    assert client.get(body["url"]).status_code == 404


def test_delete_removes_the_original_and_every_thumbnail(
    premium_user,
    upload_image,
    client_for,
    fetch,
    media_files,
    media_folders,
    django_capture_on_commit_callbacks,
):
    body = upload_image(premium_user)
    for url in body["thumbnails"].values():
        assert fetch(url).status_code == 200
    folder = Image.objects.get().folder
    assert media_files() == [
        f"{folder}/200.png",
        f"{folder}/400.png",
        f"{folder}/original.png",
    ]

    with django_capture_on_commit_callbacks(execute=True):
        client_for(premium_user).delete(body["url"])

    assert media_files() == []
    assert folder not in media_folders()


def test_delete_leaves_other_images_alone(
    basic_user,
    upload_image,
    client_for,
    media_files,
    django_capture_on_commit_callbacks,
):
    gone = upload_image(basic_user, "gone.png")
    kept = upload_image(basic_user, "kept.png")
    kept_folder = Image.objects.get(pk=kept["id"]).folder

    with django_capture_on_commit_callbacks(execute=True):
        client_for(basic_user).delete(gone["url"])

    # Basic's one height was made at upload, beside the original.
    assert media_files() == [f"{kept_folder}/200.png", f"{kept_folder}/original.png"]


@pytest.mark.parametrize("method", ["get", "delete"])
def test_another_users_image_is_404(
    basic_user, premium_user, upload_image, client_for, method
):
    body = upload_image(premium_user)

    response = getattr(client_for(basic_user), method)(body["url"])

    assert response.status_code == 404
    assert response.json() == NOT_FOUND
    assert Image.objects.filter(pk=body["id"]).exists()


def test_another_users_image_has_no_expiring_links_either(
    enterprise_user, upload_image, client_for
):
    other = baker.make("tiers.User", tier=enterprise_user.tier)
    body = upload_image(enterprise_user)

    response = client_for(other).post(
        body["expiring_links"], {"expires_in": 300}, format="json"
    )

    assert response.status_code == 404
    assert response.json() == NOT_FOUND


@pytest.mark.parametrize(
    ("image_id", "body"),
    [
        (str(uuid.uuid4()), NOT_FOUND),
        (uuid.uuid4().hex, NOT_FOUND),
        # Not an id at all: DRF's lookup gives up before asking the database.
        ("nope", {"detail": "Not found."}),
        ("1", {"detail": "Not found."}),
    ],
)
@pytest.mark.parametrize(
    ("method", "suffix"),
    [("get", ""), ("delete", ""), ("post", "expiring-links/")],
)
def test_unknown_or_malformed_id_is_404(
    enterprise_user, client_for, image_id, body, method, suffix
):
    response = getattr(client_for(enterprise_user), method)(
        f"/api/images/{image_id}/{suffix}", {"expires_in": 300}, format="json"
    )

    assert response.status_code == 404
    assert response.json() == body
