"""GET /healthz: what compose and load balancers ask before sending traffic."""

from pathlib import Path

import pytest
from django.db import OperationalError


@pytest.fixture
def media_root(settings):
    Path(settings.MEDIA_ROOT).mkdir(parents=True, exist_ok=True)
    return settings.MEDIA_ROOT


def test_healthz_is_200_when_database_and_storage_answer(
    db, media_root, anonymous_client
):
    response = anonymous_client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"]


def test_healthz_is_503_naming_the_storage_when_media_root_is_gone(
    db, settings, tmp_path, anonymous_client
):
    settings.MEDIA_ROOT = str(tmp_path / "unmounted")

    response = anonymous_client.get("/healthz")

    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "failing": ["storage"]}


def test_healthz_is_503_naming_the_database_when_it_does_not_answer(
    db, media_root, monkeypatch, anonymous_client
):
    class Unreachable:
        def cursor(self):
            raise OperationalError("connection refused")

    monkeypatch.setattr("imageapi.health.connection", Unreachable())

    response = anonymous_client.get("/healthz")

    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "failing": ["database"]}


def test_healthz_needs_no_credentials_and_refuses_post(
    db, media_root, anonymous_client
):
    assert anonymous_client.get("/healthz").status_code == 200
    assert anonymous_client.post("/healthz").status_code == 405
