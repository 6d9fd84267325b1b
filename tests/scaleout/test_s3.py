"""Image files in an S3 bucket, over HTTP to a real S3 API (`make test-s3`).

tests/scaleout/s3-suite.sh starts moto's standalone server on loopback and
sets IMAGEAPI_S3_BUCKET, AWS_S3_ENDPOINT_URL and the credentials, exactly as
a deployment would; every byte here goes through boto3 and django-storages
to that server. moto checks neither the signature nor the expiry of a
presigned URL, so those are read off the URL, where the signature covers
them; a real object store enforces both.
"""

import io
import threading
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.cache import cache
from django.core.management import call_command
from PIL import Image as PILImage

from uploads.models import Image
from uploads.services import make_thumbnails

pytestmark = pytest.mark.s3

PHOTO = {"image_format": "JPEG", "size": (900, 600)}


@pytest.fixture(autouse=True, scope="module")
def _bucket_exists(django_db_blocker):
    with django_db_blocker.unblock():
        call_command("ensure_bucket", "--wait", "10", stdout=io.StringIO())


@pytest.fixture
def photo(enterprise_user, upload_image, make_image):
    """Upload a 900x600 JPEG as an Enterprise user; return (body, bytes)."""
    content = make_image(**PHOTO)
    return upload_image(enterprise_user, "photo.jpg", content), content


def folder_of(body):
    return Image.objects.get(pk=body["id"]).folder + "/"


def http_get(url):
    """GET a URL with no credentials; return (status, headers, bytes)."""
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def query_of(url):
    return {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}


def test_ensure_bucket_creates_a_bucket_nobody_can_read_unsigned(bucket, settings):
    storage, client = bucket
    name = storage.bucket_name + "-fresh"
    options = {**settings.STORAGES["default"]["OPTIONS"], "bucket_name": name}
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {**settings.STORAGES["default"], "OPTIONS": options},
    }
    out = io.StringIO()

    call_command("ensure_bucket", stdout=out)
    call_command("ensure_bucket", stdout=out)
    client.put_object(Bucket=name, Key="images/aa/k/original.png", Body=b"x")

    assert out.getvalue().splitlines() == [
        f"Bucket {name} created, private.",
        f"Bucket {name} exists.",
    ]
    grants = client.get_bucket_acl(Bucket=name)["Grants"]
    assert [grant["Grantee"]["Type"] for grant in grants] == ["CanonicalUser"]
    status, _, _ = http_get(f"{storage.endpoint_url}/{name}/images/aa/k/original.png")
    assert status == 403


def test_upload_stores_original_and_thumbnails_in_the_bucket_and_nothing_on_disk(
    photo, objects_in, media_files
):
    body, content = photo
    folder = folder_of(body)

    assert objects_in(folder) == [
        folder + "200.jpg",
        folder + "400.jpg",
        folder + "original.jpg",
    ]
    assert media_files() == []


def test_objects_are_private_and_typed(photo, bucket):
    body, _ = photo
    storage, client = bucket
    key = folder_of(body) + "original.jpg"

    head = client.head_object(Bucket=storage.bucket_name, Key=key)
    acl = client.get_object_acl(Bucket=storage.bucket_name, Key=key)
    status, _, _ = http_get(f"{storage.endpoint_url}/{storage.bucket_name}/{key}")

    assert head["ContentType"] == "image/jpeg"
    assert all(grant["Grantee"]["Type"] == "CanonicalUser" for grant in acl["Grants"])
    assert status == 403


def test_list_shows_uploads_newest_first(enterprise_user, upload_image, client_for):
    first = upload_image(enterprise_user, "a.png")
    second = upload_image(enterprise_user, "b.png")

    listed = client_for(enterprise_user).get("/api/images/").json()["results"]

    assert [image["id"] for image in listed] == [second["id"], first["id"]]


def test_streamed_links_answer_the_bytes_with_the_contract_headers(photo, fetch):
    body, content = photo

    original = fetch(body["original"])
    thumbnail = fetch(body["thumbnails"]["400"])

    assert original.status_code == thumbnail.status_code == 200
    assert original.body == content
    assert original["Content-Length"] == str(len(content))
    assert original["Content-Type"] == "image/jpeg"
    assert original["Cache-Control"] == "public, max-age=600"
    assert original["ETag"] and original["Last-Modified"]
    assert PILImage.open(io.BytesIO(thumbnail.body)).size == (600, 400)
    assert thumbnail["Content-Length"] == str(len(thumbnail.body))


