"""The image endpoints and the view behind every signed link."""

import logging
from datetime import timedelta
from urllib.parse import quote

from django.conf import settings
from django.db.models import F
from django.http import FileResponse, Http404, HttpResponse
from django.utils import timezone
from django.utils.http import content_disposition_header, http_date
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_safe
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import APIException, PermissionDenied
from rest_framework.parsers import FormParser, JSONParser
from rest_framework.response import Response

from tiers.grants import grants_for_tier

from .delivery import presigned_redirect, stream_object
from .filters import ImageFilter
from .links import Link, LinkExpired, LinkInvalid, read_link
from .models import Image
from .objectstore import is_object_storage
from .pagination import NewestFirstPagination
from .parsers import UploadParser
from .schema import FIELD_ERRORS, ErrorSerializer
from .serializers import (
    ExpiringLinkSerializer,
    ImageSerializer,
    ImageUploadSerializer,
)
from .services import (
    ImageNotStored,
    RenditionMissing,
    open_rendition,
    rendition_name,
    store_image,
)
from .throttles import LinkRateThrottle, UploadRateThrottle

logger = logging.getLogger(__name__)

NOT_FOUND = OpenApiResponse(
    ErrorSerializer, description="No image of yours has this id."
)
INVALID = OpenApiResponse(
    FIELD_ERRORS, description="The input was refused; messages are keyed by field."
)
# Sandboxed and never sniffed: a file that is also valid HTML or script (a
# polyglot) stays an image in every browser.
FILE_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; sandbox",
}


