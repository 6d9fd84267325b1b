"""Thumbnails handed to workers when a broker is named, tested without one.

Publishing is recorded instead of sent, and the tasks are called here as a
worker would call them; tests/scaleout/test_workers.py (`make test-workers`)
runs the same path with Redis and real worker processes.
"""

import logging
import socket

import pytest
from botocore.exceptions import EndpointConnectionError
from celery.exceptions import Retry
from django.core.files.storage import default_storage
from django.db import DatabaseError
from imagekit.cachefiles import ImageCacheFile
from imagekit.cachefiles.backends import CacheFileState
from model_bakery import baker

from imageapi.celery import app
from tiers.models import ThumbnailHeight
from uploads import background, tasks
from uploads.imagegenerators import SharedDecode, thumbnail_spec
from uploads.models import Image


def stored(image_id):
    """Return the file names in an image's folder."""
    folder = Image.objects.get(pk=image_id).folder
    return sorted(default_storage.listdir(folder)[1])


@pytest.fixture
def published(settings, monkeypatch):
    """Name a broker, and record what would be sent to it instead of sending."""
    settings.CELERY_BROKER_URL = "redis://broker.invalid:6379/0"
    sent = []
    monkeypatch.setattr(
        background, "publish", lambda name, *args: sent.append((name, args))
    )
    return sent


def closed_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_without_a_broker_the_upload_makes_its_thumbnails(
    premium_user, upload_image, monkeypatch
):
    monkeypatch.setattr(background, "publish", pytest.fail)

    body = upload_image(premium_user, "photo.png", size=(900, 600))

    assert stored(body["id"]) == ["200.png", "400.png", "original.png"]


