"""How imagekit decides whether a thumbnail must be made, made safe to race."""

import os

from imagekit.cachefiles.backends import CacheFileState, Simple

from . import locks


class LockedFileBackend(Simple):
    """imagekit's Simple backend, making each cache file once.

    Simple checks that a file is missing, then writes it: two requests that
    both find it missing both write it, and the storage keeps the second
    under another name, an orphan. Here the check and the write happen under
    a lock per file, so the requests that lose the race wait and then find
    the file made. No GENERATING state is kept in the cache, so a process
    killed half-way leaves nothing that stops the next request from making
    the file.
    """

    def generate(self, file, force=False):
        if not force and self.get_state(file) == CacheFileState.EXISTS:
            return

        with locks.exclusive(_lock_key(file)):
            storage = file.storage
            if force:
                storage.delete(file.name)
            if not storage.exists(file.name):
                file._generate()
                file.close()
            self.set_state(file, CacheFileState.EXISTS)

    def forget(self, file):
        """Drop what the cache remembers, so the next generate() looks again."""
        self.set_state(file, CacheFileState.DOES_NOT_EXIST)


def _lock_key(file):
    location = getattr(file.storage, "location", "")
    return os.path.join(location, file.name)
