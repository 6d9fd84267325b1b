"""Item 6: the thumbnail geometry rule holds for every shape of image."""

import io
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from uploads.imaging import FitHeight, thumbnail_size

from .files import body_of, decode, encode, fetch


def expected_size(width, height, target):
    """Return the rule: height = min(target, h), width = max(1, round(w*H/h)).

    Rounding is half up, done on exact fractions so that no float error can
    move a result by a pixel.
    """
    new_height = min(target, height)
    exact_width = Fraction(width * new_height, height)
    return max(1, int(exact_width + Fraction(1, 2))), new_height


@settings(max_examples=300, deadline=None)
@given(
    width=st.integers(1, 1_000_000),
    height=st.integers(1, 1_000_000),
    target=st.integers(1, 10_000),
)
def test_thumbnail_size_follows_the_rule_for_any_size(width, height, target):
    assert thumbnail_size(width, height, target) == expected_size(width, height, target)


@pytest.mark.parametrize(
    ("width", "height", "target", "size"),
    [
        (1, 1, 200, (1, 1)),
        (3, 2, 1, (2, 1)),
        (5, 2, 1, (3, 1)),
        (1, 10_000, 200, (1, 200)),
        (10_000, 1, 200, (10_000, 1)),
        (65_500, 2, 1, (32_750, 1)),
        (2, 65_500, 200, (1, 200)),
        (199, 200, 100, (100, 100)),
    ],
)
def test_thumbnail_size_rounds_half_up_and_never_reaches_zero(
    width, height, target, size
):
    assert thumbnail_size(width, height, target) == size


@settings(max_examples=60, deadline=None)
@given(
    width=st.integers(1, 80),
    height=st.integers(1, 80),
    target=st.integers(1, 100),
    image_format=st.sampled_from(["PNG", "JPEG"]),
)
def test_fit_height_makes_exactly_the_size_of_the_rule(
    width, height, target, image_format
):
    image = Image.open(io.BytesIO(encode(image_format, size=(width, height))))

    thumbnail = FitHeight(target).process(image)

    assert thumbnail.size == expected_size(width, height, target)


SHAPES = [
    (1, 1),
    (1, 700),
    (700, 1),
    (3, 2),
    (4000, 30),
    (30, 4000),
    (20_000, 3),
    (3, 20_000),
]


@pytest.mark.parametrize("image_format", ["PNG", "JPEG"])
@pytest.mark.parametrize(("width", "height"), SHAPES)
def test_every_thumbnail_link_of_an_extreme_shape_follows_the_rule(
    tier_with_heights, post_image, client_for, image_format, width, height
):
    user = tier_with_heights(1, 2, 200, 10_000)
    content = encode(image_format, size=(width, height))

    response = post_image(user, "shape", content)

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["width"], body["height"]) == (width, height)
    client = client_for(user)
    sizes = {}
    for key, link in body["thumbnails"].items():
        thumbnail = fetch(client, link)
        assert thumbnail.status_code == 200
        sizes[int(key)] = decode(body_of(thumbnail)).size
    assert sizes == {
        target: expected_size(width, height, target) for target in (1, 2, 200, 10_000)
    }
