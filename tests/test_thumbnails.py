"""Thumbnails fetched through their links: size, orientation, format, headers."""

import io

import pytest
from django.core.files.storage import default_storage
from model_bakery import baker
from PIL import ExifTags, Image, ImageCms, ImageOps

from tiers.models import ThumbnailHeight
from uploads.models import Image as StoredImage

RED, BLUE = (255, 0, 0), (0, 0, 255)


def close_to(pixel, expected, tolerance=24):
    return all(abs(a - b) <= tolerance for a, b in zip(pixel, expected, strict=True))


@pytest.fixture
def user_with_heights(make_tier):
    """Return a user on a fresh tier with the given thumbnail heights."""

    def make(*heights):
        return baker.make("tiers.User", tier=make_tier("Sizes", heights))

    return make


@pytest.mark.parametrize(
    ("size", "height", "expected"),
    [
        ((640, 480), 200, (267, 200)),
        ((640, 480), 400, (533, 400)),
        ((480, 640), 200, (150, 200)),
        ((200, 200), 200, (200, 200)),
        # 2.5 px rounds half up, 1.5 px likewise.
        ((5, 400), 200, (3, 200)),
        ((3, 400), 200, (2, 200)),
        # Never wider or higher than the original: no upscaling.
        ((1000, 10), 200, (1000, 10)),
        ((50, 50), 400, (50, 50)),
        ((120, 150), 200, (120, 150)),
        # Never narrower than one pixel.
        ((1, 1000), 200, (1, 200)),
        ((1, 2000), 50, (1, 50)),
    ],
)
@pytest.mark.parametrize("image_format", ["PNG", "JPEG"])
def test_thumbnail_has_the_height_and_a_proportional_width(
    user_with_heights,
    upload_image,
    make_image,
    fetch_image,
    image_format,
    size,
    height,
    expected,
):
    user = user_with_heights(height)
    body = upload_image(user, content=make_image(image_format, size=size))

    thumbnail = fetch_image(body["thumbnails"][str(height)])

    assert thumbnail.size == expected


def test_basic_thumbnail_of_a_photo_is_200px_high(
    basic_user, upload_image, fetch_image
):
    body = upload_image(basic_user, size=(1600, 1200))

    assert fetch_image(body["thumbnails"]["200"]).size == (267, 200)


@pytest.mark.parametrize(
    ("orientation", "top", "bottom"), [(6, RED, BLUE), (8, BLUE, RED)]
)
def test_thumbnail_is_upright_when_exif_says_the_photo_is_sideways(
    basic_user,
    upload_image,
    encode_image,
    halves,
    make_exif,
    fetch_image,
    orientation,
    top,
    bottom,
):
    # Stored landscape, left half red and right half blue; shown portrait.
    content = encode_image(
        halves((600, 400), RED, BLUE), "JPEG", exif=make_exif(orientation)
    )
    body = upload_image(basic_user, "sideways.jpg", content)

    thumbnail = fetch_image(body["thumbnails"]["200"]).convert("RGB")

    assert thumbnail.size == (133, 200)
    assert close_to(thumbnail.getpixel((66, 20)), top)
    assert close_to(thumbnail.getpixel((66, 180)), bottom)


