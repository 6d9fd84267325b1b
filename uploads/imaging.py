"""Reading uploaded images and shrinking them, with Pillow.

Nothing here touches the database or the storage: functions take file
objects and PIL images and return facts or new images.
"""

import codecs
import logging
import warnings
from contextlib import contextmanager
from dataclasses import dataclass

from PIL import ExifTags, Image

logger = logging.getLogger(__name__)

ACCEPTED_FORMATS = {"JPEG": "jpeg", "PNG": "png"}
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


@dataclass(frozen=True)
class ImageFacts:
    """What an accepted upload is: its format and its upright size."""

    format: str
    width: int
    height: int


def inspect_upload(file, *, max_bytes, max_pixels):
    """Check that `file` is a whole PNG or JPEG within limits; describe it.

    The format comes from the content alone. The header is read first, so
    a file that claims too many pixels is refused before anything is
    decoded. Raises InvalidImage with a message fit for the client.
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
        facts = ImageFacts(ACCEPTED_FORMATS[image.format], *upright_size(image))

    _check_decodes(file, facts.format)
    return facts


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
            image = Image.open(file, formats=list(ACCEPTED_FORMATS))
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


def _check_decodes(file, image_format):
    """Decode the whole image once, so truncated or corrupt data is refused.

    PNG chunks are checked against their checksums first. JPEGs decode at
    the smallest scale libjpeg offers: every byte of the entropy-coded data
    is still read, at a sixty-fourth of the memory.
    """
    try:
        if image_format == "png":
            with _open(file) as image:
                image.verify()
        with _open(file) as image:
            if image_format == "jpeg":
                image.draft(image.mode, (1, 1))
            image.load()
    except InvalidImage:
        raise
    except Exception as exc:
        logger.info("Upload refused as undecodable: %s", exc)
        raise InvalidImage(
            "The image data is truncated or corrupt.", code="corrupt_image"
        ) from exc


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


class FitHeight:
    """An imagekit processor: shrink an image to a height, upright.

    JPEGs are decoded straight at the smallest scale that is still at least
    the target size, the rest of the way is a Lanczos resize, and the EXIF
    orientation is applied to the small result rather than the original.
    """

    def __init__(self, height):
        self.height = height

    def process(self, image):
        orientation = exif_orientation(image)
        width, height = upright_size(image)
        target = thumbnail_size(width, height, self.height)
        if orientation in SIDEWAYS_ORIENTATIONS:
            target = target[::-1]

        if image.format == "JPEG":
            image.draft(image.mode, target)
        image = displayable(image)
        if image.size != target:
            image = image.resize(target, Image.Resampling.LANCZOS)
        if orientation in TRANSPOSES:
            image = image.transpose(TRANSPOSES[orientation])
        return image
