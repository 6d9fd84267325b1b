"""Reading uploaded images and shrinking them, with Pillow.

Nothing here touches the database or the storage: functions take file
objects and PIL images and return facts or new images.
"""

import codecs
import io
import logging
import struct
import zlib
from contextlib import contextmanager
from dataclasses import dataclass, field, replace

from PIL import (
    ExifTags,
    Image,
    ImageChops,
    ImageCms,
    JpegImagePlugin,
    PngImagePlugin,
)

logger = logging.getLogger(__name__)

# Pillow names a JPEG that carries more pictures after the first (phones
# store depth and gain maps that way) MPO; it is still a JPEG file.
ACCEPTED_FORMATS = {"JPEG": "jpeg", "MPO": "jpeg", "PNG": "png"}
JPEG_FORMATS = {"JPEG", "MPO"}
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
JPEG_SIGNATURE = b"\xff\xd8\xff"
# A file that starts like this claims to be a PNG or a JPEG.
ACCEPTED_SIGNATURES = (PNG_SIGNATURE, JPEG_SIGNATURE)
# The only Pillow readers a file is given to, chosen by its signature. They
# are called directly rather than through Image.open(), which would apply
# Pillow's own pixel limit before the product's could name the problem, and
# would read a JPEG carrying more pictures (MPO) with a reader that trusts
# their index, when a thumbnail only ever needs the first picture.
READERS = (
    (PNG_SIGNATURE, PngImagePlugin.PngImageFile),
    (JPEG_SIGNATURE, JpegImagePlugin.JpegImageFile),
)
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


# Chunks whose contents Pillow keeps in memory while it reads a PNG.
PNG_METADATA_CHUNKS = {b"tEXt", b"zTXt", b"iTXt", b"iCCP", b"eXIf"}
# All the metadata of one PNG, inflated, as Pillow would hold it. Real files
# carry kilobytes, yet a few kilobytes of zTXt can inflate to megabytes.
MAX_PNG_METADATA_BYTES = 8 * 1024 * 1024
# Output taken from zlib at a time while measuring compressed metadata.
INFLATE_STEP = 64 * 1024

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
# The colour space an ICC profile must describe to fit pixels of a mode.
PROFILE_SPACES = {"L": "GRAY", "LA": "GRAY", "RGB": "RGB", "RGBA": "RGB"}


