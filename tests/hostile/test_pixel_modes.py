"""Item 4: every pixel mode of PNG and JPEG gives a thumbnail like the original."""

import struct

import pytest
from PIL import Image

from conftest import encode as encode_image

from .files import decode, png_chunk, two_part_png

# Uploaded 300x240, so the 200 px thumbnail is resized: 250x200.
SIZE = (300, 240)
THUMBNAIL = (250, 200)
# Middles of the thumbnail's left and right halves, away from where they meet.
LEFT, RIGHT = (60, 100), (190, 100)
RED, BLUE = (200, 30, 60), (20, 100, 220)
TRANSPARENT = "transparent"


def palette(*colours):
    return png_chunk(b"PLTE", b"".join(bytes(colour) for colour in colours))


def trns(data):
    return png_chunk(b"tRNS", data)


def grey_key(value):
    return trns(struct.pack(">H", value))


def rgb_key(*values):
    return trns(struct.pack(">3H", *values))


def wide(*values):
    """Return 8-bit samples as the 16-bit samples that hold the same level."""
    return [value * 257 for value in values]


# (bit depth, colour type, left samples, right samples, chunks before IDAT,
#  thumbnail mode, its left pixel, its right pixel). Every combination of
#  bit depth and colour type PNG allows, each with and without tRNS where
#  PNG allows one.
PNG_MODES = {
    "grey-1": (1, 0, [0], [1], [], "L", 0, 255),
    "grey-1-trns": (1, 0, [0], [1], [grey_key(1)], "LA", (0, 255), TRANSPARENT),
    "grey-2": (2, 0, [1], [3], [], "L", 85, 255),
    "grey-2-trns": (2, 0, [1], [3], [grey_key(3)], "LA", (85, 255), TRANSPARENT),
    "grey-4": (4, 0, [5], [15], [], "L", 85, 255),
    "grey-4-trns": (4, 0, [5], [10], [grey_key(10)], "LA", (85, 255), TRANSPARENT),
    "grey-8": (8, 0, [60], [200], [], "L", 60, 200),
    "grey-8-trns": (8, 0, [60], [200], [grey_key(200)], "LA", (60, 255), TRANSPARENT),
    "grey-16-mid": (16, 0, [32768], [65535], [], "L", 128, 255),
    "grey-16-trns": (
        16,
        0,
        [32768],
        [1000],
        [grey_key(1000)],
        "LA",
        (128, 255),
        TRANSPARENT,
    ),
    "rgb-8": (8, 2, RED, BLUE, [], "RGB", RED, BLUE),
    "rgb-8-trns": (8, 2, RED, BLUE, [rgb_key(*BLUE)], "RGBA", (*RED, 255), TRANSPARENT),
    "rgb-16": (16, 2, wide(*RED), wide(*BLUE), [], "RGB", RED, BLUE),
    "rgb-16-trns": (
        16,
        2,
        wide(*RED),
        wide(*BLUE),
        [rgb_key(*wide(*BLUE))],
        "RGBA",
        (*RED, 255),
        TRANSPARENT,
    ),
    "palette-1": (1, 3, [0], [1], [palette(RED, BLUE)], "RGB", RED, BLUE),
    "palette-2-one-transparent-index": (
        2,
        3,
        [2],
        [0],
        [palette(BLUE, BLUE, RED), trns(b"\x00")],
        "RGBA",
        (*RED, 255),
        TRANSPARENT,
    ),
    "palette-4": (4, 3, [9], [3], [palette(*[BLUE] * 9, RED)], "RGB", RED, BLUE),
    "palette-8-alpha-palette": (
        8,
        3,
        [1],
        [2],
        [palette(BLUE, RED, BLUE), trns(bytes([255, 128, 0]))],
        "RGBA",
        (*RED, 128),
        TRANSPARENT,
    ),
    "grey-alpha-8": (8, 4, [60, 255], [200, 0], [], "LA", (60, 255), TRANSPARENT),
    "grey-alpha-8-half": (8, 4, [60, 128], [200, 0], [], "LA", (60, 128), TRANSPARENT),
    "grey-alpha-16": (
        16,
        4,
        wide(60, 255),
        wide(200, 0),
        [],
        "LA",
        (60, 255),
        TRANSPARENT,
    ),
    "rgba-8": (8, 6, [*RED, 255], [*BLUE, 0], [], "RGBA", (*RED, 255), TRANSPARENT),
    "rgba-8-half": (
        8,
        6,
        [*RED, 128],
        [*BLUE, 0],
        [],
        "RGBA",
        (*RED, 128),
        TRANSPARENT,
    ),
    "rgba-16": (
        16,
        6,
        wide(*RED, 255),
        wide(*BLUE, 0),
        [],
        "RGBA",
        (*RED, 255),
        TRANSPARENT,
    ),
}


