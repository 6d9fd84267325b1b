"""Reading uploaded images and shrinking them, with Pillow.

Nothing here touches the database or the storage: functions take file
objects and PIL images and return facts or new images.
"""

import codecs
import logging
import warnings
from contextlib import contextmanager
from dataclasses import dataclass, field

from PIL import ExifTags, Image

logger = logging.getLogger(__name__)

# Pillow names a JPEG that carries more pictures after the first (phones
# store depth and gain maps that way) MPO; it is still a JPEG file.
ACCEPTED_FORMATS = {"JPEG": "jpeg", "MPO": "jpeg", "PNG": "png"}
JPEG_FORMATS = {"JPEG", "MPO"}
# The only Pillow readers an upload is given to; JPEG's also opens MPO.
READERS = ["JPEG", "PNG"]
# A file that starts like this claims to be a PNG or a JPEG.
ACCEPTED_SIGNATURES = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff")
# How many leading bytes are read to name a refused file.
SNIFF_BYTES = 512
# (signature, offset, what the file is) of formats often sent instead.
SIGNATURES = [
    (b"GIF87a", 0, "GIF images"),
    (b"GIF89a", 0, "GIF images"),
    (b"WEBP", 8, "WebP images"),
    (b"BM", 0, "BMP images"),
    (b"II*\x00", 0, "TIFF images"),
    (b"MM\x00*", 0, "TIFF images"),
    (b"%PDF-", 0, "PDF documents"),
    (b"ftypheic", 4, "HEIC images"),
    (b"ftypheix", 4, "HEIC images"),
    (b"ftypmif1", 4, "HEIF images"),
    (b"ftypavif", 4, "AVIF images"),
    (b"\x00\x00\x00\x0cjP  ", 0, "JPEG 2000 images"),
    (b"\x00\x00\x01\x00", 0, "ICO images"),
    (b"8BPS", 0, "Photoshop documents"),
    (b"%!PS", 0, "PostScript documents"),
]

# EXIF orientations that turn the picture on its side; the other transposes
# keep width and height as stored.
SIDEWAYS_ORIENTATIONS = {5, 6, 7, 8}
TRANSPOSES = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


class InvalidImage(ValueError):
    """The upload is not an image this product accepts."""

    def __init__(self, message, code):
        super().__init__(message)
        self.message = message
        self.code = code


# Resizing first averages blocks of pixels while the image is still more than
# this many times the target, then finishes with Lanczos: the result cannot be
# told from a Lanczos resize all the way, at a fraction of the cost.
REDUCING_GAP = 2.0
# Rows converted and block-averaged at a time when a large image with alpha
# is shrunk, so that no premultiplied copy of the whole image is ever held.
STRIP_ROWS = 240
# Modes whose alpha must be premultiplied before resampling, or transparent
# pixels would bleed their hidden colour into the visible ones.
PREMULTIPLIED = {"RGBA": "RGBa", "LA": "La"}
STRAIGHT = {value: key for key, value in PREMULTIPLIED.items()}


@dataclass(frozen=True)
class Decoded:
    """An original decoded once, at a scale big enough for its thumbnails.

    `image` is loaded and in a mode fit for resizing (alpha premultiplied),
    still in the stored orientation; `box` is the part of it that holds the
    whole original (a JPEG decoded at a reduced scale overhangs by a
    fraction of a pixel). `upright_size` is the original's upright size.
    """

    image: Image.Image
    box: tuple[float, float, float, float]
    format: str
    orientation: int
    upright_size: tuple[int, int]
    icc_profile: bytes | None

    def reduced_for(self, heights):
        """Return a copy shrunk by block averaging as far as `heights` allow.

        Every thumbnail of `heights` can then be made from the copy as well
        as from the full decode, each with a short Lanczos resize.
        """
        width, height = _stored_size(self, max(heights))
        factor = int(
            min(
                (self.box[2] - self.box[0]) / width,
                (self.box[3] - self.box[1]) / height,
            )
            / REDUCING_GAP
        )
        if factor < 2:
            return self
        return Decoded(
            image=_reduce(self.image, factor),
            box=tuple(edge / factor for edge in self.box),
            format=self.format,
            orientation=self.orientation,
            upright_size=self.upright_size,
            icc_profile=self.icc_profile,
        )


@dataclass(frozen=True)
class ImageFacts:
    """What an accepted upload is: its format and its upright size.

    `decoded` holds the pixels read while checking the upload when the
    caller asked for thumbnail heights, so that its thumbnails need no
    second decode; None otherwise.
    """

    format: str
    width: int
    height: int
    decoded: Decoded | None = field(default=None, compare=False, repr=False)


