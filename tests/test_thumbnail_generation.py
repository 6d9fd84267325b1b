"""Thumbnails: made at upload from one decode, and right to the pixel."""

import io
from urllib.parse import urlsplit

import pytest
from django.core.cache import cache
from django.core.files.storage import default_storage
from PIL import Image, ImageFile

from conftest import image_bytes
from uploads import imaging, services
from uploads.imagegenerators import thumbnail_name
from uploads.models import Image as ImageRow


def path_of(url):
    parts = urlsplit(url)
    return parts.path


def fetch(client, url):
    response = client.get(path_of(url))
    assert response.status_code == 200, response
    return Image.open(io.BytesIO(b"".join(response.streaming_content)))


def stored_thumbnails(image_id):
    row = ImageRow.objects.get(pk=image_id)
    _, files = default_storage.listdir(row.folder)
    return sorted(name for name in files if not name.startswith("original"))


@pytest.fixture
def count_decodes(monkeypatch):
    """Count real decodes (loads with data still to read) and JPEG drafts."""
    counts = {"decodes": 0, "drafts": []}
    load, draft = ImageFile.ImageFile.load, Image.Image.draft

    def counting_load(self):
        if self.tile:
            counts["decodes"] += 1
        return load(self)

    def counting_draft(self, mode, size):
        counts["drafts"].append(size)
        return draft(self, mode, size)

    monkeypatch.setattr(ImageFile.ImageFile, "load", counting_load)
    monkeypatch.setattr(Image.Image, "draft", counting_draft)
    from PIL import JpegImagePlugin

    jpeg_draft = JpegImagePlugin.JpegImageFile.draft

    def counting_jpeg_draft(self, mode, size):
        counts["drafts"].append(size)
        return jpeg_draft(self, mode, size)

    monkeypatch.setattr(JpegImagePlugin.JpegImageFile, "draft", counting_jpeg_draft)
    return counts


def test_upload_makes_every_thumbnail_of_the_tier(premium_user, upload_image):
    body = upload_image(premium_user, "photo.jpg", image_format="JPEG")

    assert stored_thumbnails(body["id"]) == ["200.jpg", "400.jpg"]


def test_basic_upload_makes_only_its_tier_height(basic_user, upload_image):
    body = upload_image(basic_user, "photo.png", size=(900, 600))

    assert stored_thumbnails(body["id"]) == ["200.png"]


def test_jpeg_upload_decodes_once_for_every_height(
    premium_user, upload_image, count_decodes
):
    upload_image(premium_user, "photo.jpg", image_format="JPEG", size=(4000, 3000))

    assert count_decodes["decodes"] == 1
    # One draft, at the size of the largest thumbnail: 533x400.
    assert count_decodes["drafts"] == [(533, 400)]


def test_png_upload_decodes_once_for_every_height(
    premium_user, upload_image, count_decodes
):
    upload_image(premium_user, "photo.png", size=(2000, 1500), mode="RGBA")

    assert count_decodes["decodes"] == 1


def test_missing_thumbnails_are_made_from_one_decode(
    premium_user, upload_image, count_decodes
):
    body = upload_image(premium_user, "photo.jpg", image_format="JPEG")
    row = ImageRow.objects.get(pk=body["id"])
    for name in stored_thumbnails(body["id"]):
        default_storage.delete(f"{row.folder}/{name}")
    cache.clear()
    count_decodes["decodes"] = 0

    services.make_thumbnails(row, [200, 400])

    assert count_decodes["decodes"] == 1
    assert stored_thumbnails(body["id"]) == ["200.jpg", "400.jpg"]


def test_existing_thumbnails_are_not_decoded_again(
    premium_user, upload_image, count_decodes
):
    body = upload_image(premium_user, "photo.jpg", image_format="JPEG")
    count_decodes["decodes"] = 0

    services.make_thumbnails(ImageRow.objects.get(pk=body["id"]), [200, 400])

    assert count_decodes["decodes"] == 0


def test_link_makes_a_thumbnail_that_does_not_exist_yet(
    premium_user, upload_image, anonymous_client
):
    body = upload_image(premium_user, "photo.png", size=(800, 600))
    row = ImageRow.objects.get(pk=body["id"])
    default_storage.delete(thumbnail_name(row.file.name, 400))
    cache.clear()

    thumbnail = fetch(anonymous_client, body["thumbnails"]["400"])

    assert thumbnail.size == (533, 400)
    assert default_storage.exists(thumbnail_name(row.file.name, 400))


