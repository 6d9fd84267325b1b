"""Handing thumbnail work to Celery workers, when a broker is configured.

Without CELERY_BROKER_URL nothing here sends anything: uploads make their
thumbnails themselves, and a new height is made on a link's first fetch.
Tasks are sent by name, so a web process never imports the worker's code.
"""

import logging

from django.conf import settings
from django.db import transaction
from kombu.exceptions import OperationalError
from redis.exceptions import RedisError

from imageapi.celery import app

logger = logging.getLogger(__name__)

MAKE_THUMBNAILS = "uploads.make_thumbnails"
BACKFILL_TIER = "uploads.backfill_tier"
# A broker that does not answer costs an upload about a second, then the
# thumbnails are left to be made on their first fetch.
PUBLISH_RETRY_POLICY = {
    "max_retries": 2,
    "interval_start": 0,
    "interval_step": 0.5,
    "interval_max": 1,
}


def thumbnails_in_background():
    """Tell whether workers make thumbnails: whether a broker is configured."""
    return bool(settings.CELERY_BROKER_URL)


def queue_thumbnails(image_id, heights):
    """Have a worker make an image's thumbnails once its row is committed."""
    args = (str(image_id), sorted(set(heights)))
    transaction.on_commit(lambda: publish(MAKE_THUMBNAILS, *args))


def queue_backfill(tier_id, heights):
    """Have workers make thumbnails at `heights` for every image of a tier."""
    args = (tier_id, sorted(set(heights)))
    transaction.on_commit(lambda: publish(BACKFILL_TIER, *args))


def publish(task_name, *args):
    """Send a task to the broker; return whether the broker took it.

    A broker that is down or full is logged, never raised: what the task
    would have made is made on first fetch instead.
    """
    try:
        # Through the app's pool of broker connections (CELERY_BROKER_URL):
        # a connection per upload would cost more than the message.
        app.send_task(
            task_name, args=args, retry=True, retry_policy=PUBLISH_RETRY_POLICY
        )
    except (OperationalError, RedisError):
        logger.warning(
            "Could not queue %s%s: the broker did not answer. Thumbnails are "
            "made on their first fetch instead; check CELERY_BROKER_URL.",
            task_name,
            args,
            exc_info=True,
            extra={"event": "task_not_queued", "task": task_name},
        )
        return False
    return True