def inspect_upload(file, *, max_bytes, max_pixels, heights=()):
    """Check that `file` is a whole PNG or JPEG within limits; describe it.

    The format comes from the content alone. The header is read first, so
    a file that claims too many pixels is refused before anything is
    decoded. The check decodes the whole image; given thumbnail `heights`,
    it decodes at the scale the largest of them needs and keeps the result
    in the facts. Raises InvalidImage with a message fit for the client.
    """
    size = file.size
    if size > max_bytes:
        raise InvalidImage(
            f"The file is {size} bytes; the limit is {max_bytes} bytes.",
            code="file_too_large",
        )

    with _open(file) as image:
        if image.format not in ACCEPTED_FORMATS:
            raise InvalidImage(
                f"{image.format} images are not accepted; upload a PNG or JPEG.",
                code="unsupported_format",
            )
        width, height = image.size
        if width * height > max_pixels:
            raise InvalidImage(
                f"The image is {width}x{height}, {width * height} pixels; "
                f"the limit is {max_pixels} pixels.",
                code="too_many_pixels",
            )
        image_format = ACCEPTED_FORMATS[image.format]

    (width, height), decoded = _check_decodes(file, image_format, heights)
    return ImageFacts(image_format, width, height, decoded)


@contextmanager
def _open(file):
    """Open an upload with Pillow, turning every failure into InvalidImage.

    Only the PNG and JPEG readers are tried: no other decoder ever sees an
    upload, whatever it claims to be.
    """
    file.seek(0)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(file, formats=READERS)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise InvalidImage(
            "The image has far too many pixels.", code="too_many_pixels"
        ) from None
    except Exception as exc:
        file.seek(0)
        raise _refusal(file.read(SNIFF_BYTES)) from exc
    try:
        # Leaving the `with` frees the image but, unlike close(), leaves the
        # caller's file open.
        with image:
            yield image
    finally:
        file.seek(0)


def _refusal(head):
    """Return the InvalidImage for a file Pillow could not open as PNG or JPEG.

    `head` is the file's first bytes; the message names what they show.
    """
    if head and any(
        head.startswith(sig) or sig.startswith(head) for sig in ACCEPTED_SIGNATURES
    ):
        return InvalidImage(
            "The image data is truncated or corrupt.", code="corrupt_image"
        )
    text = _as_text(head)
    kind = _format_kind(head, text)
    if kind:
        return InvalidImage(
            f"{kind} are not accepted; upload a PNG or JPEG.",
            code="unsupported_format",
        )
    if text is None:
        return InvalidImage(
            "The file is not an image; upload a PNG or JPEG.", code="not_an_image"
        )
    lowered = text.lstrip().lower()
    if lowered.startswith(("<!doctype html", "<html", "<head", "<body", "<script")):
        kind = "an HTML document"
    elif lowered.startswith("<"):
        kind = "an XML or HTML document"
    else:
        kind = "a text file"
    return InvalidImage(
        f"The file is {kind}, not an image; upload a PNG or JPEG.",
        code="not_an_image",
    )


def _format_kind(head, text):
    """Name the format whose signature `head` carries, or return None."""
    for signature, offset, kind in SIGNATURES:
        if head[offset : offset + len(signature)] == signature:
            return kind
    if text is not None and "<svg" in text.lower():
        return "SVG images"
    return None


def _as_text(head):
    """Return `head` decoded as UTF-8 text, or None if it is not text."""
    decoder = codecs.getincrementaldecoder("utf-8-sig")()
    try:
        # A head cut short by SNIFF_BYTES may end inside a character.
        text = decoder.decode(head, final=len(head) < SNIFF_BYTES)
    except UnicodeDecodeError:
        return None
    if not text or any(ch < " " and ch not in "\t\n\r\f" for ch in text):
        return None
    return text


def _check_decodes(file, image_format, heights):
    """Decode the whole image once, so truncated or corrupt data is refused.

    PNG chunks are checked against their checksums first. JPEGs decode at
    the smallest scale that still serves the largest of `heights` (without
    heights, the smallest libjpeg offers): every byte of the entropy-coded
    data is read at any scale. Returns the upright size and the Decoded (None
    without heights). The size is read here rather than from the header: a
    PNG may keep its EXIF after the pixels, and Pillow decodes the whole
    image to reach it.
    """
    try:
        if image_format == "png":
            with _open(file) as image:
                image.verify()
        with _open(file) as image:
            if heights:
                decoded = decode(image, heights)
                return decoded.upright_size, decoded
            if image_format == "jpeg":
                # A JPEG's EXIF is in its header; drafting changes the size.
                size = upright_size(image)
                image.draft(image.mode, (1, 1))
                image.load()
                return size, None
            image.load()
            return upright_size(image), None
    except InvalidImage:
        raise
    except Exception as exc:
        logger.info("Upload refused as undecodable: %s", exc)
        raise InvalidImage(
            "The image data is truncated or corrupt.", code="corrupt_image"
        ) from exc


