"""Image files in an S3 bucket, chosen by naming one (IMAGEAPI_S3_BUCKET)."""

import mimetypes
import posixpath

from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from storages.backends.s3 import S3Storage
from storages.utils import clean_name, get_available_overwrite_name

# What a storage call raises when the disk or the object store fails.
STORAGE_ERRORS = (OSError, BotoCoreError, ClientError)

# An object store that does not answer fails a request in seconds, not
# minutes: a health check or an upload is not held behind it.
CLIENT_LIMITS = Config(
    connect_timeout=3,
    read_timeout=30,
    retries={"mode": "standard", "max_attempts": 3},
)


def is_object_storage(storage):
    """Tell whether `storage` keeps its files in an S3 bucket."""
    return isinstance(storage, S3Storage)


def is_thumbnail_name(name):
    """Tell whether a storage name is a thumbnail's, `<height>.<extension>`."""
    stem = posixpath.splitext(posixpath.basename(name))[0]
    return stem.isdigit()


class ImageObjectStorage(S3Storage):
    """A private S3 bucket of originals and their thumbnails.

    An original never replaces an object: on a clash of two random names it
    gets another. A thumbnail's name is its identity, so a worker and a
    link fetch that make it at the same moment write the same bytes under
    the same key, the later write replacing the earlier: no copy under a
    second name is left behind. S3 stores an object whole or not at all, so
    no reader ever sees half a file.

    `public_endpoint_url` is where clients reach the object store when that
    differs from `endpoint_url`, the address this server uses; presigned
    URLs are signed for it.
    """

    def __init__(self, **options):
        super().__init__(**options)
        self.client_config = self.client_config.merge(CLIENT_LIMITS)

    def get_default_settings(self):
        return {**super().get_default_settings(), "public_endpoint_url": None}

    def get_object_parameters(self, name):
        # The type follows the extension, which the storage chose from the
        # format the upload check found, never what the client sent.
        params = super().get_object_parameters(name)
        content_type, _ = mimetypes.guess_type(name)
        if content_type:
            params["ContentType"] = content_type
        return params

    def get_available_name(self, name, max_length=None):
        if is_thumbnail_name(name):
            return get_available_overwrite_name(clean_name(name), max_length)
        return super().get_available_name(name, max_length)

    def object_key(self, name):
        """Return the bucket key of the file stored as `name`."""
        return self._normalize_name(clean_name(name))

    def open_object(self, name):
        """Return (body, length in bytes) of a stored file.

        The body is a stream to read to the end and close. Raises
        FileNotFoundError when the bucket has no such object.
        """
        client = self.connection.meta.client
        try:
            answer = client.get_object(
                Bucket=self.bucket_name, Key=self.object_key(name)
            )
        except ClientError as exc:
            if exc.response["ResponseMetadata"]["HTTPStatusCode"] == 404:
                raise FileNotFoundError(f"No object {name} in the bucket.") from exc
            raise
        return answer["Body"], answer["ContentLength"]

    def presigned_url(self, name, seconds, response_headers):
        """Return a URL that GETs a stored file for `seconds` from now.

        `response_headers` are S3's Response* parameters (ResponseContentType,
        ResponseCacheControl, ...): the object store answers with them.
        """
        params = {
            "Bucket": self.bucket_name,
            "Key": self.object_key(name),
            **response_headers,
        }
        return self._presigning_client().generate_presigned_url(
            "get_object", Params=params, ExpiresIn=seconds
        )

    def _presigning_client(self):
        if not self.public_endpoint_url:
            return self.connection.meta.client
        # A client per thread, like the storage's own connection; signing
        # needs no network, only the public address in the signed host.
        client = getattr(self._connections, "presigning", None)
        if client is None:
            client = self._create_session().client(
                "s3",
                region_name=self.region_name,
                endpoint_url=self.public_endpoint_url,
                config=self.client_config,
            )
            self._connections.presigning = client
        return client
