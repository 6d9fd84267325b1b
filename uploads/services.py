"""Writes: storing and removing images and their files."""

import logging
import posixpath
from contextlib import contextmanager
import unicodedata

from django.conf import settings
from django.db import DatabaseError, transaction
from imagekit.cachefiles import ImageCacheFile

from .background import queue_thumbnails, thumbnails_in_background
from .imagegenerators import SharedDecode, thumbnail_name, thumbnail_spec
from .imaging import inspect_upload
from .models import Image
from .objectstore import STORAGE_ERRORS

logger = logging.getLogger(__name__)

MAX_NAME_LENGTH = 255
# Control, formatting and unassigned characters, and the line and paragraph
# separators: each could hide, reorder or split the name where it is shown.
DROPPED_CATEGORIES = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}


class ImageNotStored(Exception):
    """The storage or the database failed; nothing of the upload was kept."""


class RenditionMissing(Exception):
    """An image's row exists but its original file does not."""


def safe_name(filename, extension):
    """Return a client's file name fit to store and show back.

    Drops any folder part, control and formatting characters, line breaks,
    and surrounding spaces and dots; composes accents; keeps the name under
    the column's length. An empty result becomes ``image`` plus the
    extension of the detected format.
    """
    name = unicodedata.normalize("NFC", str(filename or ""))
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(
        ch for ch in name if unicodedata.category(ch) not in DROPPED_CATEGORIES
    )
    name = name.strip(" .")
    if not name:
        return f"image{extension}"
    if len(name) > MAX_NAME_LENGTH:
        stem, suffix = posixpath.splitext(name)
        if len(suffix) > 16:
            stem, suffix = name, ""
        name = stem[: MAX_NAME_LENGTH - len(suffix)] + suffix
    return name


def check_upload(upload, heights=()):
    """Return the ImageFacts of an upload within the configured limits.

    Given the thumbnail `heights` it will need, the facts keep the decode
    made by the check, for store_image() to make them from.
    Raises imaging.InvalidImage with a message for the client otherwise.
    """
    return inspect_upload(
        upload,
        max_bytes=settings.IMAGEAPI_MAX_UPLOAD_BYTES,
        max_pixels=settings.IMAGEAPI_MAX_IMAGE_PIXELS,
        heights=heights,
    )


def store_image(owner, upload, facts, heights=()):
    """Save an upload that check_upload() accepted as `owner`'s image.

    Either the row and the file both exist afterwards, or neither does.
    Once the row is committed, the thumbnails of `heights` are made from
    the check's decode, or queued for a worker when a broker is configured;
    one that fails is left to be made on first fetch. Raises ImageNotStored
    when the storage or the database fails.
    """
    image = Image(
        owner=owner,
        format=facts.format,
        width=facts.width,
        height=facts.height,
        size=upload.size,
    )
    image.name = safe_name(upload.name, image.extension)
    storage = image.file.storage
    name = image.file.field.generate_filename(image, upload.name)

    upload.seek(0)
    try:
        image.file = storage.save(name, upload, max_length=Image.file.field.max_length)
    except STORAGE_ERRORS as exc:
        delete_folder(storage, posixpath.dirname(name))
        logger.exception("Could not write a new image of user %s.", owner.pk)
        raise ImageNotStored("The storage refused the file.") from exc
    try:
        with transaction.atomic(durable=True):
            image.save(force_insert=True)
    except DatabaseError as exc:
        delete_folder(storage, image.folder)
        logger.exception("Could not record a new image of user %s.", owner.pk)
        raise ImageNotStored("The database refused the image.") from exc
    except BaseException:
        delete_folder(storage, image.folder)
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
    if heights and thumbnails_in_background():
        queue_thumbnails(image.pk, heights)
    elif heights:
        try:
            make_thumbnails(image, heights, decoded=facts.decoded)
        except (*STORAGE_ERRORS, ValueError):
            logger.warning(
                "Thumbnails of image %s could not be made at upload; each will "
                "be made on its first fetch.",
                image.pk,
                exc_info=True,
            )
    return image


def delete_image_files(image):
    """Remove the original and every thumbnail made from `image`."""
    delete_folder(image.file.storage, image.folder)


def delete_folder(storage, folder):
    """Remove every file in an image's storage folder, then the folder."""
    try:
        _, filenames = storage.listdir(folder)
    except FileNotFoundError:
        filenames = []
    for filename in filenames:
        storage.delete(posixpath.join(folder, filename))
    # On a filesystem this removes the emptied folder; object stores have
    # no folders and ignore it.
    storage.delete(folder)


def make_thumbnails(image, heights, decoded=None, force=False):
    """Make the thumbnails of `image` at `heights` that do not exist yet.

    All of them come from a single decode of the original: `decoded` if
    given (the upload check's), else one made when the first missing
    thumbnail needs it. `force` makes them whatever imagekit remembers.
    Returns the imagekit cache files, smallest first.
    """
    heights = sorted(set(heights))
    shared = SharedDecode(image.file, heights, decoded)
    cachefiles = []
    for height in heights:
        cachefile = ImageCacheFile(
            thumbnail_spec(height)(source=image.file, shared=shared)
        )
        cachefile.generate(force=force)
        cachefiles.append(cachefile)
    return cachefiles


def ensure_thumbnail(image, height):
    """Make the thumbnail of `image` at `height` if missing; return its name.

    imagekit remembers which files exist; one that vanished from the storage
    behind its back is forgotten and made again.
    """
    (cachefile,) = make_thumbnails(image, [height])
    if not image.file.storage.exists(cachefile.name):
        logger.warning("Thumbnail %s was missing; making it again.", cachefile.name)
        cachefile.cachefile_backend.forget(cachefile)
        (cachefile,) = make_thumbnails(image, [height])
    return cachefile.name


def rendition_name(image, height=None):
    """Return the storage name of a rendition: the original or a thumbnail.

    A thumbnail is made on first request, so the name always points at a
    file. Raises RenditionMissing when the original itself is gone.
    """
    storage = image.file.storage
    if height is None:
        if not storage.exists(image.file.name):
            _report_missing_original(image)
        return image.file.name
    name = thumbnail_name(image.file.name, height)
    if storage.exists(name):
        return name
    with _original_required(image):
        return ensure_thumbnail(image, height)


def open_rendition(image, height=None):
    """Open the stored file of a rendition: the original or a thumbnail.

    A thumbnail is made on first request, and made again if it vanished.
    Raises RenditionMissing when the original itself is gone.
    """
    storage = image.file.storage
    with _original_required(image):
        if height is None:
            return storage.open(image.file.name, "rb")
        # Nearly every thumbnail exists already (uploads make them), so
        # opening it is the cheapest existence check; imagekit is asked only
        # on a miss.
        try:
            return storage.open(thumbnail_name(image.file.name, height), "rb")
        except FileNotFoundError:
            return storage.open(ensure_thumbnail(image, height), "rb")


@contextmanager
def _original_required(image):
    """Turn a file missing because the original is gone into RenditionMissing."""
    try:
        yield
    except FileNotFoundError as exc:
        if image.file.storage.exists(image.file.name):
            raise
        _report_missing_original(image, exc)


def _report_missing_original(image, cause=None):
    # Either the image is being deleted right now, or its row outlived its
    # file; check_media tells which.
    logger.warning(
        "Image %s has no original file %s; run check_media if it persists.",
        image.pk,
        image.file.name,
    )
    raise RenditionMissing(image.file.name) from cause
