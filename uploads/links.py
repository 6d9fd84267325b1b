"""Signed links to image files: the only way a file leaves the storage.

A link carries the image id, the rendition and, for an expiring link, the
moment it expires, all signed with the project's secret key under a salt of
its own. Changing any character breaks the signature. The owner's current
tier is checked when the link is fetched, not when it is made, so tier
changes and deletions revoke links at once.
"""

from dataclasses import dataclass
from datetime import UTC, datetime

from django.core import signing
from django.urls import reverse

SALT = "uploads.links"


def link_signer():
    """Return the signer of links: Django's, under a salt of its own."""
    return signing.Signer(salt=SALT)


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
        """Return the token of this link; reuse `signer` when making many."""
        payload = {"i": self.image_id}
        if self.height is not None:
            payload["h"] = self.height
        if self.expires_at is not None:
            payload["x"] = int(self.expires_at.timestamp())
        return (signer or link_signer()).sign_object(payload)

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
        self.signer = link_signer()
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
        payload = link_signer().unsign_object(token)
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