def quadrants(size):
    """Return an image with a different colour in each quarter."""
    width, height = size
    image = Image.new("RGB", size, (255, 0, 0))
    image.paste((0, 255, 0), (width // 2, 0, width, height // 2))
    image.paste((0, 0, 255), (0, height // 2, width // 2, height))
    image.paste((255, 255, 0), (width // 2, height // 2, width, height))
    return image


@pytest.mark.parametrize("orientation", range(1, 9))
@pytest.mark.parametrize("image_format", ["PNG", "JPEG"])
def test_thumbnail_matches_every_exif_orientation(
    basic_user,
    upload_image,
    encode_image,
    make_exif,
    fetch_image,
    orientation,
    image_format,
):
    source = quadrants((400, 300))
    content = encode_image(source, image_format, exif=make_exif(orientation))
    body = upload_image(basic_user, content=content)

    thumbnail = fetch_image(body["thumbnails"]["200"]).convert("RGB")

    source.getexif()[ExifTags.Base.Orientation] = orientation
    upright = ImageOps.exif_transpose(source)
    assert thumbnail.size == (round(upright.width * 200 / upright.height), 200)
    expected = upright.resize(thumbnail.size)
    width, height = thumbnail.size
    for x in (width // 4, 3 * width // 4):
        for y in (height // 4, 3 * height // 4):
            assert close_to(thumbnail.getpixel((x, y)), expected.getpixel((x, y)))


def test_thumbnail_of_an_upside_down_photo_is_turned(
    basic_user, upload_image, encode_image, halves, make_exif, fetch_image
):
    content = encode_image(halves((400, 300), RED, BLUE), "JPEG", exif=make_exif(3))
    body = upload_image(basic_user, "upside-down.jpg", content)

    thumbnail = fetch_image(body["thumbnails"]["200"]).convert("RGB")

    assert thumbnail.size == (267, 200)
    assert close_to(thumbnail.getpixel((20, 100)), BLUE)
    assert close_to(thumbnail.getpixel((246, 100)), RED)


def test_sideways_photo_smaller_than_the_height_is_turned_but_not_grown(
    basic_user, upload_image, encode_image, halves, make_exif, fetch_image
):
    content = encode_image(halves((60, 40), RED, BLUE), "JPEG", exif=make_exif(6))
    body = upload_image(basic_user, "small.jpg", content)

    thumbnail = fetch_image(body["thumbnails"]["200"]).convert("RGB")

    assert thumbnail.size == (40, 60)
    assert close_to(thumbnail.getpixel((20, 5)), RED)
    assert close_to(thumbnail.getpixel((20, 55)), BLUE)


def test_sideways_png_thumbnail_is_upright(
    basic_user, upload_image, encode_image, halves, make_exif, fetch_image
):
    content = encode_image(halves((600, 400), RED, BLUE), "PNG", exif=make_exif(6))
    body = upload_image(basic_user, "sideways.png", content)

    thumbnail = fetch_image(body["thumbnails"]["200"])

    assert thumbnail.size == (133, 200)
    assert thumbnail.getpixel((66, 20)) == RED
    assert thumbnail.getpixel((66, 180)) == BLUE


@pytest.mark.parametrize("image_format", ["JPEG", "PNG"])
def test_thumbnail_carries_no_exif_or_gps(
    basic_user, upload_image, make_image, make_exif, fetch, image_format
):
    content = make_image(image_format, exif=make_exif(1, gps=True))
    assert b"Test Camera" in content
    body = upload_image(basic_user, content=content)

    response = fetch(body["thumbnails"]["200"])

    assert response.status_code == 200
    assert b"Exif" not in response.body
    assert b"Test Camera" not in response.body
    assert dict(Image.open(io.BytesIO(response.body)).getexif()) == {}


def test_jpeg_thumbnail_carries_no_comment_or_xmp(
    basic_user, upload_image, make_image, fetch
):
    xmp = (
        b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf='
        b'"http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description '
        b'xmlns:exif="http://ns.adobe.com/exif/1.0/" exif:GPSLatitude="52,13N"/>'
        b"</rdf:RDF></x:xmpmeta>"
    )
    content = make_image("JPEG", xmp=xmp, comment=b"taken at home, 5 Elm St")
    assert b"GPSLatitude" in content and b"Elm St" in content
    body = upload_image(basic_user, "photo.jpg", content)

    response = fetch(body["thumbnails"]["200"])

    assert b"GPSLatitude" not in response.body
    assert b"Elm St" not in response.body
    assert "comment" not in Image.open(io.BytesIO(response.body)).info


def test_thumbnail_keeps_the_colour_profile(
    basic_user, upload_image, make_image, fetch_image
):
    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    body = upload_image(basic_user, content=make_image("JPEG", icc_profile=profile))

    thumbnail = fetch_image(body["thumbnails"]["200"])

    assert thumbnail.info["icc_profile"] == profile


def test_jpeg_thumbnail_is_a_jpeg(basic_user, upload_image, make_image, fetch):
    body = upload_image(basic_user, "photo.jpg", make_image("JPEG"))

    response = fetch(body["thumbnails"]["200"])

    assert response["Content-Type"] == "image/jpeg"
    assert Image.open(io.BytesIO(response.body)).format == "JPEG"


def test_cmyk_jpeg_thumbnail_is_a_jpeg(basic_user, upload_image, make_image, fetch):
    body = upload_image(basic_user, "print.jpg", make_image("JPEG", mode="CMYK"))

    response = fetch(body["thumbnails"]["200"])

    assert response["Content-Type"] == "image/jpeg"
    thumbnail = Image.open(io.BytesIO(response.body))
    assert (thumbnail.format, thumbnail.size) == ("JPEG", (267, 200))


def test_multi_picture_jpeg_thumbnail_is_a_plain_jpeg(
    basic_user, upload_image, encode_image, fetch
):
    content = encode_image(
        Image.new("RGB", (600, 400), RED),
        "MPO",
        save_all=True,
        append_images=[Image.new("RGB", (60, 40), BLUE)],
    )
    body = upload_image(basic_user, "phone.jpg", content)

    response = fetch(body["thumbnails"]["200"])

    assert response["Content-Type"] == "image/jpeg"
    thumbnail = Image.open(io.BytesIO(response.body))
    assert (thumbnail.format, thumbnail.size) == ("JPEG", (300, 200))


def test_png_thumbnail_is_a_png(basic_user, upload_image, make_image, fetch):
    body = upload_image(basic_user, "photo.png", make_image("PNG"))

    response = fetch(body["thumbnails"]["200"])

    assert response["Content-Type"] == "image/png"
    assert Image.open(io.BytesIO(response.body)).format == "PNG"


def test_rgba_png_thumbnail_keeps_its_transparency(
    basic_user, upload_image, make_image, fetch_image
):
    content = make_image("PNG", mode="RGBA", color=(10, 20, 30, 128))
    body = upload_image(basic_user, content=content)

    thumbnail = fetch_image(body["thumbnails"]["200"])

    assert thumbnail.mode == "RGBA"
    # Resizing works on premultiplied colour, which may cost a unit of it.
    *colour, alpha = thumbnail.getpixel((100, 100))
    assert alpha == 128
    assert close_to(colour, (10, 20, 30), tolerance=1)


def test_grey_png_with_alpha_stays_grey_with_alpha(
    basic_user, upload_image, make_image, fetch_image
):
    body = upload_image(basic_user, content=make_image("PNG", mode="LA"))

    thumbnail = fetch_image(body["thumbnails"]["200"])

    assert thumbnail.mode == "LA"
    grey, alpha = thumbnail.getpixel((100, 100))
    assert alpha == 100
    assert abs(grey - 128) <= 1


def test_palette_png_with_a_transparent_colour_keeps_it(
    basic_user, upload_image, encode_image, fetch_image
):
    palette_image = Image.new("P", (400, 200), 0)
    palette_image.putpalette([255, 0, 0, 0, 0, 255] + [0, 0, 0] * 254)
    palette_image.paste(1, (200, 0, 400, 200))
    content = encode_image(palette_image, "PNG", transparency=1)
    body = upload_image(basic_user, content=content)

    thumbnail = fetch_image(body["thumbnails"]["200"]).convert("RGBA")

    assert thumbnail.size == (400, 200)
    assert thumbnail.getpixel((50, 100)) == (255, 0, 0, 255)
    assert thumbnail.getpixel((350, 100))[3] == 0


def test_sixteen_bit_grey_png_is_not_washed_out(
    basic_user, upload_image, encode_image, fetch_image
):
    # Mid grey in 16 bits is 32768; clipped to 8 bits it would turn white.
    content = encode_image(Image.new("I;16", (300, 300), 32768), "PNG")
    body = upload_image(basic_user, content=content)

    thumbnail = fetch_image(body["thumbnails"]["200"])

    assert thumbnail.size == (200, 200)
    assert thumbnail.mode == "L"
    assert thumbnail.getpixel((100, 100)) == 128


def test_grey_png_stays_grey(basic_user, upload_image, make_image, fetch_image):
    body = upload_image(basic_user, content=make_image("PNG", mode="L"))

    thumbnail = fetch_image(body["thumbnails"]["200"])

    assert (thumbnail.mode, thumbnail.getpixel((10, 10))) == ("L", 128)


def test_height_added_later_is_made_on_first_request(
    basic_user, upload_image, client_for, fetch_image
):
    body = upload_image(basic_user, size=(600, 600))
    folder = StoredImage.objects.get().folder
    ThumbnailHeight.objects.create(tier=basic_user.tier, height=300)
    link = client_for(basic_user).get(body["url"]).json()["thumbnails"]["300"]
    assert not default_storage.exists(f"{folder}/300.png")

    thumbnail = fetch_image(link)

    assert thumbnail.size == (300, 300)
    assert default_storage.exists(f"{folder}/300.png")


def test_thumbnail_is_made_once_and_kept(
    basic_user, upload_image, fetch, monkeypatch
):
    body = upload_image(basic_user)
    first = fetch(body["thumbnails"]["200"])
    monkeypatch.setattr(
        "uploads.imagegenerators.Thumbnail.generate",
        lambda spec: pytest.fail("the thumbnail was made a second time"),
    )

    second = fetch(body["thumbnails"]["200"])

    assert second.status_code == 200
    assert second.body == first.body


def test_thumbnail_lost_from_the_storage_is_made_again(
    basic_user, upload_image, fetch_image
):
    body = upload_image(basic_user)
    fetch_image(body["thumbnails"]["200"])
    folder = StoredImage.objects.get().folder
    default_storage.delete(f"{folder}/200.png")

    assert fetch_image(body["thumbnails"]["200"]).size == (267, 200)
    assert default_storage.exists(f"{folder}/200.png")


def test_thumbnail_response_carries_type_length_and_caching_headers(
    basic_user, upload_image, fetch
):
    body = upload_image(basic_user)

    response = fetch(body["thumbnails"]["200"])

    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert int(response["Content-Length"]) == len(response.body)
    assert response["ETag"]
    assert response["Last-Modified"]
    assert response["Cache-Control"] == "public, max-age=600"


def test_link_cache_lifetime_is_a_setting(basic_user, upload_image, fetch, settings):
    settings.IMAGEAPI_LINK_CACHE_SECONDS = 42
    body = upload_image(basic_user)

    response = fetch(body["thumbnails"]["200"])

    assert response["Cache-Control"] == "public, max-age=42"


def test_thumbnail_and_original_have_different_etags(
    premium_user, upload_image, fetch
):
    body = upload_image(premium_user)

    etags = {
        fetch(url)["ETag"]
        for url in [*body["thumbnails"].values(), body["original"]]
    }

    assert len(etags) == 3


def test_unchanged_thumbnail_answers_304_to_a_conditional_request(
    basic_user, upload_image, fetch
):
    body = upload_image(basic_user)
    etag = fetch(body["thumbnails"]["200"])["ETag"]

    response = fetch(body["thumbnails"]["200"], **{"If-None-Match": etag})

    assert response.status_code == 304
    assert response.body == b""


def test_head_request_answers_headers_only(basic_user, upload_image, anonymous_client):
    body = upload_image(basic_user)

    response = anonymous_client.head(body["thumbnails"]["200"])

    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"


@pytest.mark.parametrize(
    ("name", "image_format", "content_type"),
    [("photo.png", "PNG", "image/png"), ("photo.jpg", "JPEG", "image/jpeg")],
)
def test_original_link_returns_the_uploaded_bytes(
    premium_user,
    upload_image,
    make_image,
    make_exif,
    fetch,
    name,
    image_format,
    content_type,
):
    content = make_image(image_format, exif=make_exif(6, gps=True))
    body = upload_image(premium_user, name, content)

    response = fetch(body["original"])

    assert response.status_code == 200
    assert response.body == content
    assert response["Content-Type"] == content_type
    assert int(response["Content-Length"]) == len(content)
    assert response["ETag"]
    assert response["Last-Modified"]
    assert response["Cache-Control"] == "public, max-age=600"
