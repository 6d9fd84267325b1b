"""How a signed link hands out a file kept in an S3 bucket.

The link view has checked the signature and the owner's tier before either
of these runs. IMAGEAPI_S3_DELIVERY chooses: "stream" sends the object's
bytes through this server; "redirect" answers 302 to a presigned URL of the
object store. X-Accel-Redirect (IMAGEAPI_ACCEL_REDIRECT_LOCATION) is for
files on a disk nginx can read, so it plays no part here.
"""

from django.conf import settings
from django.http import FileResponse, HttpResponseRedirect
from django.utils.http import content_disposition_header
from imagekit.cachefiles import ImageCacheFile
from imagekit.cachefiles.backends import CacheFileState

from .imagegenerators import thumbnail_name, thumbnail_spec
from .services import ensure_thumbnail

# Bytes read from the object store per chunk sent to the client.
STREAM_BLOCK_SIZE = 64 * 1024


def stream_object(image, height):
    """Return a response that streams a rendition out of the bucket.

    A thumbnail that was not made yet (its worker has not got to it, or its
    height is new to the tier) is made now, as without the bucket.
    """
    storage = image.file.storage
    if height is None:
        body, length = storage.open_object(image.file.name)
    else:
        try:
            body, length = storage.open_object(thumbnail_name(image.file.name, height))
        except FileNotFoundError:
            body, length = storage.open_object(ensure_thumbnail(image, height))

    response = FileResponse(body, content_type=image.content_type, filename=image.name)
    response.block_size = STREAM_BLOCK_SIZE
    # The body is a network stream of known length that cannot seek, so
    # FileResponse cannot work the length out itself.
    response["Content-Length"] = str(length)
    return response


def presigned_redirect(image, link, now):
    """Return a 302 to a presigned URL of the rendition, for a short time.

    The URL and any copy fetched through it are each good for
    presigned_seconds(), so together they never outlast the link.
    """
    name = image.file.name
    if link.height is not None:
        name = existing_thumbnail(image, link.height)
    seconds = presigned_seconds(link, now)
    cache_control = f"public, max-age={seconds}"
    url = image.file.storage.presigned_url(
        name,
        seconds,
        {
            "ResponseContentType": image.content_type,
            "ResponseContentDisposition": content_disposition_header(False, image.name),
            "ResponseCacheControl": cache_control,
        },
    )
    response = HttpResponseRedirect(url)
    response["Cache-Control"] = cache_control
    return response


def presigned_seconds(link, now):
    """Return how long a presigned URL for `link` and its copies may live.

    Half of what the link allows, which is the permanent links' cache time
    (IMAGEAPI_LINK_CACHE_SECONDS) or, if shorter, what an expiring link has
    left: a copy fetched at the last moment of the URL is still gone by
    then. At least one second, the shortest a presigned URL can last.
    """
    allowed = settings.IMAGEAPI_LINK_CACHE_SECONDS
    if link.expires_at is not None:
        allowed = min(allowed, int((link.expires_at - now).total_seconds()))
    return max(1, allowed // 2)


def existing_thumbnail(image, height):
    """Return the name of the thumbnail, made first if it does not exist.

    The shared cache remembers the thumbnails workers and uploads made, so
    a redirect costs no request to the object store; only a thumbnail the
    cache does not know is looked for, and made if missing.
    """
    cachefile = ImageCacheFile(thumbnail_spec(height)(source=image.file))
    backend = cachefile.cachefile_backend
    if backend.get_state(cachefile, check_if_unknown=False) == CacheFileState.EXISTS:
        return cachefile.name
    return ensure_thumbnail(image, height)
