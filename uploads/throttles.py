"""Per-user limits on the requests that cost the most: uploads and links."""

from django.conf import settings
from rest_framework.throttling import UserRateThrottle


class SettingRateThrottle(UserRateThrottle):
    """A per-user throttle whose rate is the Django setting `rate_setting`.

    The setting holds a DRF rate such as ``60/min``; an empty one turns the
    limit off. It is read per request, so tests and deployments can change
    it without a restart of the code that imported this class.
    """

    rate_setting = None

    def get_rate(self):
        return getattr(settings, self.rate_setting) or None

    def wait(self):
        """Return the seconds until this user may make the request again.

        Unlike DRF's estimate this is never None, so every refusal carries a
        Retry-After header, even after the rate was lowered below the number
        of requests already in the window.
        """
        oldest_blocking = self.history[self.num_requests - 1]
        return max(1.0, self.duration - (self.now - oldest_blocking))


class UploadRateThrottle(SettingRateThrottle):
    scope = "uploads"
    rate_setting = "IMAGEAPI_UPLOAD_RATE"


class LinkRateThrottle(SettingRateThrottle):
    scope = "links"
    rate_setting = "IMAGEAPI_LINK_RATE"
