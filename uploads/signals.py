"""Remove an image's files once its row is gone, however it was deleted."""

import logging

from django.db import transaction
from django.db.models.signals import post_delete
from django.dispatch import receiver

from .models import Image
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
    except OSError:
        logger.exception(
            "Could not delete the files of image %s in %s; remove them by hand.",
            image.pk,
            image.folder,
        )
