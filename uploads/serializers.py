"""How images and links look on the wire."""

import re

from django.conf import settings
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from tiers.models import MAX_THUMBNAIL_HEIGHT

from .imaging import InvalidImage
from .links import Link
from .models import Image
from .services import check_upload

WHOLE_NUMBER = re.compile(r"\s*[+-]?\d+\s*")


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
        request = self.context["request"]
        return {
            str(height): Link(image.pk.hex, height).absolute_url(request)
            for height in self.context["grants"].heights
        }

    @extend_schema_field(OpenApiTypes.URI)
    def get_original(self, image):
        if not self.context["grants"].original_link:
            return None
        return Link(image.pk.hex).absolute_url(self.context["request"])

    @extend_schema_field(OpenApiTypes.URI)
    def get_expiring_links(self, image):
        if not self.context["grants"].expiring_links:
            return None
        path = reverse("image-expiring-links", args=[image.pk])
        return self.context["request"].build_absolute_uri(path)

    def to_representation(self, image):
        data = super().to_representation(image)
        for key in self.absent_when_empty:
            if data[key] is None:
                del data[key]
        return data


class ImageUploadSerializer(serializers.Serializer):
    """The upload form: one PNG or JPEG file under `image`."""

    image = serializers.FileField(
        write_only=True,
        help_text="A PNG or JPEG file. The format is read from its content.",
    )

    def validate_image(self, upload):
        try:
            self.facts = check_upload(upload)
        except InvalidImage as exc:
            raise serializers.ValidationError(exc.message, code=exc.code) from exc
        return upload


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
            "invalid_choice": "{input} is not a thumbnail height of your tier."
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
