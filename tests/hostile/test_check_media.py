"""check_media: orphans both ways are reported, and removed with --fix."""

import os
import time

import pytest
from django.core.management import CommandError, call_command

from uploads.models import Image

from .files import encode, fetch, media_files

AN_HOUR_AGO = time.time() - 3600


def _age(path, when=AN_HOUR_AGO):
    os.utime(path, (when, when))


def _write(media_root, name, content=b"x"):
    path = os.path.join(media_root, name)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as file:
        file.write(content)
    _age(path)
    return path


@pytest.fixture
def two_images(basic_user, upload_image, client_for):
    """Two sound images, one with its thumbnail made."""
    kept = upload_image(basic_user, size=(300, 300))
    assert fetch(client_for(basic_user), kept["thumbnails"]["200"]).status_code == 200
    upload_image(basic_user, size=(50, 50))
    return list(Image.objects.order_by("created_at"))


def test_check_media_reports_nothing_when_rows_and_files_agree(two_images, capsys):
    call_command("check_media", "--grace", "0")

    out = capsys.readouterr().out
    assert "Rows without a file: 0\n" in out
    assert "Files without a row: 0\n" in out


def test_check_media_reports_orphans_both_ways_and_fails(
    two_images, media_root, capsys
):
    sound, broken = two_images
    os.remove(os.path.join(media_root, broken.file.name))
    stray = [
        "images/ab/abababababababababababababababab/original.png",
        "images/ab/abababababababababababababababab/200.png",
        f"{sound.folder}/notes.txt",
        f"{sound.folder}/200.jpg",
        f"{sound.folder}/.400.png.feedface.part",
    ]
    for name in stray:
        _write(media_root, name)

    with pytest.raises(CommandError) as raised:
        call_command("check_media")

    assert raised.value.returncode == 1
    assert str(raised.value) == (
        "1 rows without a file and 5 files without a row; "
        "run with --fix to remove them."
    )
    out = capsys.readouterr().out
    assert f"Rows without a file: 1\n  {broken.pk} {broken.file.name}\n" in out
    listed = out.split("Files without a row: 5\n")[1].split("\n")[:5]
    assert sorted(line.strip() for line in listed) == sorted(stray)
    assert Image.objects.count() == 2


def test_check_media_fix_removes_orphans_and_keeps_every_sound_file(
    two_images, media_root, capsys, django_capture_on_commit_callbacks
):
    sound, broken = two_images
    sound_files = [
        name for name in media_files(media_root) if name.startswith(sound.folder)
    ]
    os.remove(os.path.join(media_root, broken.file.name))
    _write(media_root, "images/cd/cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd/original.jpg")
    _write(media_root, f"{sound.folder}/.original.png.0011.part")

    # Removing a row removes its thumbnails once the deletion commits.
    with django_capture_on_commit_callbacks(execute=True):
        call_command("check_media", "--fix")

    assert "Removed 2 files and 1 rows." in capsys.readouterr().out
    assert list(Image.objects.all()) == [sound]
    assert media_files(media_root) == sound_files
    assert not os.path.exists(
        os.path.join(media_root, "images/cd/cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd")
    )
    call_command("check_media")


def test_check_media_leaves_young_files_to_uploads_in_flight(
    two_images, media_root, capsys
):
    young = _write(
        media_root, "images/ef/efefefefefefefefefefefefefefefef/original.png"
    )
    _age(young, time.time())

    call_command("check_media", "--fix")

    assert os.path.exists(young)
    assert "Files without a row: 0\n" in capsys.readouterr().out

    with pytest.raises(CommandError):
        call_command("check_media", "--grace", "0")


def test_check_media_shows_progress_on_long_runs(basic_user, upload_image, capsys):
    for _ in range(5):
        upload_image(basic_user, size=(8, 8))

    call_command("check_media", "--progress-every", "2")

    out = capsys.readouterr().out
    assert "Checked 2 of 5 rows.\nChecked 4 of 5 rows.\nChecked 5 rows.\n" in out
    # Each upload left its original and its 200 px thumbnail.
    assert "Scanned 2 files.\nScanned 4 files.\nScanned 6 files.\n" in out
    assert "Scanned 10 files.\nRows without a file: 0\n" in out


def test_check_media_refuses_to_fix_when_the_storage_looks_unmounted(
    two_images, media_root
):
    for name in media_files(media_root):
        os.remove(os.path.join(media_root, name))
    os.rename(os.path.join(media_root, "images"), os.path.join(media_root, "gone"))

    with pytest.raises(CommandError, match="the storage looks unmounted"):
        call_command("check_media", "--fix")

    assert Image.objects.count() == 2


def test_check_media_files_of_an_upload_are_never_orphans(
    basic_user, post_image, media_root
):
    response = post_image(basic_user, "photo.jpg", encode("JPEG", size=(500, 500)))
    assert response.status_code == 201

    call_command("check_media", "--grace", "0")
