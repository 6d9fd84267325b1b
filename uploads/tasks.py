"""The work Celery workers do: making thumbnails, one image or a tier's worth.

Every task is idempotent. It makes only the thumbnails the storage lacks, so
running it twice, or again after a worker died halfway through, costs an
existence check per thumbnail and makes nothing twice. Tasks are
acknowledged when done and given back when the process running them dies
(see the CELERY_* settings), and retried with backoff when the storage or
the database fails.
"""

import logging

from django.db import DatabaseError
from kombu.exceptions import OperationalError

from imageapi.celery import app

from .background import BACKFILL_TIER, MAKE_THUMBNAILS
from .imagegenerators import thumbnail_name
from .models import Image
from .objectstore import STORAGE_ERRORS
from .services import delete_image_files, make_thumbnails

logger = logging.getLogger(__name__)

# Images per task when a tier's images are backfilled: enough to make the
# queue short, few enough that a retried batch redoes little.
BACKFILL_BATCH = 100

RETRIED_TASK = {
    "acks_late": True,
    "reject_on_worker_lost": True,
    # Failures that a later try may not meet.
    "autoretry_for": (*STORAGE_ERRORS, DatabaseError, OperationalError),
    "retry_backoff": 2,
    # Below the broker's visibility timeout, or a retry waiting for its
    # countdown would be handed to a second worker as well.
    "retry_backoff_max": 120,
    "retry_jitter": True,
    "max_retries": 8,
}


@app.task(name=MAKE_THUMBNAILS, **RETRIED_TASK)
def make_thumbnails_task(image_id, heights):
    """Make the image's missing thumbnails at `heights`."""
    make_missing_thumbnails(image_id, heights)


@app.task(name="uploads.make_thumbnails_batch", **RETRIED_TASK)
def make_thumbnails_batch_task(image_ids, heights):
    """Make the missing thumbnails at `heights` of each of the images."""
    for image_id in image_ids:
        make_missing_thumbnails(image_id, heights)


@app.task(name=BACKFILL_TIER, **RETRIED_TASK)
def backfill_tier_task(tier_id, heights):
    """Queue the thumbnails at `heights` of every image whose owner is on a tier.

    Reads only ids, a chunk at a time, so a tier of millions of images
    costs this worker little memory; the batches go to every worker.
    """
    image_ids = (
        Image.objects.filter(owner__tier_id=tier_id)
        .order_by()
        .values_list("pk", flat=True)
        .iterator(chunk_size=2000)
    )
    batch, batches = [], 0
    for image_id in image_ids:
        batch.append(str(image_id))
        if len(batch) == BACKFILL_BATCH:
            make_thumbnails_batch_task.apply_async((batch, heights))
            batch, batches = [], batches + 1
    if batch:
        make_thumbnails_batch_task.apply_async((batch, heights))
        batches += 1
    logger.info(
        "Backfill queued: tier=%s heights=%s batches=%s",
        tier_id,
        heights,
        batches,
        extra={"event": "backfill_queued", "tier_id": tier_id, "batches": batches},
    )


def make_missing_thumbnails(image_id, heights):
    """Make the thumbnails at `heights` that the storage lacks; return their heights.

    An image deleted before or while its thumbnails are made needs none,
    and keeps none: whatever was written after its files went is removed.
    """
    image = Image.objects.filter(pk=image_id).first()
    if image is None:
        return []
    storage = image.file.storage
    missing = [
        height
        for height in sorted(set(heights))
        if not storage.exists(thumbnail_name(image.file.name, height))
    ]
    if not missing:
        return []

    # Forced: the storage, not imagekit's cached state, says what is missing.
    # A worker killed while making a thumbnail leaves that state saying
    # "generating", which would otherwise skip it for a day.
    make_thumbnails(image, missing, force=True)
    if not Image.objects.filter(pk=image_id).exists():
        delete_image_files(image)
        return []

    logger.info(
        "Thumbnails made: image=%s heights=%s",
        image.pk,
        missing,
        extra={
            "event": "thumbnails_made",
            "image_id": str(image.pk),
            "heights": ",".join(map(str, missing)),
        },
    )
    return missing
