"""System checks: settings that would otherwise fail on the first request."""

from django.conf import settings
from django.core.checks import Error, register
from rest_framework.throttling import SimpleRateThrottle

RATE_SETTINGS = ("IMAGEAPI_UPLOAD_RATE", "IMAGEAPI_LINK_RATE")


@register()
def check_rates(app_configs, **kwargs):
    """Refuse rate limits that DRF cannot read, before any request needs one."""
    # parse_rate() reads no state; skipping __init__ skips the rate lookup.
    parser = SimpleRateThrottle.__new__(SimpleRateThrottle)
    errors = []
    for name in RATE_SETTINGS:
        rate = getattr(settings, name)
        if not rate:
            continue
        try:
            parser.parse_rate(rate)
        except (ValueError, KeyError, IndexError):
            errors.append(
                Error(
                    f"{name} is {rate!r}; it must be a count and a period such "
                    "as '60/min', '1000/hour' or '10/s', or empty for no limit.",
                    id="uploads.E001",
                )
            )
    return errors
