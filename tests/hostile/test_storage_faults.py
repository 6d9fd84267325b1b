"""Faults: a failed write, a failed insert or a killed worker loses nothing."""

import errno
import os
import signal

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import InMemoryUploadedFile
from django.core.management import call_command
from django.db import DatabaseError, IntegrityError

from uploads import storage as storage_module
from uploads.models import Image
from uploads.services import open_rendition

from .files import body_of, decode, encode, fetch, media_files

UNAVAILABLE = {
    "detail": "The image could not be stored and nothing was kept; try again."
}


def test_upload_whose_storage_write_fails_halfway_leaves_no_row_and_no_file(
    basic_user, post_image, media_root, monkeypatch
):
    def half_then_disk_full(self, chunk_size=None):
        self.file.seek(0)
        yield self.file.read(self.size // 2)
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(InMemoryUploadedFile, "chunks", half_then_disk_full)

    response = post_image(basic_user, "photo.png", encode("PNG", size=(300, 200)))

    assert (response.status_code, response.json()) == (503, UNAVAILABLE)
    assert Image.objects.count() == 0
    assert media_files(media_root) == []


def test_upload_spooled_to_a_temporary_file_is_stored_whole(
    premium_user, post_image, client_for, media_root, settings
):
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 1024
    content = encode("PNG", size=(200, 150), noise=True)

    response = post_image(premium_user, "big.png", content)

    assert response.status_code == 201, response.content
    original = fetch(client_for(premium_user), response.json()["original"])
    assert body_of(original) == content
    folder = Image.objects.get().folder
    assert media_files(media_root) == [
        f"{folder}/200.png",
        f"{folder}/400.png",
        f"{folder}/original.png",
    ]


def test_upload_whose_disk_fails_before_the_flush_leaves_no_row_and_no_file(
    basic_user, post_image, media_root, monkeypatch
):
    def failing_fsync(fd):
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(storage_module.os, "fsync", failing_fsync)

    response = post_image(basic_user, "photo.png", encode("PNG"))

    assert (response.status_code, response.json()) == (503, UNAVAILABLE)
    assert Image.objects.count() == 0
    assert media_files(media_root) == []


@pytest.mark.parametrize("error", [DatabaseError, IntegrityError])
def test_upload_whose_row_cannot_be_written_leaves_no_file(
    basic_user, post_image, media_root, monkeypatch, error
):
    written = []
    real_save = storage_module.AtomicFileSystemStorage._save

    def save_then_remember(self, name, content):
        written.append(real_save(self, name, content))
        return written[-1]

    def failing_insert(self, *args, **kwargs):
        raise error("database is locked")

    monkeypatch.setattr(
        storage_module.AtomicFileSystemStorage, "_save", save_then_remember
    )
    monkeypatch.setattr(Image, "save", failing_insert)

    response = post_image(basic_user, "photo.png", encode("PNG"))

    assert (response.status_code, response.json()) == (503, UNAVAILABLE)
    assert len(written) == 1
    assert media_files(media_root) == []


def test_thumbnail_generation_killed_halfway_is_made_again_on_next_request(
    basic_user, upload_image, client_for, media_root
):
    body = upload_image(basic_user, size=(900, 600))
    image = Image.objects.get()
    # Uploads make their thumbnails; take this one away so it is made anew.
    os.remove(os.path.join(media_root, image.folder, "200.png"))
    cache.clear()

    pid = os.fork()
    if pid == 0:
        # The child dies the way a worker killed by a supervisor does: at
        # once, running no cleanup, with the thumbnail's bytes written but
        # not yet given their name.
        storage_module.os.fsync = lambda fd: os.kill(os.getpid(), signal.SIGKILL)
        try:
            open_rendition(image, 200)
        finally:
            os._exit(1)
    _, status = os.waitpid(pid, 0)

    assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL
    folder = image.folder
    leftovers = [name for name in media_files(media_root) if name != image.file.name]
    assert len(leftovers) == 1
    assert leftovers[0].startswith(f"{folder}/.200.png.")
    assert leftovers[0].endswith(".part")

    thumbnail = fetch(client_for(basic_user), body["thumbnails"]["200"])

    assert thumbnail.status_code == 200
    assert decode(body_of(thumbnail)).size == (300, 200)
    assert f"{folder}/200.png" in media_files(media_root)


def test_leftover_of_a_killed_generation_is_removed_by_check_media(
    basic_user, upload_image, media_root, capsys
):
    upload_image(basic_user)
    image = Image.objects.get()
    leftover = os.path.join(media_root, image.folder, ".200.png.0123abcd.part")
    with open(leftover, "wb") as partial:
        partial.write(b"\x89PNG half")

    call_command("check_media", "--fix", "--grace", "0")

    assert media_files(media_root) == [f"{image.folder}/200.png", image.file.name]
    assert "Removed 1 files and 0 rows." in capsys.readouterr().out


def test_thumbnail_removed_behind_the_cache_is_made_again(
    basic_user, upload_image, client_for, media_root
):
    body = upload_image(basic_user, size=(400, 300))
    client = client_for(basic_user)
    first = body_of(fetch(client, body["thumbnails"]["200"]))
    thumbnail_path = os.path.join(media_root, Image.objects.get().folder, "200.png")
    os.remove(thumbnail_path)

    again = fetch(client, body["thumbnails"]["200"])

    assert again.status_code == 200
    assert body_of(again) == first
    assert os.path.exists(thumbnail_path)


def test_links_of_an_image_whose_original_vanished_answer_404_not_500(
    enterprise_user, upload_image, client_for, media_root
):
    body = upload_image(enterprise_user)
    image = Image.objects.get()
    os.remove(os.path.join(media_root, image.file.name))
    # The 200 px thumbnail, made at upload, stays; the 400 px one would have
    # to be made from the vanished original.
    os.remove(os.path.join(media_root, image.folder, "400.png"))
    cache.clear()
    client = client_for(enterprise_user)
    expiring = client.post(body["expiring_links"], {"expires_in": 600}, format="json")

    links = [body["original"], body["thumbnails"]["400"], expiring.json()["url"]]

    assert [fetch(client, link).status_code for link in links] == [404] * 3
    assert fetch(client, body["thumbnails"]["200"]).status_code == 200
