"""Settings of the worker tests, for the test process and its workers alike.

The test settings, with the cache and the media folder of the environment,
so that the test process and the Celery workers it starts share PostgreSQL,
Redis and one folder of files, as web and worker processes do when deployed.
"""

from imageapi.settings.base import env
from imageapi.settings.test import *  # noqa: F403

CACHES = {"default": env.cache("CACHE_URL")}
MEDIA_ROOT = env.path("MEDIA_ROOT")
# Lets a test hold a worker at a chosen point, to kill it there.
CELERY_IMPORTS = ["tests.scaleout.worker_hooks"]
