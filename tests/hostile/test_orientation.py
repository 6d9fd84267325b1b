"""Item 5: every EXIF orientation gives an upright thumbnail and upright size."""

import struct

import pytest
from PIL import Image, ImageOps

from conftest import encode as encode_image
from conftest import exif_with

from .files import decode, png_chunk, png_chunks

RED, GREEN, BLUE, YELLOW = (255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 0)
# Stored 400x300 with red, green, blue and yellow quarters (top left, top
# right, bottom left, bottom right), and seen in this order once each
# orientation is applied: 2 mirrors, 3 turns half round, 4 flips, 5 mirrors
# along the diagonal from the top left, 6 turns clockwise, 7 mirrors along
# the other diagonal, 8 turns anticlockwise.
UPRIGHT = {
    1: (RED, GREEN, BLUE, YELLOW),
    2: (GREEN, RED, YELLOW, BLUE),
    3: (YELLOW, BLUE, GREEN, RED),
    4: (BLUE, YELLOW, RED, GREEN),
    5: (RED, BLUE, GREEN, YELLOW),
    6: (BLUE, RED, YELLOW, GREEN),
    7: (YELLOW, GREEN, BLUE, RED),
    8: (GREEN, YELLOW, RED, BLUE),
}


def quarters():
    image = Image.new("RGB", (400, 300), RED)
    image.paste(GREEN, (200, 0, 400, 150))
    image.paste(BLUE, (0, 150, 200, 300))
    image.paste(YELLOW, (200, 150, 400, 300))
    return image


def big_endian_exif(orientation):
    """Return a JPEG APP1 payload: Motorola-order TIFF with one orientation."""
    entry = struct.pack(">HHIHH", 0x0112, 3, 1, orientation, 0)
    tiff = b"MM\x00*" + struct.pack(">I", 8) + struct.pack(">H", 1) + entry
    return b"Exif\x00\x00" + tiff + struct.pack(">I", 0)


def jpeg(orientation):
    return encode_image(quarters(), "JPEG", quality=95, exif=exif_with(orientation))


def jpeg_big_endian(orientation):
    plain = encode_image(quarters(), "JPEG", quality=95)
    payload = big_endian_exif(orientation)
    segment = b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload
    return plain[:2] + segment + plain[2:]


def png_exif_before_pixels(orientation):
    return encode_image(quarters(), "PNG", exif=exif_with(orientation))


def png_exif_after_pixels(orientation):
    """Return a PNG whose eXIf chunk follows its pixel data."""
    png = png_exif_before_pixels(orientation)
    for offset, kind, length in png_chunks(png):
        if kind == b"eXIf":
            chunk = png[offset : offset + 12 + length]
            png = png[:offset] + png[offset + 12 + length :]
            break
    iend = png.rindex(b"IEND") - 4
    return png[:iend] + png_chunk(b"eXIf", chunk[8:-4]) + png[iend:]


SOURCES = {
    "jpeg": jpeg,
    "jpeg-big-endian-exif": jpeg_big_endian,
    "png-exif-before-pixels": png_exif_before_pixels,
    "png-exif-after-pixels": png_exif_after_pixels,
}


def quarter_colours(image):
    """Return the colours at the middles of an image's four quarters."""
    width, height = image.size
    return tuple(
        image.getpixel((x, y))
        for y in (height // 4, 3 * height // 4)
        for x in (width // 4, 3 * width // 4)
    )


def close(actual, expected, tolerance=24):
    return all(
        abs(a - b) <= tolerance
        for pixel, wanted in zip(actual, expected, strict=True)
        for a, b in zip(pixel, wanted, strict=True)
    )


@pytest.mark.parametrize("orientation", range(1, 9))
@pytest.mark.parametrize("source", list(SOURCES.values()), ids=list(SOURCES))
def test_every_orientation_gives_an_upright_thumbnail_and_size(
    premium_user, upload_image, fetch, source, orientation
):
    body = upload_image(premium_user, "turned.img", source(orientation))

    if orientation >= 5:
        upright, sizes = (300, 400), {"200": (150, 200), "400": (300, 400)}
    else:
        upright, sizes = (400, 300), {"200": (267, 200), "400": (400, 300)}
    assert (body["width"], body["height"]) == upright
    for height, size in sizes.items():
        thumbnail = decode(fetch(body["thumbnails"][height]).body).convert("RGB")
        assert thumbnail.size == size
        assert close(quarter_colours(thumbnail), UPRIGHT[orientation]), (
            orientation,
            quarter_colours(thumbnail),
        )


@pytest.mark.parametrize("orientation", range(1, 9))
def test_upright_table_matches_pillows_own_transposition(orientation):
    # The table above is written out by hand; Pillow's exif_transpose, a
    # separate implementation, must agree with it.
    source = quarters()
    source.getexif()[0x0112] = orientation

    assert quarter_colours(ImageOps.exif_transpose(source)) == UPRIGHT[orientation]


@pytest.mark.parametrize("orientation", range(1, 9))
def test_thumbnail_of_every_orientation_carries_no_orientation(
    basic_user, upload_image, fetch, orientation
):
    # A thumbnail that kept the tag would be turned a second time.
    body = upload_image(basic_user, "turned.jpg", jpeg(orientation))

    response = fetch(body["thumbnails"]["200"])

    assert b"Exif" not in response.body
    assert 0x0112 not in decode(response.body).getexif()
