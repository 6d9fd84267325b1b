"""Choosing S3 by configuration, and handing out its files, with no server.

Presigned URLs are computed by botocore without any request, so the redirect
is tested here in full; whatever needs a bucket that answers is in
tests/scaleout/test_s3.py (`make test-s3`).
"""

import io
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import time_machine
from django.core.files.storage import default_storage, storages
from model_bakery import baker

from tests.test_production_settings import manage, realistic_environment
from uploads.delivery import presigned_seconds
from uploads.links import Link
from uploads.objectstore import ImageObjectStorage, is_object_storage

# Nothing listens here: a test that reached the network would fail.
UNREACHABLE = "http://127.0.0.1:9"
T0 = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)


def s3_options(**overrides):
    return {
        "bucket_name": "images",
        "endpoint_url": UNREACHABLE,
        "region_name": "us-east-1",
        "access_key": "test-key-id",
        "secret_key": "test-secret",
        "default_acl": None,
        "querystring_auth": True,
        "file_overwrite": False,
        "signature_version": "s3v4",
        "addressing_style": "path",
        **overrides,
    }


@pytest.fixture
def bucket_storage(settings):
    """Point the default storage at an S3 bucket that nothing serves."""

    def configure(**overrides):
        settings.STORAGES = {
            **settings.STORAGES,
            "default": {
                "BACKEND": "uploads.objectstore.ImageObjectStorage",
                "OPTIONS": s3_options(**overrides),
            },
        }
        return default_storage

    return configure


def settings_of(env, *names):
    code = "from django.conf import settings\n" + "".join(
        f"print(repr(settings.{name}))\n" for name in names
    )
    result = manage("shell", "-v", "0", "-c", code, env=env)
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()


def test_files_stay_on_disk_without_a_bucket():
    lines = settings_of(
        {"DJANGO_SETTINGS_MODULE": "imageapi.settings.local"},
        "STORAGES['default']",
        "CELERY_BROKER_URL",
    )

    assert lines == [
        "{'BACKEND': 'uploads.storage.AtomicFileSystemStorage'}",
        "''",
    ]


def test_naming_a_bucket_selects_a_private_s3_storage():
    env = {
        **realistic_environment(),
        "IMAGEAPI_S3_BUCKET": "imageapi-media",
        "AWS_S3_ENDPOINT_URL": "http://objectstore:9000",
        "AWS_S3_REGION_NAME": "eu-west-1",
        "AWS_ACCESS_KEY_ID": "imageapi",
        "AWS_SECRET_ACCESS_KEY": "s3cret-s3cret",
    }

    backend, options = settings_of(
        env, "STORAGES['default']['BACKEND']", "STORAGES['default']['OPTIONS']"
    )

    assert backend == "'uploads.objectstore.ImageObjectStorage'"
    assert eval(options) == {  # the repr of a dict of literals
        "bucket_name": "imageapi-media",
        "endpoint_url": "http://objectstore:9000",
        "public_endpoint_url": None,
        "region_name": "eu-west-1",
        "access_key": "imageapi",
        "secret_key": "s3cret-s3cret",
        "default_acl": None,
        "querystring_auth": True,
        "file_overwrite": False,
        "signature_version": "s3v4",
        "addressing_style": "path",
    }


def test_the_usual_bucket_variable_works_too_and_aws_itself_needs_no_endpoint():
    env = {**realistic_environment(), "AWS_STORAGE_BUCKET_NAME": "from-aws-name"}

    (options,) = settings_of(env, "STORAGES['default']['OPTIONS']")

    assert eval(options)["bucket_name"] == "from-aws-name"
    assert eval(options)["endpoint_url"] is None
    assert eval(options)["addressing_style"] is None
    assert eval(options)["access_key"] is None


def test_an_unknown_delivery_refuses_to_start():
    env = {**realistic_environment(), "IMAGEAPI_S3_DELIVERY": "redirects"}

    result = manage("check", env=env)

    assert result.returncode != 0
    assert "IMAGEAPI_S3_DELIVERY must be stream or redirect" in result.stderr


def test_production_with_a_bucket_passes_check_deploy():
    env = {**realistic_environment(), "IMAGEAPI_S3_BUCKET": "imageapi-media"}

    result = manage("check", "--deploy", "--fail-level", "DEBUG", env=env)

    assert result.returncode == 0, result.stdout + result.stderr


def test_default_storage_becomes_the_bucket(bucket_storage):
    bucket_storage()

    storage = storages["default"]

    assert is_object_storage(storage)
    assert (storage.bucket_name, storage.default_acl) == ("images", None)
    assert default_storage.bucket_name == "images"