def test_upload_answers_201_when_its_thumbnails_fail(
    premium_user, upload_image, anonymous_client, monkeypatch
):
    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(services, "make_thumbnails", broken)
    body = upload_image(premium_user, "photo.png", size=(800, 600))
    assert stored_thumbnails(body["id"]) == []
    monkeypatch.undo()

    assert fetch(anonymous_client, body["thumbnails"]["200"]).size == (267, 200)


def test_truncated_upload_is_refused_and_leaves_nothing(
    premium_user, client_for, make_upload
):
    content = image_bytes("JPEG", size=(1200, 900))
    upload = make_upload("photo.jpg", content[: len(content) // 2])

    response = client_for(premium_user).post(
        "/api/images/", {"image": upload}, format="multipart"
    )

    assert response.status_code == 400
    assert response.json()["image"] == ["The image data is truncated or corrupt."]
    assert not ImageRow.objects.exists()
    assert not default_storage.exists("images")


@pytest.mark.parametrize(
    ("size", "height", "expected"),
    [
        ((3, 1001), 200, (1, 200)),  # 0.6 px wide rounds up to the 1 px floor
        ((1001, 3), 400, (1001, 3)),  # lower than the height: never upscaled
        ((1999, 1333), 400, (600, 400)),  # 599.85 rounds to 600
        ((1001, 2002), 200, (100, 200)),  # 100.0 exactly
        ((1003, 2000), 200, (100, 200)),  # 100.3 rounds down
        ((1005, 2000), 200, (101, 200)),  # 100.5 rounds half up
        ((5000, 200), 200, (5000, 200)),  # exactly the height: unchanged
    ],
)
@pytest.mark.parametrize("image_format", ["JPEG", "PNG"])
def test_thumbnail_geometry(
    enterprise_user,
    upload_image,
    anonymous_client,
    size,
    height,
    expected,
    image_format,
):
    name = "odd.jpg" if image_format == "JPEG" else "odd.png"
    body = upload_image(enterprise_user, name, image_format=image_format, size=size)

    thumbnail = fetch(anonymous_client, body["thumbnails"][str(height)])

    assert thumbnail.size == expected
    assert thumbnail.format == image_format


def exif_rotated_jpeg(size, orientation):
    image = Image.new("RGB", size, (10, 200, 30))
    exif = Image.Exif()
    exif[0x0112] = orientation
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif)
    return buffer.getvalue()


def test_thumbnail_is_upright_and_has_no_exif(
    premium_user, upload_image, anonymous_client
):
    body = upload_image(premium_user, "turned.jpg", exif_rotated_jpeg((1600, 1200), 6))

    thumbnail = fetch(anonymous_client, body["thumbnails"]["400"])

    assert (body["width"], body["height"]) == (1200, 1600)
    assert thumbnail.size == (300, 400)
    assert not thumbnail.getexif()


def test_png_thumbnail_keeps_alpha_without_dark_fringes(
    premium_user, upload_image, anonymous_client
):
    # Left half transparent black, right half opaque red: resampling without
    # premultiplied alpha would darken the red where the halves meet.
    source = Image.new("RGBA", (2000, 1000), (0, 0, 0, 0))
    source.paste((255, 0, 0, 255), (1000, 0, 2000, 1000))
    buffer = io.BytesIO()
    source.save(buffer, "PNG")
    body = upload_image(premium_user, "half.png", buffer.getvalue())

    thumbnail = fetch(anonymous_client, body["thumbnails"]["200"])

    assert thumbnail.mode == "RGBA"
    assert thumbnail.size == (400, 200)
    assert thumbnail.getpixel((10, 100))[3] == 0
    assert thumbnail.getpixel((390, 100)) == (255, 0, 0, 255)
    for x in range(190, 210):
        red, green, blue, alpha = thumbnail.getpixel((x, 100))
        if alpha > 8:
            assert red > 240 and green < 8 and blue < 8, (x, red, alpha)


@pytest.mark.parametrize("mode", ["RGBA", "LA"])
def test_strip_reduce_equals_a_whole_image_reduce(mode):
    source = Image.effect_noise((999, 1003), 60).convert(mode)
    whole = source.convert(imaging.PREMULTIPLIED[mode]).reduce(3)

    stripped = imaging._reduce(source, 3)

    assert stripped.mode == whole.mode
    assert stripped.tobytes() == whole.tobytes()


@pytest.mark.parametrize("mode", ["P", "LA", "L", "I;16", "CMYK"])
def test_unusual_modes_make_thumbnails(
    premium_user, upload_image, anonymous_client, mode
):
    image_format = "JPEG" if mode == "CMYK" else "PNG"
    body = upload_image(
        premium_user, "mode.img", image_format=image_format, size=(900, 600), mode=mode
    )

    thumbnail = fetch(anonymous_client, body["thumbnails"]["400"])

    assert thumbnail.size == (600, 400)
