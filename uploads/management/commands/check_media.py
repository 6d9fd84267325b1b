"""Find image files without a row and image rows without a file."""

import posixpath
import time
from datetime import timedelta

from django.core.files.storage import default_storage
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from uploads.models import Image
from uploads.services import delete_folder

# Every image folder lies under this one; see uploads.models.original_path.
IMAGES_ROOT = "images"


class Command(BaseCommand):
    help = (
        "Report image files that no row accounts for and image rows whose "
        "original file is gone; remove both with --fix. Exits with status 1 "
        "while any remain."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--fix",
            action="store_true",
            help="Delete the stray files, and the rows whose original is gone.",
        )
        parser.add_argument(
            "--grace",
            type=int,
            default=600,
            metavar="SECONDS",
            help=(
                "Leave alone files younger than this (default 600): an upload "
                "writes its file a moment before its row."
            ),
        )
        parser.add_argument(
            "--progress-every",
            type=int,
            default=1000,
            metavar="N",
            help="Report progress after every N rows and every N files.",
        )

    def handle(self, *args, fix=False, grace=600, progress_every=1000, **options):
        self.progress_every = max(1, progress_every)
        started = time.monotonic()
        storage = default_storage

        folders, missing = self._check_rows(storage)
        stray = self._find_stray_files(storage, folders, grace)
        self._report(missing, stray)

        if missing and fix and not storage.exists(IMAGES_ROOT):
            raise CommandError(
                f"No {IMAGES_ROOT!r} folder in the storage while "
                f"{len(folders) + len(missing)} rows exist: the storage looks "
                "unmounted. Nothing was removed."
            )
        if fix:
            self._remove(storage, missing, stray)
        elif missing or stray:
            raise CommandError(
                f"{len(missing)} rows without a file and {len(stray)} files "
                "without a row; run with --fix to remove them.",
                returncode=1,
            )
        seconds = time.monotonic() - started
        self.stdout.write(f"Done in {seconds:.1f} s.")

    def _check_rows(self, storage):
        """Return ({folder: original name} of sound rows, [(id, name)] of broken)."""
        total = Image.objects.count()
        folders, missing = {}, []
        rows = Image.objects.order_by().values_list("pk", "file").iterator(2000)
        for done, (pk, name) in enumerate(rows, start=1):
            if name and storage.exists(name):
                folders[posixpath.dirname(name)] = name
            else:
                missing.append((pk, name))
            if done % self.progress_every == 0:
                self.stdout.write(f"Checked {done} of {total} rows.")
        self.stdout.write(f"Checked {total} rows.")
        return folders, missing

    def _find_stray_files(self, storage, folders, grace):
        """Return the names of files older than `grace` that no row accounts for."""
        cutoff = timezone.now() - timedelta(seconds=grace)
        stray = []
        scanned = 0
        for name in _walk(storage, IMAGES_ROOT):
            scanned += 1
            if scanned % self.progress_every == 0:
                self.stdout.write(f"Scanned {scanned} files.")
            original = folders.get(posixpath.dirname(name))
            if original and _belongs_to(name, original):
                continue
            try:
                if storage.get_modified_time(name) > cutoff:
                    continue
            except FileNotFoundError:
                # Removed while the scan ran, by a deletion or a finished write.
                continue
            stray.append(name)
        self.stdout.write(f"Scanned {scanned} files.")
        return stray

    def _report(self, missing, stray):
        self.stdout.write(f"Rows without a file: {len(missing)}")
        for pk, name in missing:
            self.stdout.write(f"  {pk} {name}")
        self.stdout.write(f"Files without a row: {len(stray)}")
        for name in stray:
            self.stdout.write(f"  {name}")

    def _remove(self, storage, missing, stray):
        for name in stray:
            storage.delete(name)
            self._remove_folder_if_empty(storage, posixpath.dirname(name))
        # Deleting the rows also clears what is left of their folders.
        deleted, _ = Image.objects.filter(pk__in=[pk for pk, _ in missing]).delete()
        self.stdout.write(
            self.style.SUCCESS(f"Removed {len(stray)} files and {deleted} rows.")
        )

    def _remove_folder_if_empty(self, storage, folder):
        try:
            directories, files = storage.listdir(folder)
        except FileNotFoundError:
            return
        if not directories and not files:
            delete_folder(storage, folder)


def _walk(storage, folder):
    """Yield the name of every file under `folder`, depth first."""
    try:
        directories, files = storage.listdir(folder)
    except FileNotFoundError:
        return
    for filename in sorted(files):
        yield posixpath.join(folder, filename)
    for directory in sorted(directories):
        yield from _walk(storage, posixpath.join(folder, directory))


def _belongs_to(name, original):
    """Tell whether `name` is the original or one of its thumbnails.

    Thumbnails sit beside the original and are named for their height with
    the original's extension; see uploads.imagegenerators.thumbnail_name.
    """
    if name == original:
        return True
    stem, extension = posixpath.splitext(posixpath.basename(name))
    return (
        stem.isascii()
        and stem.isdigit()
        and extension == posixpath.splitext(original)[1]
    )