def decode(image, heights):
    """Load an opened PNG or JPEG at the scale its thumbnails need.

    A JPEG is decoded straight at the smallest scale libjpeg offers that is
    still at least as big as the largest of `heights` needs; any other
    format in full. Raises what Pillow raises for truncated or corrupt
    data. Returns a Decoded.
    """
    stored_size = image.size
    box = (0.0, 0.0, float(image.width), float(image.height))
    if image.format in JPEG_FORMATS:
        # A JPEG's EXIF sits in its header, readable before decoding.
        target = thumbnail_size(*upright_size(image), max(heights))
        if exif_orientation(image) in SIDEWAYS_ORIENTATIONS:
            target = target[::-1]
        drafted = image.draft(image.mode, target)
        if drafted is not None:
            box = tuple(float(edge) for edge in drafted[1])
    # A thumbnail holds one picture: that of a multi-picture JPEG is plain.
    image_format = "JPEG" if image.format in JPEG_FORMATS else image.format
    icc_profile = image.info.get("icc_profile")
    # Load before reading the orientation: a PNG may keep its EXIF after the
    # pixels, and a failed decode must not hide behind a failed EXIF read.
    image.load()
    orientation = exif_orientation(image)
    width, height = stored_size
    if orientation in SIDEWAYS_ORIENTATIONS:
        width, height = height, width
    return Decoded(
        image=displayable(image),
        box=box,
        format=image_format,
        orientation=orientation,
        upright_size=(width, height),
        icc_profile=icc_profile,
    )


def exif_orientation(image):
    """Return the EXIF orientation (1 to 8), 1 when missing or unreadable."""
    try:
        orientation = image.getexif().get(ExifTags.Base.Orientation, 1)
    except Exception:
        # A broken EXIF block must not cost the user their upload.
        return 1
    return orientation if orientation in range(1, 9) else 1


def upright_size(image):
    """Return (width, height) of the image as it should be displayed."""
    width, height = image.size
    if exif_orientation(image) in SIDEWAYS_ORIENTATIONS:
        return height, width
    return width, height


def thumbnail_size(width, height, target_height):
    """Return the (width, height) of a thumbnail at most `target_height` high.

    Never upscales; the width keeps the proportion, rounded half up, and is
    at least one pixel.
    """
    new_height = min(target_height, height)
    new_width = (2 * width * new_height + height) // (2 * height)
    return max(1, new_width), new_height


def displayable(image):
    """Return `image` in a mode that resizes well and saves as PNG or JPEG."""
    mode = image.mode
    if mode in ("L", "LA", "RGB", "RGBA"):
        return image
    if mode == "P" or mode == "PA":
        has_alpha = mode == "PA" or "transparency" in image.info
        return image.convert("RGBA" if has_alpha else "RGB")
    if mode.startswith("I"):
        # 16-bit grey: scale to 8 bits instead of clipping to white.
        return image.convert("I").point(lambda value: value / 256).convert("L")
    if mode == "1":
        return image.convert("L")
    if mode in ("La", "RGBa"):
        return image.convert(mode.upper())
    return image.convert("RGB")


def _stored_size(decoded, height):
    """Return the size, as stored (not upright), of the thumbnail at `height`."""
    size = thumbnail_size(*decoded.upright_size, height)
    if decoded.orientation in SIDEWAYS_ORIENTATIONS:
        return size[::-1]
    return size


def _reduce(image, factor):
    """Return `image` block-averaged by `factor`, alpha premultiplied.

    An image with alpha is premultiplied strip by strip: a premultiplied
    copy of the whole image would double the memory a large PNG takes.
    Strips are a multiple of `factor` rows high, so the blocks are exactly
    those of a reduce over the whole image.
    """
    premultiplied = PREMULTIPLIED.get(image.mode)
    if premultiplied is None:
        return image.reduce(factor)

    rows = max(1, STRIP_ROWS // factor) * factor
    width, height = image.size
    reduced = Image.new(premultiplied, (-(-width // factor), -(-height // factor)))
    for top in range(0, height, rows):
        strip = image.crop((0, top, width, min(top + rows, height)))
        reduced.paste(strip.convert(premultiplied).reduce(factor), (0, top // factor))
    return reduced


def fit_height(decoded, height):
    """Return the thumbnail of `decoded` at `height`: upright, never upscaled.

    The EXIF orientation is applied to the small result rather than to the
    large source.
    """
    target = _stored_size(decoded, height)
    image = decoded.image
    whole = (0.0, 0.0, float(image.width), float(image.height))
    if image.size != target or decoded.box != whole:
        if image.mode in PREMULTIPLIED:
            image = image.convert(PREMULTIPLIED[image.mode])
        image = image.resize(
            target,
            Image.Resampling.LANCZOS,
            box=decoded.box,
            reducing_gap=REDUCING_GAP,
        )
    if image.mode in STRAIGHT:
        image = image.convert(STRAIGHT[image.mode])
    if decoded.orientation in TRANSPOSES:
        image = image.transpose(TRANSPOSES[decoded.orientation])
    return image


class FitHeight:
    """An imagekit processor: shrink an opened image to a height, upright.

    JPEGs are decoded straight at the smallest scale that is still at least
    the target size, and the rest of the way is a block average then a
    Lanczos resize; see decode() and fit_height().
    """

    def __init__(self, height):
        self.height = height

    def process(self, image):
        return fit_height(decode(image, [self.height]), self.height)
