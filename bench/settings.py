"""Settings for `make bench`: production-like, on a throwaway SQLite file.

The benchmark runner sets BENCH_DATABASE_PATH and MEDIA_ROOT to a temporary
folder of its own; nothing here is meant for serving real users.
"""

from imageapi.settings.base import *  # noqa: F403
from imageapi.settings.base import env

DEBUG = False
SECRET_KEY = env.str("SECRET_KEY", default="bench-only-key-never-use-elsewhere")
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]
# The reference view the HTTP figures are compared with lives here only.
ROOT_URLCONF = "bench.urls"

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": env.str("BENCH_DATABASE_PATH", default="bench.sqlite3"),
        "ATOMIC_REQUESTS": False,
        # Keep each worker's connection, as a production deployment does:
        # opening SQLite and running the PRAGMAs below cost more than the
        # query of a link fetch.
        "CONN_MAX_AGE": 600,
        "CONN_HEALTH_CHECKS": True,
        "OPTIONS": {
            # WAL lets the readers of one gunicorn worker go on while another
            # writes; IMMEDIATE avoids lock upgrades failing under load.
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        },
    }
}

LOG_LEVEL = env.str("LOG_LEVEL", default="WARNING")
LOGGING["loggers"] = {  # noqa: F405
    "tiers": {"level": LOG_LEVEL},
    "uploads": {"level": LOG_LEVEL},
}

# The figures measure the work of each request, not the per-user limits.
IMAGEAPI_UPLOAD_RATE = ""
IMAGEAPI_LINK_RATE = ""
