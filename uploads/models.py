"""Uploaded images and where their files live."""

import posixpath
import secrets
import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone


def original_path(image, filename):
    """Return an unguessable storage name for an image's original file.

    Every file made from the image lives in the same folder, so deleting the
    folder's contents removes them all. The first two characters spread the
    folders out so that no directory grows huge on a plain filesystem.
    """
    key = secrets.token_hex(16)
    extension = Image.EXTENSIONS[image.format]
    return f"images/{key[:2]}/{key}/original{extension}"


class Image(models.Model):
    """One uploaded PNG or JPEG, owned by one user."""

    class Format(models.TextChoices):
        JPEG = "jpeg", "JPEG"
        PNG = "png", "PNG"

    EXTENSIONS = {Format.JPEG: ".jpg", Format.PNG: ".png"}
    CONTENT_TYPES = {Format.JPEG: "image/jpeg", Format.PNG: "image/png"}

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="images",
        # The (owner, created_at) index below serves lookups by owner too.
        db_index=False,
    )
    file = models.FileField(upload_to=original_path, max_length=255)
    name = models.CharField(max_length=255, help_text="As sent by the client.")
    format = models.CharField(max_length=4, choices=Format.choices)
    width = models.PositiveIntegerField(help_text="Of the upright image, in px.")
    height = models.PositiveIntegerField(help_text="Of the upright image, in px.")
    size = models.PositiveBigIntegerField(help_text="Of the original, in bytes.")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(
                fields=["owner", "-created_at"], name="image_owner_created_idx"
            ),
            models.Index(
                fields=["owner", "format", "-created_at"],
                name="image_owner_format_idx",
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def folder(self):
        """Return the storage folder that holds every file of this image."""
        return posixpath.dirname(self.file.name)

    @property
    def content_type(self):
        return self.CONTENT_TYPES[self.format]

    @property
    def extension(self):
        return self.EXTENSIONS[self.format]
