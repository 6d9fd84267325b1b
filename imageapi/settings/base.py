"""Settings shared by every environment, read from the environment.

Every value has a default that runs the API out of the box on SQLite with
files in a local folder. Environment-specific modules (local, test,
production) import this one and override what differs.
"""

import tempfile
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

from imageapi.logs import logging_config

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()

# --- Core -------------------------------------------------------------------

DEBUG = env.bool("DEBUG", default=False)
# Each environment module sets SECRET_KEY; base deliberately has none.
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

ROOT_URLCONF = "imageapi.urls"
WSGI_APPLICATION = "imageapi.wsgi.application"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "imagekit",
    "tiers",
    "uploads",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.http.ConditionalGetMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database and cache -----------------------------------------------------

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False

CACHES = {
    "default": env.cache("CACHE_URL", default="locmemcache://"),
}

# --- Users ------------------------------------------------------------------

AUTH_USER_MODEL = "tiers.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": f"django.contrib.auth.password_validation.{name}"}
    for name in (
        "UserAttributeSimilarityValidator",
        "MinimumLengthValidator",
        "CommonPasswordValidator",
        "NumericPasswordValidator",
    )
]
LOGIN_URL = "rest_framework:login"
LOGIN_REDIRECT_URL = "/api/"

# --- Internationalisation ---------------------------------------------------

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Static files and media -------------------------------------------------

STATIC_URL = "static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")
# Media is never served from a public URL: every file goes out through a
# signed link. MEDIA_URL only has to be something Django accepts.
MEDIA_URL = "/media-not-public/"

