"""Signed links to image files: the only way a file leaves the storage.

A link carries the image id, the rendition and, for an expiring link, the
moment it expires, all signed with the project's secret key under a salt of
its own. Changing any character breaks the signature. The owner's current
tier is checked when the link is fetched, not when it is made, so tier
changes and deletions revoke links at once.
"""

import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache

from django.core import signing
from django.urls import reverse
from django.utils.encoding import force_bytes

SALT = "uploads.links"


class LinkSigner(signing.Signer):
    """Django's Signer for links, with its HMAC key derived once, not per call.

    A page of images signs a hundred links or more; deriving the key and
    setting up the HMAC each time cost more than the rest of the signing.
    Tokens are exactly those of signing.Signer(salt=SALT, algorithm="sha256").
    """

    def __init__(self):
        super().__init__(salt=SALT, algorithm="sha256")

    def signature(self, value, key=None):
        mac = _keyed_hmac(self.salt + "signer", force_bytes(key or self.key)).copy()
        mac.update(force_bytes(value))
        return signing.b64_encode(mac.digest()).decode()

    def sign_json(self, payload):
        """Sign JSON `payload` bytes as sign_object() signs the object they encode.

        Skips the JSON encoder, the slowest step of sign_object() for the
        few small payloads of links.
        """
        value = signing.b64_encode(payload).decode()
        return f"{value}{self.sep}{self.signature(value)}"


@lru_cache(maxsize=8)
def _keyed_hmac(key_salt, secret):
    """Return an HMAC-SHA256 keyed as django.utils.crypto.salted_hmac keys it."""
    key = hashlib.sha256(force_bytes(key_salt) + secret).digest()
    return hmac.new(key, digestmod=hashlib.sha256)


class LinkInvalid(Exception):
    """The link was not made by this server, or was changed since."""


class LinkExpired(Exception):
    """The link was genuine but its time is up."""


@dataclass(frozen=True)
class Link:
    """What a verified link points at.

    `height` is None for the original; `expires_at` is None for a
    permanent link.
    """

    image_id: str
    height: int | None = None
    expires_at: datetime | None = None

    def sign(self, signer=None):
        return (signer or LinkSigner()).sign_json(self._payload())

    def _payload(self):
        """Return the compact JSON that the token carries, as bytes.

        Written out rather than encoded: the id is hex and the rest are
        integers, so nothing needs escaping, and this is the exact text the
        JSON encoder gives for {"i": ..., "h": ..., "x": ...}.
        """
        payload = f'{{"i":"{self.image_id}"'
        if self.height is not None:
            payload += f',"h":{int(self.height)}'
        if self.expires_at is not None:
            payload += f',"x":{int(self.expires_at.timestamp())}'
        return (payload + "}").encode()

    def path(self):
        return reverse("file", args=[self.sign()])

    def absolute_url(self, request):
        return request.build_absolute_uri(self.path())


class LinkUrls:
    """Absolute URLs of links for one request, the URL prefix worked out once.

    url(link) equals link.absolute_url(request) without a reverse() and a
    build_absolute_uri() per link: tokens hold only characters that URLs
    carry as they are, so the prefix and the token simply join.
    """

    def __init__(self, request):
        self.signer = LinkSigner()
        marker = "token"
        path = reverse("file", args=[marker])
        self.prefix = request.build_absolute_uri(path)[: -len(marker)]

    def url(self, link):
        return self.prefix + link.sign(self.signer)


def read_link(token, *, now):
    """Return the Link a token stands for.

    Raises LinkInvalid for a token this server did not sign, and
    LinkExpired for a genuine expiring link past its time.
    """
    try:
        payload = LinkSigner().unsign_object(token)
        link = Link(
            image_id=str(payload["i"]),
            height=_optional_int(payload.get("h")),
            expires_at=_optional_time(payload.get("x")),
        )
    except (signing.BadSignature, KeyError, TypeError, ValueError) as exc:
        raise LinkInvalid(token) from exc

    if link.expires_at is not None and now >= link.expires_at:
        raise LinkExpired(token)
    return link


def _optional_int(value):
    if value is None:
        return None
    if type(value) is not int:
        raise TypeError(value)
    return value


def _optional_time(value):
    if value is None:
        return None
    return datetime.fromtimestamp(_optional_int(value), tz=UTC)
