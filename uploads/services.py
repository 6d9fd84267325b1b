"""Writes: storing and removing images and their files."""

import logging
import posixpath
import unicodedata

from django.conf import settings
from django.db import transaction
from imagekit.cachefiles import ImageCacheFile

from .imagegenerators import thumbnail_spec
from .imaging import inspect_upload
from .models import Image

logger = logging.getLogger(__name__)

MAX_NAME_LENGTH = 255


def safe_name(filename, extension):
    """Return a client's file name fit to store and show back.

    Drops any folder part, control and formatting characters, and
    surrounding spaces and dots; composes accents; keeps the name under
    the column's length. An empty result becomes ``image`` plus the
    extension of the detected format.
    """
    name = unicodedata.normalize("NFC", str(filename or ""))
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    name = name.strip(" .")
    if not name:
        return f"image{extension}"
    if len(name) > MAX_NAME_LENGTH:
        stem, suffix = posixpath.splitext(name)
        if len(suffix) > 16:
            stem, suffix = name, ""
        name = stem[: MAX_NAME_LENGTH - len(suffix)] + suffix
    return name


def check_upload(upload):
    """Return the ImageFacts of an upload within the configured limits.

    Raises imaging.InvalidImage with a message for the client otherwise.
    """
    return inspect_upload(
        upload,
        max_bytes=settings.IMAGEAPI_MAX_UPLOAD_BYTES,
        max_pixels=settings.IMAGEAPI_MAX_IMAGE_PIXELS,
    )


def store_image(owner, upload, facts):
    """Save an upload that check_upload() accepted as `owner`'s image.

    Either the row and the file both exist afterwards, or neither does.
    """
    image = Image(
        owner=owner,
        format=facts.format,
        width=facts.width,
        height=facts.height,
        size=upload.size,
    )
    image.name = safe_name(upload.name, image.extension)

    upload.seek(0)
    image.file.save(upload.name, upload, save=False)
    try:
        with transaction.atomic(durable=True):
            image.save(force_insert=True)
    except BaseException:
        # The image's folder is new and holds nothing else: remove it whole.
        delete_image_files(image)
        raise

    logger.info(
        "Image stored: id=%s owner=%s format=%s size=%s %sx%s",
        image.pk,
        owner.pk,
        image.format,
        image.size,
        image.width,
        image.height,
        extra={
            "event": "image_stored",
            "image_id": str(image.pk),
            "user_id": owner.pk,
            "format": image.format,
            "bytes": image.size,
        },
    )
    return image


def delete_image_files(image):
    """Remove the original and every thumbnail made from `image`."""
    storage = image.file.storage
    folder = image.folder
    try:
        _, filenames = storage.listdir(folder)
    except FileNotFoundError:
        filenames = []
    for filename in filenames:
        storage.delete(posixpath.join(folder, filename))
    # On a filesystem this removes the emptied folder; object stores have
    # no folders and ignore it.
    storage.delete(folder)


def thumbnail_file(image, height):
    """Return the imagekit cache file for `image` at `height`, made if new."""
    cachefile = ImageCacheFile(thumbnail_spec(height)(source=image.file))
    cachefile.generate()
    return cachefile


def rendition_name(image, height=None):
    """Return the storage name of a rendition, making a thumbnail if needed.

    A thumbnail is made on first request. One that vanished from the
    storage behind the cache's back is made again, so the name returned
    always points at a file.
    """
    if height is None:
        return image.file.name

    cachefile = thumbnail_file(image, height)
    if not image.file.storage.exists(cachefile.name):
        logger.warning("Thumbnail %s was missing; making it again.", cachefile.name)
        cachefile.generate(force=True)
    return cachefile.name


def open_rendition(image, height=None):
    """Open the stored file of a rendition: the original or a thumbnail."""
    return image.file.storage.open(rendition_name(image, height), "rb")