def assert_pixel(actual, expected, tolerance):
    """Check a pixel: `expected` exactly in alpha, within `tolerance` in colour."""
    if expected == TRANSPARENT:
        # Fully transparent, whatever colour hides behind: never painted over
        # with black or white.
        assert actual[-1] == 0, actual
        return
    if isinstance(expected, int):
        expected, actual = (expected,), (actual,)
    has_alpha = len(expected) in (2, 4)
    colour, alpha = (expected[:-1], expected[-1]) if has_alpha else (expected, None)
    if has_alpha:
        assert actual[-1] == alpha, actual
        actual = actual[:-1]
    assert all(abs(a - b) <= tolerance for a, b in zip(actual, colour, strict=True)), (
        actual,
        expected,
    )


@pytest.mark.parametrize(
    (
        "bit_depth",
        "colour_type",
        "left",
        "right",
        "chunks",
        "mode",
        "left_pixel",
        "right_pixel",
    ),
    list(PNG_MODES.values()),
    ids=list(PNG_MODES),
)
def test_png_of_every_mode_gives_a_thumbnail_that_looks_like_it(
    basic_user,
    upload_image,
    fetch,
    bit_depth,
    colour_type,
    left,
    right,
    chunks,
    mode,
    left_pixel,
    right_pixel,
):
    content = two_part_png(
        SIZE, bit_depth, colour_type, left, right, before_idat=chunks
    )
    body = upload_image(basic_user, "mode.png", content)

    response = fetch(body["thumbnails"]["200"])

    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    thumbnail = decode(response.body)
    assert (thumbnail.format, thumbnail.mode, thumbnail.size) == (
        "PNG",
        mode,
        THUMBNAIL,
    )
    assert (body["width"], body["height"]) == SIZE
    # Premultiplied resampling may move a half-transparent colour by a unit.
    assert_pixel(thumbnail.getpixel(LEFT), left_pixel, tolerance=1)
    assert_pixel(thumbnail.getpixel(RIGHT), right_pixel, tolerance=1)


def test_png_thumbnail_keeps_alpha_with_no_resize_either(
    basic_user, upload_image, fetch
):
    # Smaller than the height: the thumbnail is the original's pixels.
    content = two_part_png((40, 30), 8, 2, RED, BLUE, before_idat=[rgb_key(*BLUE)])
    body = upload_image(basic_user, "small.png", content)

    thumbnail = decode(fetch(body["thumbnails"]["200"]).body)

    assert (thumbnail.mode, thumbnail.size) == ("RGBA", (40, 30))
    assert thumbnail.getpixel((5, 15)) == (*RED, 255)
    assert thumbnail.getpixel((35, 15))[3] == 0


def test_every_height_of_a_keyed_png_keeps_its_transparency(
    premium_user, upload_image, fetch
):
    # Both heights come from one decode: making one must not cost the other
    # its transparent colour.
    content = two_part_png((300, 150), 8, 2, RED, BLUE, before_idat=[rgb_key(*BLUE)])
    body = upload_image(premium_user, "keyed.png", content)

    for height in ("200", "400"):
        thumbnail = decode(fetch(body["thumbnails"][height]).body)
        assert (thumbnail.mode, thumbnail.size) == ("RGBA", (300, 150))
        assert thumbnail.getpixel((250, 75))[3] == 0