@dataclass(frozen=True)
class Decoded:
    """An original decoded once, at a scale big enough for its thumbnails.

    `image` is loaded, still in the stored orientation, and in the mode it
    was read in (see displayable()), CMYK aside, which is turned into sRGB at
    once; once reduced, it is displayable with alpha premultiplied. `box`
    is the part of it that holds the whole original (a JPEG decoded at a
    reduced scale overhangs by a fraction of a pixel). `upright_size` is the
    original's upright size. `icc_profile` is the profile the thumbnails
    carry, None when their pixels are to be read as sRGB; `png_colour_chunks`
    are the (type, data) of the PNG chunks that describe its colours without
    a profile.
    """

    image: Image.Image
    box: tuple[float, float, float, float]
    format: str
    orientation: int
    upright_size: tuple[int, int]
    icc_profile: bytes | None
    png_colour_chunks: tuple[tuple[bytes, bytes], ...] = ()

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
        return replace(
            self,
            image=_reduce(self.image, factor),
            box=tuple(edge / factor for edge in self.box),
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
    a file that claims too many pixels, or PNG metadata that inflates too
    far, is refused before anything is decoded or inflated. The check
    decodes the whole image; given thumbnail `heights`, it decodes at the
    scale the largest of them needs and keeps the result in the facts.
    Raises InvalidImage with a message fit for the client.
    """
    size = file.size
    if size > max_bytes:
        raise InvalidImage(
            f"The file is {size} bytes; the limit is {max_bytes} bytes.",
            code="file_too_large",
        )
    _check_png_metadata(file)

    with open_png_or_jpeg(file) as image:
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


def raise_pillow_pixel_limit(max_pixels):
    """Make Pillow's own pixel limit at least `max_pixels`, never lower it.

    Uploads are checked against the product's limit before Pillow decodes
    anything, but Pillow applies its own, process-wide one in places such
    as crop(): a configured limit above Pillow's default would otherwise
    fail images the product accepted. Meant for start-up, before any
    request, so that no image ever sees the value change.
    """
    if Image.MAX_IMAGE_PIXELS is not None and Image.MAX_IMAGE_PIXELS < max_pixels:
        Image.MAX_IMAGE_PIXELS = max_pixels


@contextmanager
def open_png_or_jpeg(file):
    """Open a file with Pillow's PNG or JPEG reader, as its signature says.

    Only the header is read. No other reader ever sees the file, whatever it
    claims to be; every failure becomes InvalidImage.
    """
    file.seek(0)
    head = file.read(SNIFF_BYTES)
    file.seek(0)
    reader = next((found for sig, found in READERS if head.startswith(sig)), None)
    if reader is None:
        raise _refusal(head)
    try:
        image = reader(file)
    except Exception as exc:
        file.seek(0)
        raise _refusal(head) from exc
    try:
        # Leaving the `with` frees the image but, unlike close(), leaves the
        # caller's file open.
        with image:
            yield image
    finally:
        file.seek(0)


def _check_png_metadata(file):
    """Refuse a PNG whose metadata chunks inflate beyond the limits.

    Only chunk headers and metadata chunks are read, and compressed metadata
    is inflated a step at a time and thrown away, so memory stays flat
    whatever the file claims. Each compressed chunk may inflate to Pillow's
    own limit for one chunk, all metadata together to MAX_PNG_METADATA_BYTES.
    Damage to the chunk layout is left to the checks that follow. Does
    nothing for a file that is not a PNG.
    """
    file.seek(0)
    if file.read(len(PNG_SIGNATURE)) != PNG_SIGNATURE:
        file.seek(0)
        return
    chunk_limit = PngImagePlugin.MAX_TEXT_CHUNK
    room = MAX_PNG_METADATA_BYTES
    offset = len(PNG_SIGNATURE)
    while True:
        file.seek(offset)
        header = file.read(8)
        if len(header) < 8:
            break
        length, kind = struct.unpack(">I4s", header)
        if kind == b"IEND":
            break
        if kind in PNG_METADATA_CHUNKS:
            if length > room:
                raise _too_much_metadata()
            compressed = _compressed_metadata(kind, file.read(length))
            kept = length
            if compressed is not None:
                kept = _inflated_size(compressed, chunk_limit)
                if kept > chunk_limit:
                    name = kind.decode("ascii")
                    raise InvalidImage(
                        f"A {name} chunk of the PNG expands to more than "
                        f"{chunk_limit} bytes; the limit is {chunk_limit} bytes.",
                        code="metadata_too_large",
                    )
            room -= kept
            if room < 0:
                raise _too_much_metadata()
        offset += 12 + length
    file.seek(0)


def _too_much_metadata():
    return InvalidImage(
        f"The PNG's metadata expands to more than {MAX_PNG_METADATA_BYTES} "
        f"bytes; the limit is {MAX_PNG_METADATA_BYTES} bytes.",
        code="metadata_too_large",
    )


def _compressed_metadata(kind, data):
    """Return the zlib stream inside a metadata chunk, or None if it has none."""
    if kind in (b"zTXt", b"iCCP"):
        # Name, NUL, compression method, then the stream.
        return data.partition(b"\0")[2][1:]
    if kind == b"iTXt":
        # Keyword, NUL, compressed flag, method, language, NUL, translated
        # keyword, NUL, then the text.
        rest = data.partition(b"\0")[2]
        if rest[:1] != b"\x01":
            return None
        return rest[2:].partition(b"\0")[2].partition(b"\0")[2]
    return None


def _inflated_size(compressed, limit):
    """Return the size `compressed` inflates to, or more than `limit` if larger.

    A stream that fails to inflate counts as empty: Pillow keeps nothing of it.
    """
    inflater = zlib.decompressobj()
    size = 0
    try:
        while compressed and size <= limit:
            size += len(inflater.decompress(compressed, INFLATE_STEP))
            compressed = inflater.unconsumed_tail
        if size <= limit:
            size += len(inflater.flush())
    except zlib.error:
        return 0
    return size


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
            with open_png_or_jpeg(file) as image:
                image.verify()
        with open_png_or_jpeg(file) as image:
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
    format in full. An animated PNG gives its first frame. Raises what
    Pillow raises for truncated or corrupt data. Returns a Decoded.
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
    png_rawmode = _png_rawmode(image)
    # Load before reading the orientation: a PNG may keep its EXIF after the
    # pixels, and a failed decode must not hide behind a failed EXIF read.
    image.load()
    orientation = exif_orientation(image)
    if getattr(image, "default_image", False):
        image = _first_animation_frame(image)
    width, height = stored_size
    if orientation in SIDEWAYS_ORIENTATIONS:
        width, height = height, width
    pixels, icc_profile = _colour_managed(
        _correct_png_quirks(image, png_rawmode), image.info.get("icc_profile")
    )
    return Decoded(
        image=pixels,
        box=box,
        format=image_format,
        orientation=orientation,
        upright_size=(width, height),
        icc_profile=icc_profile,
        png_colour_chunks=_png_colour_chunks(image) if image_format == "PNG" else (),
    )


def _png_rawmode(image):
    """Return how an unloaded PNG stores its samples ("L;2", "RGB;16B"...)."""
    if image.format != "PNG" or not image.tile:
        return ""
    args = image.tile[0].args
    return args if isinstance(args, str) else ""


def _first_animation_frame(image):
    """Return the first frame of an APNG whose static image is not a frame.

    Viewers that play APNG never show that static image, and the first
    frame is drawn on a transparent canvas; Pillow would draw it over the
    static image, which shows through wherever the frame is transparent.
    """
    image.paste(0, (0, 0, *image.size))
    image.seek(1)
    image.load()
    return image


def _correct_png_quirks(image, png_rawmode):
    """Return `image` with what Pillow's PNG reader leaves inconsistent fixed.

    Pillow scales grey samples of 2 and 4 bits up to 8 but leaves the
    transparent grey of tRNS unscaled; it cuts 16-bit colour to 8 bits but
    keeps the transparent colour in 16 (so pixels whose top 8 bits match it
    become transparent); and it reads 16-bit grey with alpha as RGBA.
    """
    key = image.info.get("transparency")
    if png_rawmode in ("L;2", "L;4") and isinstance(key, int):
        image.info["transparency"] = key * 255 // (2 ** int(png_rawmode[2:]) - 1)
    elif png_rawmode == "RGB;16B" and isinstance(key, tuple):
        image.info["transparency"] = tuple(value >> 8 for value in key)
    elif png_rawmode == "LA;16B":
        return image.convert("LA")
    return image


def _colour_managed(image, icc_profile):
    """Return the pixels to shrink and the ICC profile thumbnails carry.

    CMYK becomes sRGB, through its own profile when it has one that lcms
    can use, and carries no profile: browsers show CMYK JPEGs poorly or not
    at all. Other pixels keep their profile when it describes their colour
    space, so a wide-gamut image keeps its colours at no cost; one that does
    not, or that cannot be read, is dropped, as browsers ignore it anyway.
    """
    space = _profile_space(icc_profile) if icc_profile else None
    if image.mode == "CMYK":
        return _cmyk_to_srgb(image, icc_profile if space == "CMYK" else None), None
    if space != PROFILE_SPACES.get(displayable_mode(image)):
        return image, None
    return image, icc_profile


def _profile_space(icc_profile):
    """Return the colour space an ICC profile describes, None if unreadable."""
    try:
        profile = ImageCms.ImageCmsProfile(io.BytesIO(icc_profile))
    except (OSError, ValueError, TypeError, ImageCms.PyCMSError):
        return None
    return profile.profile.xcolor_space.strip()


def _cmyk_to_srgb(image, icc_profile):
    """Return CMYK pixels as sRGB: through `icc_profile`, else by ink sums.

    Without a profile, Pillow's arithmetic is what browsers do as well.
    """
    if icc_profile is not None:
        try:
            return ImageCms.profileToProfile(
                image,
                ImageCms.ImageCmsProfile(io.BytesIO(icc_profile)),
                ImageCms.createProfile("sRGB"),
                renderingIntent=ImageCms.Intent.RELATIVE_COLORIMETRIC,
                outputMode="RGB",
            )
        except ImageCms.PyCMSError:
            logger.info("A CMYK profile could not be used; converting without.")
    return image.convert("RGB")


def _png_colour_chunks(image):
    """Return (type, data) of the sRGB, gAMA and cHRM chunks a PNG had."""
    info = image.info
    chunks = []
    if "srgb" in info:
        chunks.append((b"sRGB", bytes([info["srgb"]])))
    if "gamma" in info:
        chunks.append((b"gAMA", struct.pack(">I", round(info["gamma"] * 100000))))
    if "chromaticity" in info:
        values = (round(value * 100000) for value in info["chromaticity"])
        chunks.append((b"cHRM", struct.pack(">8I", *values)))
    return tuple(chunks)


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


def displayable_mode(image):
    """Return the mode displayable() gives `image`: L, LA, RGB or RGBA."""
    mode = image.mode
    keyed = "transparency" in image.info
    if mode in ("LA", "RGBA", "La", "RGBa"):
        return mode.upper()
    if mode == "RGB" and not keyed:
        return mode
    if mode in ("1", "L") or mode.startswith("I"):
        return "LA" if keyed else "L"
    if mode == "PA" or (mode in ("P", "RGB") and keyed):
        return "RGBA"
    return "RGB"


def displayable(image):
    """Return `image` in a mode that resizes well and saves as PNG or JPEG.

    A transparent colour (PNG's tRNS) becomes an alpha channel, so it stays
    transparent through resizing; 16-bit grey is scaled, not clipped.
    """
    mode = displayable_mode(image)
    if image.mode == mode:
        return image
    if image.mode.startswith("I"):
        return _deep_grey(image, mode)
    return image.convert(mode)


def _deep_grey(image, mode):
    """Return 16- or 32-bit grey as 8-bit L, or LA with its transparent grey."""
    wide = image.convert("I")
    grey = wide.point(lambda value: value / 256).convert("L")
    if mode == "L":
        return grey
    key = image.info["transparency"]
    # Converting to L clips to 0..255, so each ramp is 255 on one side of
    # the transparent grey and 0 on it; together they make the alpha.
    above = wide.point(lambda value: value * 255 - key * 255).convert("L")
    below = wide.point(lambda value: key * 255 - value * 255).convert("L")
    return Image.merge("LA", (grey, ImageChops.lighter(above, below)))


def _stored_size(decoded, height):
    """Return the size, as stored (not upright), of the thumbnail at `height`."""
    size = thumbnail_size(*decoded.upright_size, height)
    if decoded.orientation in SIDEWAYS_ORIENTATIONS:
        return size[::-1]
    return size


def _reduce(image, factor):
    """Return `image` block-averaged by `factor`, displayable, alpha premultiplied.

    An image with alpha, or in a mode displayable() changes, is converted
    strip by strip: a converted copy of the whole image would take twice
    the memory of a large RGBA PNG, four times that of a palette one. Strips
    are a multiple of `factor` rows high, so the blocks are exactly those of
    a reduce over the whole image.
    """
    mode = displayable_mode(image)
    premultiplied = PREMULTIPLIED.get(mode)
    if image.mode == mode and premultiplied is None:
        return image.reduce(factor)

    rows = max(1, STRIP_ROWS // factor) * factor
    width, height = image.size
    reduced = Image.new(
        premultiplied or mode, (-(-width // factor), -(-height // factor))
    )
    for top in range(0, height, rows):
        strip = displayable(image.crop((0, top, width, min(top + rows, height))))
        if premultiplied:
            strip = strip.convert(premultiplied)
        reduced.paste(strip.reduce(factor), (0, top // factor))
    return reduced


def fit_height(decoded, height):
    """Return the thumbnail of `decoded` at `height`: upright, never upscaled.

    The EXIF orientation is applied to the small result rather than to the
    large source. The result is always a new image, never `decoded.image`.
    """
    target = _stored_size(decoded, height)
    image = decoded.image
    if image.mode not in STRAIGHT:
        image = displayable(image)
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
    if image is decoded.image:
        # Callers clear the result's metadata before saving it; the shared
        # decode must keep its own for the next height.
        image = image.copy()
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
