"""Keep image files in step with the rows: deleted images, new tier heights."""

import logging

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from tiers.models import ThumbnailHeight

from .background import queue_backfill, thumbnails_in_background
from .models import Image
from .objectstore import STORAGE_ERRORS
from .services import delete_image_files

logger = logging.getLogger(__name__)


@receiver(post_delete, sender=Image)
def delete_files_of_deleted_image(sender, instance, **kwargs):
    # Deleting a user or a batch in django-admin cascades here as well. The
    # files go only once the deletion is committed, so a rollback keeps them.
    transaction.on_commit(lambda: _delete_files(instance))


def _delete_files(image):
    try:
        delete_image_files(image)
    except STORAGE_ERRORS:
        logger.exception(
            "Could not delete the files of image %s in %s; remove them by hand.",
            image.pk,
            image.folder,
        )


@receiver(post_save, sender=ThumbnailHeight)
def backfill_new_height(sender, instance, **kwargs):
    # Without workers a new height is made on each link's first fetch. With
    # them, the tier's images get it ahead of those fetches; an edited
    # height is a new one too, and heights already made cost a look only.
    if thumbnails_in_background():
        queue_backfill(instance.tier_id, [instance.height])
