"""Uploads and expiring links are limited per user, with Retry-After."""

import os
import subprocess
import sys
from datetime import timedelta

import time_machine
from django.conf import settings as django_settings
from django.utils import timezone

from uploads.checks import check_rates
from uploads.models import Image

from .files import encode


def _upload(post_image, user):
    return post_image(user, "photo.png", encode("PNG", size=(8, 8)))


def test_uploads_over_the_rate_get_429_with_retry_after(
    basic_user, premium_user, post_image, settings
):
    settings.IMAGEAPI_UPLOAD_RATE = "2/min"

    with time_machine.travel(timezone.now(), tick=False) as clock:
        statuses = [_upload(post_image, basic_user).status_code for _ in range(2)]
        clock.shift(timedelta(seconds=15))
        refused = _upload(post_image, basic_user)

    assert statuses == [201, 201]
    assert refused.status_code == 429
    assert refused["Retry-After"] == "45"
    assert refused.json() == {
        "detail": "Request was throttled. Expected available in 45 seconds."
    }
    assert Image.objects.filter(owner=basic_user).count() == 2
    assert _upload(post_image, premium_user).status_code == 201


def test_uploads_are_allowed_again_once_the_window_has_passed(
    basic_user, post_image, settings
):
    settings.IMAGEAPI_UPLOAD_RATE = "1/min"

    with time_machine.travel(timezone.now(), tick=False) as clock:
        first = _upload(post_image, basic_user).status_code
        second = _upload(post_image, basic_user).status_code
        clock.shift(timedelta(seconds=61))
        third = _upload(post_image, basic_user).status_code

    assert (first, second, third) == (201, 429, 201)


def test_expiring_links_over_the_rate_get_429_with_retry_after(
    enterprise_user, upload_image, client_for, settings
):
    settings.IMAGEAPI_LINK_RATE = "3/hour"
    url = upload_image(enterprise_user)["expiring_links"]
    client = client_for(enterprise_user)

    with time_machine.travel(timezone.now(), tick=False):
        statuses = [
            client.post(url, {"expires_in": 600}, format="json").status_code
            for _ in range(4)
        ]
        refused = client.post(url, {"expires_in": 600}, format="json")

    assert statuses == [201, 201, 201, 429]
    assert refused["Retry-After"] == "3600"


def test_lowering_the_rate_still_answers_with_retry_after(
    basic_user, post_image, settings
):
    settings.IMAGEAPI_UPLOAD_RATE = "5/min"
    with time_machine.travel(timezone.now(), tick=False) as clock:
        for _ in range(5):
            _upload(post_image, basic_user)
        settings.IMAGEAPI_UPLOAD_RATE = "2/min"
        clock.shift(timedelta(seconds=10))
        refused = _upload(post_image, basic_user)

    assert refused.status_code == 429
    assert refused["Retry-After"] == "50"


def test_throttled_uploads_do_not_slow_down_reading(
    basic_user, post_image, client_for, settings
):
    settings.IMAGEAPI_UPLOAD_RATE = "1/min"
    body = _upload(post_image, basic_user).json()
    assert _upload(post_image, basic_user).status_code == 429
    client = client_for(basic_user)

    assert client.get("/api/images/").status_code == 200
    assert client.get(f"/api/images/{body['id']}/").status_code == 200


def test_an_empty_rate_turns_the_limit_off(basic_user, post_image, settings):
    settings.IMAGEAPI_UPLOAD_RATE = ""

    statuses = {_upload(post_image, basic_user).status_code for _ in range(70)}

    assert statuses == {201}


def test_rates_come_from_the_environment():
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "imageapi.settings.test",
        "IMAGEAPI_UPLOAD_RATE": "7/hour",
        "IMAGEAPI_LINK_RATE": "11/s",
    }
    script = (
        "import django; django.setup(); from django.conf import settings; "
        "print(settings.IMAGEAPI_UPLOAD_RATE, settings.IMAGEAPI_LINK_RATE)"
    )

    result = subprocess.run(
        [sys.executable, "-c", script],
        env=environment,
        cwd=django_settings.BASE_DIR,
        capture_output=True,
        text=True,
        check=True,
    )

    assert result.stdout == "7/hour 11/s\n"


def test_default_rates_are_sixty_uploads_and_120_links_a_minute():
    assert (
        django_settings.IMAGEAPI_UPLOAD_RATE,
        django_settings.IMAGEAPI_LINK_RATE,
    ) == ("60/min", "120/min")


def test_a_rate_drf_cannot_read_fails_the_system_checks(settings):
    settings.IMAGEAPI_UPLOAD_RATE = "sixty a minute"
    settings.IMAGEAPI_LINK_RATE = "10/fortnight"

    errors = check_rates(None)

    assert [(error.id, error.msg.split(";")[0]) for error in errors] == [
        ("uploads.E001", "IMAGEAPI_UPLOAD_RATE is 'sixty a minute'"),
        ("uploads.E001", "IMAGEAPI_LINK_RATE is '10/fortnight'"),
    ]