@pytest.fixture
def redirecting(settings):
    settings.IMAGEAPI_S3_DELIVERY = "redirect"
    settings.IMAGEAPI_LINK_CACHE_SECONDS = 600


def test_redirected_links_lead_to_the_bytes_for_half_the_cache_time(
    photo, fetch, redirecting
):
    body, content = photo

    for url, check in (
        (body["original"], lambda data: data == content),
        (
            body["thumbnails"]["200"],
            lambda data: PILImage.open(io.BytesIO(data)).size == (300, 200),
        ),
    ):
        redirect = fetch(url)
        status, headers, data = http_get(redirect["Location"])

        assert redirect.status_code == 302
        assert query_of(redirect["Location"])["X-Amz-Expires"] == "300"
        assert status == 200 and check(data)
        assert headers["Content-Type"] == "image/jpeg"
        assert headers["Content-Length"] == str(len(data))
        assert headers["Cache-Control"] == redirect["Cache-Control"]
        assert headers["Cache-Control"] == "public, max-age=300"
        assert headers["Content-Disposition"] == 'inline; filename="photo.jpg"'
        assert headers["ETag"] and headers["Last-Modified"]


def test_redirect_of_an_expiring_link_lapses_before_the_link(
    photo, enterprise_user, client_for, fetch, redirecting
):
    body, content = photo
    created = client_for(enterprise_user).post(
        body["expiring_links"], {"expires_in": 300, "height": 400}, format="json"
    )
    expires_at = datetime.fromisoformat(created.json()["expires_at"])

    redirect = fetch(created.json()["url"])
    query = query_of(redirect["Location"])
    signed_at = datetime.strptime(query["X-Amz-Date"], "%Y%m%dT%H%M%SZ").replace(
        tzinfo=UTC
    )
    status, headers, data = http_get(redirect["Location"])

    lifetime = int(query["X-Amz-Expires"])
    assert 140 <= lifetime <= 150
    # Until the URL lapses, plus as long as a copy may be kept: within the link.
    assert signed_at + timedelta(seconds=2 * lifetime) <= expires_at
    assert headers["Cache-Control"] == f"public, max-age={lifetime}"
    assert status == 200 and PILImage.open(io.BytesIO(data)).height == 400


@pytest.mark.parametrize("delivery", ["stream", "redirect"])
def test_a_thumbnail_missing_from_the_bucket_is_made_on_demand(
    photo, bucket, objects_in, fetch, settings, delivery
):
    body, _ = photo
    storage, client = bucket
    key = folder_of(body) + "400.jpg"
    client.delete_object(Bucket=storage.bucket_name, Key=key)
    cache.clear()
    settings.IMAGEAPI_S3_DELIVERY = delivery

    response = fetch(body["thumbnails"]["400"])
    if delivery == "redirect":
        _, _, data = http_get(response["Location"])
    else:
        data = response.body

    assert PILImage.open(io.BytesIO(data)).size == (600, 400)
    assert key in objects_in(folder_of(body))


def test_making_one_thumbnail_twice_at_once_leaves_one_object(photo, objects_in):
    body, _ = photo
    # One row each, as two processes would have.
    images = [Image.objects.get(pk=body["id"]) for _ in range(2)]
    start = threading.Barrier(2)
    failures = []

    def make(image):
        try:
            start.wait(timeout=10)
            make_thumbnails(image, [400], force=True)
        except Exception as exc:  # reported after both threads end
            failures.append(exc)

    threads = [threading.Thread(target=make, args=(image,)) for image in images]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    folder = folder_of(body)
    assert failures == []
    assert objects_in(folder) == [
        folder + "200.jpg",
        folder + "400.jpg",
        folder + "original.jpg",
    ]


def test_deleting_an_image_deletes_every_object_of_it(
    photo, enterprise_user, client_for, objects_in, django_capture_on_commit_callbacks
):
    body, _ = photo
    folder = folder_of(body)

    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(enterprise_user).delete(body["url"])

    assert response.status_code == 204
    assert objects_in(folder) == []


def test_healthz_lists_the_bucket(db, anonymous_client, settings):
    assert anonymous_client.get("/healthz").json() == {"status": "ok"}

    options = {
        **settings.STORAGES["default"]["OPTIONS"],
        "bucket_name": "no-such-bucket",
    }
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {**settings.STORAGES["default"], "OPTIONS": options},
    }

    response = anonymous_client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["failing"] == ["storage"]
