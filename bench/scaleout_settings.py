"""Settings for `make bench-scaleout`: production-like, every server on loopback.

bench/scaleout.sh starts PostgreSQL, Redis and an S3 API and passes their
addresses in the variables a deployment sets (DATABASE_URL, CACHE_URL, and
for the scale-out run IMAGEAPI_S3_BUCKET and CELERY_BROKER_URL); the runner
picks which of them each configuration sees.
"""

from imageapi.settings.base import *  # noqa: F403
from imageapi.settings.base import DATABASES, LOGGING, env

DEBUG = False
SECRET_KEY = env.str("SECRET_KEY", default="bench-only-key-never-use-elsewhere")
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]
ROOT_URLCONF = "bench.urls"
# Each worker keeps its connection, as production does (CONN_MAX_AGE).
DATABASES["default"]["CONN_MAX_AGE"] = 600
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

LOG_LEVEL = env.str("LOG_LEVEL", default="WARNING")
LOGGING["loggers"] = {
    "tiers": {"level": LOG_LEVEL},
    "uploads": {"level": LOG_LEVEL},
}