class StorageUnavailable(APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "The image could not be stored and nothing was kept; try again."
    default_code = "storage_unavailable"


@extend_schema_view(
    list=extend_schema(
        summary="List your images, newest first",
        responses={
            200: ImageSerializer(many=True),
            400: INVALID,
            404: OpenApiResponse(
                ErrorSerializer, description="The cursor is not one this API made."
            ),
        },
    ),
    retrieve=extend_schema(
        summary="Show one of your images",
        responses={200: ImageSerializer, 404: NOT_FOUND},
    ),
    destroy=extend_schema(
        summary="Delete an image and every file made from it",
        responses={204: None, 404: NOT_FOUND},
    ),
)
class ImageViewSet(
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Your images. Upload PNG or JPEG files; links follow your tier."""

    serializer_class = ImageSerializer
    # Any id reaches the view, which answers an unknown one with a 404 in
    # JSON; the router's default refuses dots before any view runs.
    lookup_value_regex = "[^/]+"
    pagination_class = NewestFirstPagination
    filterset_class = ImageFilter
    parser_classes = [JSONParser, FormParser, UploadParser]
    throttles_by_action = {
        "create": UploadRateThrottle,
        "expiring_links": LinkRateThrottle,
    }

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Image.objects.none()
        return Image.objects.filter(owner=self.request.user)

    def filter_queryset(self, queryset):
        # The query-string filters narrow the list; one image is found by its
        # id alone, whatever else the URL carries.
        if self.action != "list":
            return queryset
        return super().filter_queryset(queryset)

    def get_serializer_class(self):
        if self.action == "create":
            return ImageUploadSerializer
        if self.action == "expiring_links":
            return ExpiringLinkSerializer
        return ImageSerializer

    def get_serializer_context(self):
        context = super().get_serializer_context()
        user = self.request.user
        if user.is_authenticated:
            context["grants"] = grants_for_tier(user.tier_id)
        return context

    def get_throttles(self):
        throttle = self.throttles_by_action.get(self.action)
        return [throttle()] if throttle else super().get_throttles()

    @extend_schema(
        summary="Upload an image",
        request=ImageUploadSerializer,
        responses={
            201: ImageSerializer,
            400: INVALID,
            503: OpenApiResponse(
                ErrorSerializer,
                description="Storing failed; nothing was kept, try again.",
            ),
        },
    )
    def create(self, request, *args, **kwargs):
        context = self.get_serializer_context()
        upload = self.get_serializer(data=request.data, context=context)
        upload.is_valid(raise_exception=True)

        try:
            image = store_image(
                request.user,
                upload.validated_data["image"],
                upload.facts,
                heights=context["grants"].heights,
            )
        except ImageNotStored as exc:
            raise StorageUnavailable() from exc

        data = ImageSerializer(image, context=context).data
        return Response(
            data, status=status.HTTP_201_CREATED, headers={"Location": str(data["url"])}
        )

    @extend_schema(
        summary="Create a link to the image that works for a limited time",
        request=ExpiringLinkSerializer,
        responses={
            201: ExpiringLinkSerializer,
            400: INVALID,
            403: OpenApiResponse(
                ErrorSerializer, description="Your tier has no expiring links."
            ),
            404: NOT_FOUND,
        },
    )
    @action(detail=True, methods=["post"], url_path="expiring-links")
    def expiring_links(self, request, pk=None):
        """Create a link to this image that works for expires_in seconds.

        Give a height of your tier for that thumbnail; leave it out for the
        original file.
        """
        image = self.get_object()
        serializer = self.get_serializer(data=request.data)
        if not serializer.context["grants"].expiring_links:
            raise PermissionDenied("Your tier does not include expiring links.")
        serializer.is_valid(raise_exception=True)

        expires_in = serializer.validated_data["expires_in"]
        height = serializer.validated_data.get("height")
        now = timezone.now().replace(microsecond=0)
        link = Link(image.pk.hex, height, now + timedelta(seconds=expires_in))
        logger.info(
            "Expiring link issued: image=%s height=%s expires_in=%s",
            image.pk,
            height,
            expires_in,
            extra={
                "event": "link_issued",
                "image_id": str(image.pk),
                "user_id": request.user.pk,
                "height": height,
                "expires_in": expires_in,
            },
        )

        body = {
            "url": link.absolute_url(request),
            "expires_at": link.expires_at,
            "expires_in": expires_in,
        }
        return Response(
            ExpiringLinkSerializer(body).data, status=status.HTTP_201_CREATED
        )


def link_allowed(link, grants):
    """Tell whether the owner's current tier still grants what `link` serves."""
    if link.height is not None and not grants.allows_height(link.height):
        return False
    if link.expires_at is not None:
        return grants.expiring_links
    return link.height is not None or grants.original_link


@csrf_exempt
@require_safe
def serve_file(request, token):
    """Send the file a signed link points at, if the link still holds.

    404 for a link that was tampered with, whose image is gone or whose
    rendition the owner's tier no longer grants; 410 for an expired link.
    """
    now = timezone.now()
    try:
        link = read_link(token, now=now)
    except LinkInvalid:
        raise Http404("No such file.") from None
    except LinkExpired:
        return HttpResponse(
            "This link has expired.\n", status=410, content_type="text/plain"
        )

    image = (
        Image.objects.filter(pk=link.image_id)
        .annotate(tier_id=F("owner__tier_id"))
        .first()
    )
    if image is None or not link_allowed(link, grants_for_tier(image.tier_id)):
        raise Http404("No such file.")

    if (
        is_object_storage(image.file.storage)
        and settings.IMAGEAPI_S3_DELIVERY == "redirect"
    ):
        return presigned_redirect(image, link, now)
    try:
        response = file_response(image, link.height)
    except RenditionMissing:
        raise Http404("No such file.") from None
    add_caching_headers(response, image, link, now)
    for header, value in FILE_HEADERS.items():
        response[header] = value
    return response


def file_response(image, height):
    """Return the response that sends a rendition, by nginx or by Django."""
    location = settings.IMAGEAPI_ACCEL_REDIRECT_LOCATION
    if is_object_storage(image.file.storage):
        return stream_object(image, height)
    if location:
        return accel_redirect(location, rendition_name(image, height), image)
    return FileResponse(
        open_rendition(image, height),
        content_type=image.content_type,
        filename=image.name,
    )


def accel_redirect(location, name, image):
    """Return an empty response that has nginx send the stored file `name`.

    nginx answers X-Accel-Redirect from its internal `location`, which
    aliases MEDIA_ROOT; the body and its length come from there.
    """
    response = HttpResponse(content_type=image.content_type)
    response["X-Accel-Redirect"] = location.rstrip("/") + "/" + quote(name)
    response["Content-Disposition"] = content_disposition_header(False, image.name)
    return response


def add_caching_headers(response, image, link, now):
    """Set validators and a max-age no longer than an expiring link has left."""
    rendition = link.height or "original"
    response["ETag"] = f'"{image.pk.hex}-{rendition}"'
    response["Last-Modified"] = http_date(image.created_at.timestamp())
    max_age = settings.IMAGEAPI_LINK_CACHE_SECONDS
    if link.expires_at is not None:
        seconds_left = int((link.expires_at - now).total_seconds())
        max_age = min(max_age, seconds_left)
    response["Cache-Control"] = f"public, max-age={max_age}"
