"""Settings for running the API on one machine: `make run`."""

from .base import *  # noqa: F403
from .base import env

DEBUG = env.bool("DEBUG", default=True)
SECRET_KEY = env.str(
    "SECRET_KEY", default="local-only-key-never-use-in-production-3f9a1c7e5b"
)