def test_large_palette_png_is_shrunk_without_losing_its_transparency(
    premium_user, upload_image, fetch
):
    # Big enough to be block-averaged in strips before the Lanczos step.
    content = two_part_png(
        (3000, 2000), 8, 3, [1], [0], before_idat=[palette(BLUE, RED), trns(b"\x00")]
    )
    body = upload_image(premium_user, "large.png", content)

    thumbnail = decode(fetch(body["thumbnails"]["400"]).body)

    assert (thumbnail.mode, thumbnail.size) == ("RGBA", (600, 400))
    assert thumbnail.getpixel((100, 200)) == (*RED, 255)
    assert thumbnail.getpixel((500, 200))[3] == 0


def halves(mode, left, right):
    image = Image.new(mode, SIZE, left)
    image.paste(right, (SIZE[0] // 2, 0, *SIZE))
    return image


def encode_jpeg(image, **save):
    return encode_image(image, "JPEG", quality=95, **save)


# (how the JPEG is made, thumbnail mode, left pixel, right pixel). JPEG
# blurs colour a little, hence the tolerance.
JPEG_MODES = {
    "grey": (lambda: encode_jpeg(halves("L", 60, 200)), "L", 60, 200),
    "ycbcr-from-rgb": (lambda: encode_jpeg(halves("RGB", RED, BLUE)), "RGB", RED, BLUE),
    "rgb-without-transform": (
        lambda: encode_jpeg(halves("RGB", RED, BLUE), keep_rgb=True),
        "RGB",
        RED,
        BLUE,
    ),
    "ycbcr-pixels": (
        lambda: encode_jpeg(
            halves("RGB", RED, BLUE).convert("YCbCr"), subsampling="4:4:4"
        ),
        "RGB",
        RED,
        BLUE,
    ),
}


@pytest.mark.parametrize(
    ("make", "mode", "left_pixel", "right_pixel"),
    list(JPEG_MODES.values()),
    ids=list(JPEG_MODES),
)
def test_jpeg_of_every_mode_gives_a_thumbnail_that_looks_like_it(
    basic_user, upload_image, fetch, make, mode, left_pixel, right_pixel
):
    body = upload_image(basic_user, "mode.jpg", make())

    response = fetch(body["thumbnails"]["200"])

    assert response["Content-Type"] == "image/jpeg"
    thumbnail = decode(response.body)
    assert (thumbnail.format, thumbnail.mode, thumbnail.size) == (
        "JPEG",
        mode,
        THUMBNAIL,
    )
    assert_pixel(thumbnail.getpixel(LEFT), left_pixel, tolerance=6)
    assert_pixel(thumbnail.getpixel(RIGHT), right_pixel, tolerance=6)


def test_photoshop_cmyk_jpeg_without_profile_subtracts_its_inks_from_white(
    basic_user, upload_image, fetch
):
    # Photoshop's CMYK: inverted samples under an Adobe marker, as Pillow
    # writes them too. Without a profile the inks are subtracted from white,
    # as browsers do.
    content = encode_jpeg(halves("CMYK", (255, 0, 0, 0), (0, 0, 0, 128)))
    assert content[2:4] == b"\xff\xee" and content[6:11] == b"Adobe"
    body = upload_image(basic_user, "print.jpg", content)

    thumbnail = decode(fetch(body["thumbnails"]["200"]).body)

    assert (thumbnail.format, thumbnail.mode, thumbnail.size) == (
        "JPEG",
        "RGB",
        THUMBNAIL,
    )
    assert "icc_profile" not in thumbnail.info
    assert_pixel(thumbnail.getpixel(LEFT), (0, 255, 255), tolerance=6)
    assert_pixel(thumbnail.getpixel(RIGHT), (127, 127, 127), tolerance=6)
