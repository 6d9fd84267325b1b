"""Settings for production: gunicorn behind nginx, PostgreSQL and Redis.

Every value comes from the environment; deploy/README-production.md lists
each variable with its default. Defaults are the safe choice: HTTPS only,
secure cookies, JSON logs on stdout, media sent by nginx.
"""

from django.core.exceptions import ImproperlyConfigured

from imageapi.logs import logging_config

from .base import *  # noqa: F403
from .base import LOG_LEVEL, env

DEBUG = env.bool("DEBUG", default=False)


def secret_key():
    """Return SECRET_KEY from the environment; refuse to go on without it."""
    key = env.str("SECRET_KEY", default="")
    if key:
        return key
    if DEBUG:
        return "debug-only-key-links-signed-with-it-are-worthless"
    raise ImproperlyConfigured(
        "SECRET_KEY is not set. Set it to a long random string kept out of "
        "the repository; every signed link depends on it."
    )


SECRET_KEY = secret_key()

# --- Database and cache -----------------------------------------------------

# No defaults: a production server on SQLite or on a per-process cache would
# run, but lose data or show stale tiers, so both must be named.
DATABASES = {"default": env.db("DATABASE_URL")}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
CACHES = {"default": env.cache("CACHE_URL")}
# imagekit remembers in the cache which thumbnails exist; let those entries
# expire so that keys of deleted images do not pile up.
IMAGEKIT_CACHE_TIMEOUT = env.int("IMAGEKIT_CACHE_TIMEOUT", default=24 * 3600)

# --- HTTPS and cookies ------------------------------------------------------

# nginx sets X-Forwarded-Proto on every request it passes on; the app must
# be reachable only through it.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
USE_X_FORWARDED_HOST = env.bool("USE_X_FORWARDED_HOST", default=False)
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
# Health checks come from inside the network, over plain HTTP.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool(
    "SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False
)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=True)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=True)

# --- Media ------------------------------------------------------------------

IMAGEAPI_ACCEL_REDIRECT_LOCATION = env.str(
    "IMAGEAPI_ACCEL_REDIRECT_LOCATION", default="/protected-media/"
)

# --- Logging ----------------------------------------------------------------

MIDDLEWARE = ["imageapi.middleware.RequestLogMiddleware", *MIDDLEWARE]  # noqa: F405
LOG_FORMAT = env.str("LOG_FORMAT", default="json")
LOGGING = logging_config(level=LOG_LEVEL, style=LOG_FORMAT, stream="ext://sys.stdout")