def test_a_thumbnail_replaces_itself_and_an_original_never_does(monkeypatch):
    storage = ImageObjectStorage(**s3_options())
    monkeypatch.setattr(storage, "exists", lambda name: name.endswith("original.jpg"))

    thumbnail = storage.get_available_name("images/ab/abc/400.jpg")
    original = storage.get_available_name("images/ab/abc/original.jpg")

    assert thumbnail == "images/ab/abc/400.jpg"
    assert original.startswith("images/ab/abc/original_")


@pytest.mark.parametrize(
    ("cache_seconds", "left", "expected"),
    [
        (600, None, 300),  # permanent link: half the cache time
        (600, 100, 50),  # expiring link with little left: half of that
        (60, 1000, 30),  # the cache time is the shorter
        (600, 1, 1),  # never below a second
    ],
)
def test_presigned_urls_last_half_of_what_the_link_allows(
    settings, cache_seconds, left, expected
):
    settings.IMAGEAPI_LINK_CACHE_SECONDS = cache_seconds
    expires_at = None if left is None else T0 + timedelta(seconds=left)

    assert presigned_seconds(Link("x", None, expires_at), T0) == expected


def test_presigned_url_is_signed_for_the_public_endpoint():
    storage = ImageObjectStorage(
        **s3_options(public_endpoint_url="https://files.example.com")
    )

    url = storage.presigned_url(
        "images/ab/abc/200.png", 120, {"ResponseCacheControl": "public, max-age=120"}
    )

    parts = urlsplit(url)
    query = parse_qs(parts.query)
    assert (parts.scheme, parts.netloc) == ("https", "files.example.com")
    assert parts.path == "/images/images/ab/abc/200.png"
    assert query["X-Amz-Expires"] == ["120"]
    assert query["X-Amz-Algorithm"] == ["AWS4-HMAC-SHA256"]
    assert query["response-cache-control"] == ["public, max-age=120"]


@pytest.fixture
def redirecting(bucket_storage, settings, enterprise_user):
    """An image of the enterprise user whose file is in an unreachable bucket."""
    bucket_storage()
    settings.IMAGEAPI_S3_DELIVERY = "redirect"
    settings.IMAGEAPI_LINK_CACHE_SECONDS = 600
    return baker.make(
        "uploads.Image",
        owner=enterprise_user,
        file="images/ab/abcdef/original.png",
        name="holiday.png",
        format="png",
        width=800,
        height=600,
        size=1234,
    )


def query_of(response):
    return {k: v[0] for k, v in parse_qs(urlsplit(response["Location"]).query).items()}


def test_original_link_redirects_to_a_presigned_url_of_its_object(
    redirecting, rf, fetch
):
    url = Link(redirecting.pk.hex).absolute_url(rf.get("/"))

    with time_machine.travel(T0, tick=False):
        response = fetch(url)

    query = query_of(response)
    assert response.status_code == 302
    assert (
        urlsplit(response["Location"]).path == "/images/images/ab/abcdef/original.png"
    )
    assert query["X-Amz-Date"] == "20261203T120000Z"
    assert query["X-Amz-Expires"] == "300"
    assert response["Cache-Control"] == "public, max-age=300"
    assert query["response-cache-control"] == "public, max-age=300"
    assert query["response-content-type"] == "image/png"
    assert query["response-content-disposition"] == 'inline; filename="holiday.png"'


def test_expiring_link_redirects_to_a_url_that_lapses_before_the_link(
    redirecting, rf, fetch
):
    expires_at = T0 + timedelta(seconds=400)
    url = Link(redirecting.pk.hex, None, expires_at).absolute_url(rf.get("/"))

    with time_machine.travel(T0 + timedelta(seconds=300), tick=False):
        response = fetch(url)

    query = query_of(response)
    assert response.status_code == 302
    # 100 s left: the URL lives 50 s, and a copy fetched at its last moment
    # may be kept 50 s more, which ends with the link.
    assert query["X-Amz-Expires"] == "50"
    assert response["Cache-Control"] == "public, max-age=50"


def test_redirect_still_checks_the_tier_and_the_expiry(redirecting, rf, fetch):
    request = rf.get("/")
    expired = Link(redirecting.pk.hex, None, T0 - timedelta(seconds=1))
    not_granted = Link(redirecting.pk.hex, 1234)

    with time_machine.travel(T0, tick=False):
        assert fetch(expired.absolute_url(request)).status_code == 410
        assert fetch(not_granted.absolute_url(request)).status_code == 404


def test_a_bucket_that_does_not_answer_makes_healthz_503_not_500(
    db, bucket_storage, anonymous_client
):
    bucket_storage(endpoint_url=UNREACHABLE)

    response = anonymous_client.get("/healthz")

    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "failing": ["storage"]}


def test_ensure_bucket_does_nothing_for_files_on_disk():
    from django.core.management import call_command

    out = io.StringIO()
    call_command("ensure_bucket", stdout=out)

    assert out.getvalue() == "Image files are kept under MEDIA_ROOT; no bucket.\n"
