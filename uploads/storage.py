"""The file storage behind every image: files appear whole or not at all."""

import os
import secrets

from django.core.files.storage import FileSystemStorage
from django.utils._os import safe_makedirs

# Names of files still being written end with this; check_media knows it.
PARTIAL_SUFFIX = ".part"


def is_partial_name(name):
    """Tell whether `name` is a file that a write left unfinished."""
    return os.path.basename(name).startswith(".") and name.endswith(PARTIAL_SUFFIX)


class AtomicFileSystemStorage(FileSystemStorage):
    """A FileSystemStorage that never shows a file before its last byte.

    Each file is written under a hidden temporary name in its destination
    folder, flushed to disk, then linked to its real name. A write that fails
    halfway removes its temporary file; a process killed during one leaves
    only the hidden temporary file, never a truncated file under the real
    name. An existing file is not overwritten: a clashing name gets an
    alternative, as Django's own storage does.
    """

    def _save(self, name, content):
        full_path = self.path(name)
        self._make_folder(os.path.dirname(full_path))

        partial_path = self._write_partial(full_path, content)
        try:
            full_path = self._move_into_place(partial_path, name)
        finally:
            _remove_if_present(partial_path)

        if self.file_permissions_mode is not None:
            os.chmod(full_path, self.file_permissions_mode)
        self._ensure_location_group_id(full_path)
        _sync_folder(os.path.dirname(full_path))
        return os.path.relpath(full_path, self.location).replace("\\", "/")

    def _make_folder(self, folder):
        try:
            if self.directory_permissions_mode is not None:
                safe_makedirs(folder, self.directory_permissions_mode, exist_ok=True)
            else:
                os.makedirs(folder, exist_ok=True)
        except FileExistsError:
            raise FileExistsError(f"{folder} exists and is not a directory.") from None

    def _write_partial(self, full_path, content):
        """Write `content` beside `full_path` under a hidden name; return it."""
        folder, filename = os.path.split(full_path)
        token = secrets.token_hex(8)
        partial_path = os.path.join(folder, f".{filename}.{token}{PARTIAL_SUFFIX}")
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
        fd = os.open(partial_path, flags, 0o666)
        try:
            with os.fdopen(fd, "wb") as partial:
                for chunk in content.chunks():
                    partial.write(chunk if isinstance(chunk, bytes) else chunk.encode())
                partial.flush()
                # The row that names this file is committed right after; the
                # bytes must be on disk first.
                os.fsync(partial.fileno())
        except BaseException:
            _remove_if_present(partial_path)
            raise
        return partial_path

    def _move_into_place(self, partial_path, name):
        """Give the partial file its real name; return the full path used."""
        while True:
            full_path = self.path(name)
            if self._allow_overwrite:
                os.replace(partial_path, full_path)
                return full_path
            try:
                # Unlike a rename, a link fails rather than replace a file
                # another process put there in the meantime.
                os.link(partial_path, full_path)
            except FileExistsError:
                name = self.get_available_name(name)
            else:
                return full_path


def _remove_if_present(path):
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


def _sync_folder(folder):
    """Flush a folder's entries, so a new name survives a power cut."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        # Some filesystems refuse fsync on a directory; the data itself is
        # already on disk.
        pass
    finally:
        os.close(fd)
