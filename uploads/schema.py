"""Corrections to the OpenAPI schema that drf-spectacular generates."""

from .serializers import ImageSerializer


def mark_withheld_links_optional(result, generator, request, public):
    """Drop the links a tier may withhold from the image's required keys.

    drf-spectacular marks every read-only field required, but these keys are
    absent from an image whose owner's tier does not grant them.
    """
    image = result.get("components", {}).get("schemas", {}).get("Image")
    if image is None:
        return result

    withheld = ImageSerializer.WITHHELD_UNLESS_GRANTED
    image["required"] = [key for key in image["required"] if key not in withheld]
    return result
