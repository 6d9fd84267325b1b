"""How images and links look on the wire."""

import logging
import re

from django.conf import settings
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from tiers.models import MAX_THUMBNAIL_HEIGHT

from .imaging import InvalidImage
from .links import Link, LinkUrls
from .models import Image
from .services import check_upload

logger = logging.getLogger(__name__)

# Digits as a form sends them; int() would also take spaces, a plus sign and
# digits of other scripts.
WHOLE_NUMBER = re.compile(r"-?[0-9]+")


class ImageSerializer(serializers.ModelSerializer):
    """An image with the links its owner's tier grants.

    Expects `grants` (the owner's tiers.grants.Grants) and `request` in the
    context. `original` and `expiring_links` are left out, not null, when
    the tier does not grant them.
    """

    # Left out of the response, not null, when the tier does not grant them;
    # the schema marks them as not required.
    absent_when_empty = ("original", "expiring_links")

    id = serializers.CharField(read_only=True)
    url = serializers.HyperlinkedIdentityField(view_name="image-detail")
    thumbnails = serializers.SerializerMethodField(
        help_text="Signed link per thumbnail height, keyed by the height."
    )
    original = serializers.SerializerMethodField(
        required=False,
        help_text="Signed link to the uploaded file, if the tier grants it.",
    )
    expiring_links = serializers.SerializerMethodField(
        required=False,
        help_text="Where to POST for an expiring link, if the tier grants it.",
    )

    class Meta:
        model = Image
        fields = [
            "id",
            "url",
            "name",
            "format",
            "width",
            "height",
            "size",
            "created_at",
            "thumbnails",
            "original",
            "expiring_links",
        ]
        read_only_fields = fields

    @extend_schema_field(
        {"type": "object", "additionalProperties": {"type": "string", "format": "uri"}}
    )
    def get_thumbnails(self, image):
        links = self._urls().links
        return {
            str(height): links.url(Link(image.pk.hex, height))
            for height in self.context["grants"].heights
        }

    @extend_schema_field(OpenApiTypes.URI)
    def get_original(self, image):
        if not self.context["grants"].original_link:
            return None
        return self._urls().links.url(Link(image.pk.hex))

    @extend_schema_field(OpenApiTypes.URI)
    def get_expiring_links(self, image):
        if not self.context["grants"].expiring_links:
            return None
        return self._urls().expiring_links(image.pk)

    def to_representation(self, image):
        """Return the image's representation, built directly.

        Same output as the field-by-field path of ModelSerializer, which
        on a page of 50 costs several times the database query; the fields
        above still describe the shape to the schema and the docs.
        """
        data = {
            "id": str(image.pk),
            "url": self._urls().detail(image.pk),
            "name": image.name,
            "format": str(image.format),
            "width": image.width,
            "height": image.height,
            "size": image.size,
            "created_at": self.fields["created_at"].to_representation(image.created_at),
            "thumbnails": self.get_thumbnails(image),
        }
        optional = {
            "original": self.get_original(image),
            "expiring_links": self.get_expiring_links(image),
        }
        data.update((key, url) for key, url in optional.items() if url is not None)
        return data

    def _urls(self):
        """Return the request's ImageUrls, made once per serializer."""
        request = self.context["request"]
        urls = getattr(self, "_image_urls", None)
        if urls is None or urls.request is not request:
            urls = self._image_urls = ImageUrls(request)
        return urls


class ImageUrls:
    """The absolute URLs an image's representation holds, for one request.

    Each route is reversed once, around a marker, and the image's id put in
    its place: a reverse() per URL was the largest cost of a page of images.
    """

    MARKER = "image-id"

    def __init__(self, request):
        self.request = request
        self.links = LinkUrls(request)
        self._detail = self._template("image-detail")
        self._expiring_links = self._template("image-expiring-links")

    def _template(self, view_name):
        path = reverse(view_name, args=[self.MARKER])
        return self.request.build_absolute_uri(path).split(self.MARKER)

    def detail(self, pk):
        return f"{self._detail[0]}{pk}{self._detail[1]}"

    def expiring_links(self, pk):
        return f"{self._expiring_links[0]}{pk}{self._expiring_links[1]}"


class ImageUploadSerializer(serializers.Serializer):
    """The upload form: one PNG or JPEG file under `image`."""

    image = serializers.FileField(
        write_only=True,
        help_text="A PNG or JPEG file. The format is read from its content.",
    )

    def validate_image(self, upload):
        # Knowing the owner's thumbnail heights, the check decodes at the
        # scale they need and the upload's thumbnails reuse that decode.
        grants = self.context.get("grants")
        try:
            self.facts = check_upload(upload, grants.heights if grants else ())
        except InvalidImage as exc:
            log_rejected_upload(self.context.get("request"), upload, exc.code)
            raise serializers.ValidationError(exc.message, code=exc.code) from exc
        return upload


def log_rejected_upload(request, upload, reason):
    """Record why an upload was refused, with who sent it and how big it was."""
    user = getattr(request, "user", None)
    user_id = user.pk if user is not None else None
    logger.info(
        "Upload rejected: reason=%s user=%s bytes=%s",
        reason,
        user_id,
        upload.size,
        extra={
            "event": "upload_rejected",
            "reason": reason,
            "user_id": user_id,
            "bytes": upload.size,
        },
    )


class WholeSecondsField(serializers.IntegerField):
    """An integer that refuses booleans, fractions and decimal strings."""

    default_error_messages = {"invalid": "A whole number of seconds is required."}

    def to_internal_value(self, data):
        if isinstance(data, (bool, float)):
            self.fail("invalid")
        if isinstance(data, str) and not WHOLE_NUMBER.fullmatch(data):
            self.fail("invalid")
        return super().to_internal_value(data)


@extend_schema_field(
    {
        "type": "integer",
        "minimum": 1,
        "maximum": MAX_THUMBNAIL_HEIGHT,
        "nullable": True,
        "description": "A thumbnail height of your tier; leave out for the original.",
    }
)
class TierHeightField(serializers.ChoiceField):
    """One of the heights of the caller's tier, which the view fills in."""


class ExpiringLinkSerializer(serializers.Serializer):
    """A request for a link that works for `expires_in` seconds.

    Expects `grants` in the context: `height` must be one of its heights.
    """

    height = TierHeightField(
        choices=[],
        required=False,
        allow_null=True,
        write_only=True,
        help_text="A thumbnail height of the tier; leave out for the original.",
        error_messages={
            "invalid_choice": '"{input}" is not a thumbnail height of your tier.'
        },
    )
    url = serializers.URLField(read_only=True)
    expires_at = serializers.DateTimeField(read_only=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The bounds are settings, read per request so that tests and
        # deployments can change them.
        self.fields["expires_in"] = WholeSecondsField(
            min_value=settings.IMAGEAPI_EXPIRING_LINK_MIN_SECONDS,
            max_value=settings.IMAGEAPI_EXPIRING_LINK_MAX_SECONDS,
            help_text="Seconds the link works for, within the configured bounds.",
        )
        grants = self.context.get("grants")
        self.fields["height"].choices = grants.heights if grants else []