STORAGES = {
    # Files appear under their names only once whole; see uploads/storage.py.
    "default": {"BACKEND": "uploads.storage.AtomicFileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# Uploads above this size are spooled to a temporary file, not kept in RAM.
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

# --- Object storage (off unless a bucket is named) --------------------------

# Naming a bucket moves every image file from MEDIA_ROOT into that private
# S3 bucket; the variables object_storage() reads matter only then.
IMAGEAPI_S3_BUCKET = env.str("IMAGEAPI_S3_BUCKET", default="") or env.str(
    "AWS_STORAGE_BUCKET_NAME", default=""
)
# How a signed link hands out a file from the bucket once it has checked the
# signature and the tier: "stream" sends the bytes through this server,
# "redirect" answers 302 to a presigned URL of the object store that lapses
# before the link does.
IMAGEAPI_S3_DELIVERY = env.str("IMAGEAPI_S3_DELIVERY", default="stream")
if IMAGEAPI_S3_DELIVERY not in ("stream", "redirect"):
    raise ImproperlyConfigured(
        f"IMAGEAPI_S3_DELIVERY must be stream or redirect, not "
        f"{IMAGEAPI_S3_DELIVERY!r}."
    )


def object_storage(bucket):
    """Return the STORAGES entry for image files kept in a private S3 bucket.

    Credentials left empty fall back on boto3's own lookup, such as the
    machine's instance role.
    """
    endpoint_url = env.str("AWS_S3_ENDPOINT_URL", default="")
    return {
        "BACKEND": "uploads.objectstore.ImageObjectStorage",
        "OPTIONS": {
            "bucket_name": bucket,
            "endpoint_url": endpoint_url or None,
            "public_endpoint_url": (
                env.str("IMAGEAPI_S3_PUBLIC_ENDPOINT_URL", default="") or None
            ),
            "region_name": env.str("AWS_S3_REGION_NAME", default="") or None,
            "access_key": env.str("AWS_ACCESS_KEY_ID", default="") or None,
            "secret_key": env.str("AWS_SECRET_ACCESS_KEY", default="") or None,
            # Objects carry no ACL of their own, so they are exactly as
            # private as the bucket: every read goes through a signed link.
            "default_acl": None,
            "querystring_auth": True,
            # An original never replaces another object; a thumbnail may
            # replace itself (see ImageObjectStorage).
            "file_overwrite": False,
            "signature_version": "s3v4",
            # S3-compatible servers reached by a plain host name, such as
            # compose's objectstore, only answer path-style requests.
            "addressing_style": "path" if endpoint_url else None,
        },
    }


if IMAGEAPI_S3_BUCKET:
    STORAGES["default"] = object_storage(IMAGEAPI_S3_BUCKET)

# --- REST framework ---------------------------------------------------------

REST_FRAMEWORK = {
    # Token first: an anonymous request gets 401 with a header that does not
    # make browsers pop up a password dialog.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.BasicAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "uploads.schema.ImageApiAutoSchema",
    # ?format= filters images by format; renderers are chosen by Accept.
    "URL_FORMAT_OVERRIDE": None,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Image API",
    "DESCRIPTION": (
        "Upload PNG and JPEG images, list them, and share signed links to "
        "thumbnails, originals and expiring renditions."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Like every /api/ endpoint, the schema is for signed-in users.
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "COMPONENT_SPLIT_REQUEST": True,
}

# --- Images -----------------------------------------------------------------

IMAGEAPI_MAX_UPLOAD_BYTES = env.int("IMAGEAPI_MAX_UPLOAD_BYTES", default=20 * 1024**2)
IMAGEAPI_MAX_IMAGE_PIXELS = env.int("IMAGEAPI_MAX_IMAGE_PIXELS", default=50_000_000)
IMAGEAPI_EXPIRING_LINK_MIN_SECONDS = env.int(
    "IMAGEAPI_EXPIRING_LINK_MIN_SECONDS", default=300
)
IMAGEAPI_EXPIRING_LINK_MAX_SECONDS = env.int(
    "IMAGEAPI_EXPIRING_LINK_MAX_SECONDS", default=30000
)
# How long browsers and proxies may keep a file fetched by a permanent link.
# Short, because a tier change or a deletion revokes the link.
IMAGEAPI_LINK_CACHE_SECONDS = env.int("IMAGEAPI_LINK_CACHE_SECONDS", default=600)
# How long a tier's grants are remembered before the database is asked again;
# edits made through the ORM clear them at once.
IMAGEAPI_TIER_CACHE_SECONDS = env.int("IMAGEAPI_TIER_CACHE_SECONDS", default=60)
IMAGEAPI_JPEG_QUALITY = env.int("IMAGEAPI_JPEG_QUALITY", default=85)
# zlib level of PNG thumbnails. 3 encodes about three times faster than the
# usual 6 for files some 10% bigger; 9 is the smallest and slowest.
IMAGEAPI_PNG_COMPRESS_LEVEL = env.int("IMAGEAPI_PNG_COMPRESS_LEVEL", default=3)

# nginx's internal location that aliases MEDIA_ROOT, e.g. "/protected-media/".
# When set, a signed link is checked here and answered with X-Accel-Redirect
# so that nginx sends the bytes; when empty, Django streams the file itself.
IMAGEAPI_ACCEL_REDIRECT_LOCATION = env.str(
    "IMAGEAPI_ACCEL_REDIRECT_LOCATION", default=""
)

IMAGEKIT_DEFAULT_CACHEFILE_STRATEGY = "imagekit.cachefiles.strategies.JustInTime"
# Makes each thumbnail once, however many requests ask for it at once.
IMAGEKIT_DEFAULT_CACHEFILE_BACKEND = "uploads.cachefiles.LockedFileBackend"
IMAGEKIT_CACHEFILE_DIR = "images"
# Lock files of thumbnail generation; a folder on local disk of this host.
IMAGEAPI_LOCK_DIR = env.str(
    "IMAGEAPI_LOCK_DIR", default=str(Path(tempfile.gettempdir()) / "imageapi-locks")
)

# --- Rate limits ------------------------------------------------------------

# Per user, as DRF rates ("60/min", "1000/hour"); empty turns a limit off.
# Counts live in the default cache: give every worker the same cache
# (CACHE_URL) or each worker counts on its own.
IMAGEAPI_UPLOAD_RATE = env.str("IMAGEAPI_UPLOAD_RATE", default="60/min")
IMAGEAPI_LINK_RATE = env.str("IMAGEAPI_LINK_RATE", default="120/min")

# --- Background thumbnails (off unless a broker is named) -------------------

# Naming a broker, e.g. redis://broker:6379/0, hands thumbnails to Celery
# workers (`celery --app=imageapi worker`); left empty, an upload makes its
# thumbnails itself, after its row is committed.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="")


def broker_transport_options(visibility_timeout):
    """Return the Redis transport's options for a given visibility timeout.

    A task a worker took stays invisible to the others this many seconds
    unless acknowledged; past that, a worker that vanished without a word
    (SIGKILL, a lost machine) has its task handed to another one.
    """
    return {
        "visibility_timeout": visibility_timeout,
        # Look for such tasks often enough that the timeout, not the sweep,
        # decides how long they wait.
        "unacked_restore_interval": max(1, min(10, visibility_timeout // 10)),
        "unacked_restore_throttle": 1,
        # A broker that stopped answering fails an upload's publish quickly
        # instead of holding the request.
        "socket_connect_timeout": 3,
        "socket_timeout": 30,
    }


# Longer than the time limit plus the longest retry countdown, or a slow
# task would be handed out twice (harmless, since tasks are idempotent).
CELERY_BROKER_TRANSPORT_OPTIONS = broker_transport_options(
    env.int("CELERY_VISIBILITY_TIMEOUT", default=600)
)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Acknowledged once done, and given back when the process running it dies:
# a worker killed mid-task loses nothing.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_TIME_LIMIT = 300
# Each process takes one task at a time, so a long one holds up nothing else.
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_WORKER_CONCURRENCY = env.int("CELERY_WORKER_CONCURRENCY", default=0) or None
CELERY_WORKER_MAX_TASKS_PER_CHILD = 1000
# Log lines go through LOGGING below, as in the web processes.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

# --- Logging ----------------------------------------------------------------

LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
# "plain" text or "json", one object per line; production defaults to json.
LOG_FORMAT = env.str("LOG_FORMAT", default="plain")
LOGGING = logging_config(level=LOG_LEVEL, style=LOG_FORMAT, stream="ext://sys.stderr")

# --- Demo accounts ----------------------------------------------------------

# Password of the accounts `manage.py seed_demo` creates for local use.
DEMO_PASSWORD = env.str("DEMO_PASSWORD", default="demo-password")