def test_with_a_broker_the_upload_answers_at_once_and_queues_its_thumbnails(
    premium_user, upload_image, published, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        body = upload_image(premium_user, "photo.png", size=(900, 600))

    assert stored(body["id"]) == ["original.png"]
    assert set(body["thumbnails"]) == {"200", "400"}
    assert published == [("uploads.make_thumbnails", (body["id"], [200, 400]))]


def test_nothing_is_queued_before_the_row_is_committed(
    premium_user, upload_image, published
):
    upload_image(premium_user, "photo.png")

    # The test's transaction never commits, so no worker may look for it.
    assert published == []


def test_a_link_fetched_before_the_worker_ran_makes_its_thumbnail(
    premium_user, upload_image, published, fetch_image
):
    body = upload_image(premium_user, "photo.png", size=(900, 600))

    thumbnail = fetch_image(body["thumbnails"]["400"])

    assert thumbnail.size == (600, 400)
    assert stored(body["id"]) == ["400.png", "original.png"]


def test_the_task_makes_only_what_is_missing_and_is_idempotent(
    premium_user, upload_image, published, fetch_image, settings
):
    body = upload_image(premium_user, "photo.png", size=(900, 600))
    fetch_image(body["thumbnails"]["400"])

    first = tasks.make_missing_thumbnails(body["id"], [200, 400])
    second = tasks.make_missing_thumbnails(body["id"], [200, 400])

    assert (first, second) == ([200], [])
    assert stored(body["id"]) == ["200.png", "400.png", "original.png"]
    assert fetch_image(body["thumbnails"]["200"]).size == (300, 200)


def test_a_task_left_generating_by_a_killed_worker_is_made_on_the_next_try(
    premium_user, upload_image, published
):
    body = upload_image(premium_user, "photo.png", size=(900, 600))
    image = Image.objects.get(pk=body["id"])
    # What a worker killed inside imagekit's generate_now() leaves behind.
    cachefile = ImageCacheFile(thumbnail_spec(200)(source=image.file))
    cachefile.cachefile_backend.set_state(cachefile, CacheFileState.GENERATING)

    tasks.make_thumbnails_task(body["id"], [200, 400])

    assert stored(body["id"]) == ["200.png", "400.png", "original.png"]


def test_the_task_for_a_deleted_image_does_nothing(
    premium_user, upload_image, published
):
    body = upload_image(premium_user, "photo.png")
    Image.objects.filter(pk=body["id"]).delete()

    assert tasks.make_missing_thumbnails(body["id"], [200, 400]) == []


def test_an_image_deleted_while_its_thumbnails_are_made_keeps_no_files(
    premium_user, upload_image, published, monkeypatch, media_files
):
    body = upload_image(premium_user, "photo.png")
    decoded = SharedDecode.decoded

    def deleted_after_decoding(shared):
        pixels = decoded(shared)
        # The image is deleted, files and all, once the worker has read it.
        image = Image.objects.filter(pk=body["id"]).first()
        if image is not None:
            image.delete()
            tasks.delete_image_files(image)
        return pixels

    monkeypatch.setattr(SharedDecode, "decoded", deleted_after_decoding)

    assert tasks.make_missing_thumbnails(body["id"], [200, 400]) == []
    assert media_files() == []


def test_a_retry_after_the_original_went_with_its_image_ends_quietly(
    premium_user, upload_image, published
):
    body = upload_image(premium_user, "photo.png")
    image = Image.objects.get(pk=body["id"])
    tasks.delete_image_files(image)

    with pytest.raises(Retry):
        tasks.make_thumbnails_task.apply(args=(body["id"], [200]), throw=True)
    image.delete()
    assert tasks.make_missing_thumbnails(body["id"], [200]) == []


@pytest.mark.parametrize(
    "error",
    [
        OSError("disk full"),
        EndpointConnectionError(endpoint_url="http://objectstore:9000"),
        DatabaseError("server closed the connection"),
    ],
)
def test_failures_of_storage_or_database_are_retried_with_backoff(
    premium_user, upload_image, published, monkeypatch, error
):
    body = upload_image(premium_user, "photo.png")

    def fail(*args, **kwargs):
        raise error

    monkeypatch.setattr(tasks, "make_thumbnails", fail)

    with pytest.raises(Retry):
        tasks.make_thumbnails_task.apply(args=(body["id"], [200]), throw=True)


def test_tasks_are_acknowledged_late_and_given_back_by_a_dying_worker():
    for task in (
        tasks.make_thumbnails_task,
        tasks.make_thumbnails_batch_task,
        tasks.backfill_tier_task,
    ):
        assert task.acks_late and task.reject_on_worker_lost
        assert (task.retry_backoff, task.retry_backoff_max, task.max_retries) == (
            2,
            120,
            8,
        )
    options = app.conf.broker_transport_options
    assert options["visibility_timeout"] > app.conf.task_time_limit + 120
    assert app.conf.worker_prefetch_multiplier == 1


def test_adding_a_height_queues_a_backfill_of_the_tier(
    make_tier, published, django_capture_on_commit_callbacks
):
    tier = make_tier("Studio", heights=[200])
    published.clear()

    with django_capture_on_commit_callbacks(execute=True):
        ThumbnailHeight.objects.create(tier=tier, height=640)

    assert published == [("uploads.backfill_tier", (tier.pk, [640]))]


def test_without_a_broker_a_new_height_waits_for_first_fetch(
    make_tier, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(background, "publish", pytest.fail)
    tier = make_tier("Studio", heights=[200])

    with django_capture_on_commit_callbacks(execute=True):
        ThumbnailHeight.objects.create(tier=tier, height=640)


def test_backfill_makes_the_height_for_every_image_of_the_tier_in_batches(
    make_tier, upload_image, published, monkeypatch
):
    tier = make_tier("Studio", heights=[100], original_link=True)
    members = [baker.make("tiers.User", tier=tier) for _ in range(2)]
    outsider = baker.make("tiers.User", tier=make_tier("Other", heights=[100]))
    ids = [upload_image(user, "p.png")["id"] for user in (*members, members[0])]
    other = upload_image(outsider, "p.png")["id"]
    batches, runs = [], []
    monkeypatch.setattr(tasks, "BACKFILL_BATCH", 1)
    monkeypatch.setattr(tasks, "BACKFILL_CHUNK", 2)
    monkeypatch.setattr(
        tasks.make_thumbnails_batch_task,
        "apply_async",
        lambda args: batches.append(args) or tasks.make_thumbnails_batch_task(*args),
    )
    monkeypatch.setattr(
        tasks.backfill_tier_task,
        "apply_async",
        lambda args: runs.append(args) or tasks.backfill_tier_task(*args),
    )

    tasks.backfill_tier_task(tier.pk, [300])

    # A run of two ids queued the run for the third, after the second.
    assert [len(image_ids) for image_ids, _ in batches] == [1, 1, 1]
    assert [after for _, _, after in runs] == [sorted(ids)[1]]
    assert [stored(image_id) for image_id in ids] == [["300.png", "original.png"]] * 3
    assert stored(other) == ["original.png"]


@pytest.fixture
def broker_down(settings, monkeypatch):
    """Point the settings and the Celery app at a port nothing listens on."""
    port = closed_port()
    url = f"redis://127.0.0.1:{port}/0"
    settings.CELERY_BROKER_URL = url
    monkeypatch.setattr(app.conf, "broker_url", url)
    # The app keeps a pool of connections to the broker it was first given.
    monkeypatch.setattr(app, "_pool", None)
    monkeypatch.setattr(app.amqp, "_producer_pool", None)
    yield port
    app.pool.force_close_all()


def test_a_broker_that_does_not_answer_leaves_the_upload_whole(
    premium_user,
    upload_image,
    broker_down,
    caplog,
    fetch_image,
    django_capture_on_commit_callbacks,
):
    assert app.pool.connection.port == broker_down

    with caplog.at_level(logging.WARNING, logger="uploads.background"):
        with django_capture_on_commit_callbacks(execute=True):
            body = upload_image(premium_user, "photo.png", size=(900, 600))

    (record,) = caplog.records
    assert record.event == "task_not_queued"
    assert "the broker did not answer" in record.getMessage()
    assert fetch_image(body["thumbnails"]["200"]).size == (300, 200)
