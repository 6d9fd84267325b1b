"""Locks that stop two requests from making the same file at the same time."""

import fcntl
import hashlib
import os
from contextlib import contextmanager

from django.conf import settings

# Keys share this many lock files, picked by hash: the lock folder never
# grows, and unrelated keys seldom wait on each other.
STRIPES = 1024


@contextmanager
def exclusive(key):
    """Hold an exclusive lock on `key` across threads and processes of a host.

    The lock lives in a file under IMAGEAPI_LOCK_DIR; the kernel releases it
    when its holder exits or is killed, so a dead worker never leaves a key
    locked. Not re-entrant: hold one key at a time.
    """
    folder = settings.IMAGEAPI_LOCK_DIR
    os.makedirs(folder, exist_ok=True)
    digest = hashlib.sha256(key.encode()).digest()
    stripe = int.from_bytes(digest[:4], "big") % STRIPES
    path = os.path.join(folder, f"{stripe:04d}.lock")
    fd = os.open(path, os.O_RDONLY | os.O_CREAT, 0o666)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        # Closing the descriptor drops the lock.
        os.close(fd)
