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

# Images per task when a tier's images are backfilled: enough to keep the
# queue short, few enough that a batch of the largest PNGs still ends well
# within the task time limit and the broker's visibility timeout.
BACKFILL_BATCH = 25
# Image ids one backfill run reads before handing the rest to the next run.
BACKFILL_CHUNK = 5000

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
def backfill_tier_task(tier_id, heights, after=None):
    """Queue the thumbnails at `heights` of every image whose owner is on a tier.

    Each run reads the next BACKFILL_CHUNK ids in key order after `after`,
    queues them in batches for every worker, then queues itself for the
    rest: however many images the tier has, no run is long, and a retried
    run redoes one chunk.
    """
    images = Image.objects.filter(owner__tier_id=tier_id).order_by("pk")
    if after is not None:
        images = images.filter(pk__gt=after)
    image_ids = [str(pk) for pk in images.values_list("pk", flat=True)[:BACKFILL_CHUNK]]
    for start in range(0, len(image_ids), BACKFILL_BATCH):
        batch = image_ids[start : start + BACKFILL_BATCH]
        make_thumbnails_batch_task.apply_async((batch, heights))
    if len(image_ids) == BACKFILL_CHUNK:
        backfill_tier_task.apply_async((tier_id, heights, image_ids[-1]))
    logger.info(
        "Backfill queued: tier=%s heights=%s images=%s",
        tier_id,
        heights,
        len(image_ids),
        extra={
            "event": "backfill_queued",
            "tier_id": tier_id,
            "images": len(image_ids),
        },
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
