"""imagekit specs for thumbnails: one spec per height, registered on demand.

Heights come from the tiers in the database, which admins edit at any
time, so a spec is made and registered the first time a height is asked
for rather than at import.
"""

import posixpath
import threading

from django.conf import settings
from imagekit import ImageSpec, register
from imagekit.utils import img_to_fobj
from PIL import PngImagePlugin

from .imaging import FitHeight, decode, fit_height, open_png_or_jpeg

_specs = {}
_specs_lock = threading.Lock()


def thumbnail_name(source_name, height):
    """Return the storage name of a thumbnail, beside its original."""
    extension = posixpath.splitext(source_name)[1]
    return posixpath.join(posixpath.dirname(source_name), f"{height}{extension}")


def save_options(decoded):
    """Return the keyword arguments for saving a thumbnail of `decoded`.

    The thumbnail carries the colour profile, or the PNG colour chunks, the
    decode kept for it, and nothing else of the original's metadata.
    """
    options = {}
    if decoded.format == "JPEG":
        options["quality"] = settings.IMAGEAPI_JPEG_QUALITY
    if decoded.format == "PNG":
        options["compress_level"] = settings.IMAGEAPI_PNG_COMPRESS_LEVEL
        if decoded.png_colour_chunks:
            chunks = PngImagePlugin.PngInfo()
            for kind, data in decoded.png_colour_chunks:
                chunks.add(kind, data)
            options["pnginfo"] = chunks
    if decoded.icc_profile:
        options["icc_profile"] = decoded.icc_profile
    return options


class SharedDecode:
    """One decode of an original, shared by its thumbnails of several heights.

    The original is read on the first thumbnail that has to be made, at the
    scale the largest of `heights` needs, and shrunk by block averaging as
    far as all of them allow; every height then starts from those pixels.
    `decoded` may hand over a decode made earlier, such as the upload check's.
    """

    def __init__(self, file, heights, decoded=None):
        self.file = file
        self.heights = tuple(heights)
        self._decoded = decoded.reduced_for(self.heights) if decoded else None

    def decoded(self):
        """Return the shared pixels, decoding the original on first use."""
        if self._decoded is None:
            self.file.open("rb")
            try:
                with open_png_or_jpeg(self.file) as image:
                    decoded = decode(image, self.heights)
            finally:
                self.file.close()
            self._decoded = decoded.reduced_for(self.heights)
        return self._decoded


class Thumbnail(ImageSpec):
    """A copy of the source `height` pixels high, in the source's format.

    Subclasses set `height`; use `thumbnail_spec()` to get one. Given a
    SharedDecode as `shared`, the spec takes its pixels from there instead
    of decoding the source itself.
    """

    height = None
    # Modes are handled by FitHeight: imagekit's conversion would flatten
    # grey images with alpha to RGB.
    autoconvert = False

    def __init__(self, source, shared=None):
        super().__init__(source)
        self.shared = shared

    @property
    def processors(self):
        return [FitHeight(self.height)]

    @property
    def cachefile_name(self):
        return thumbnail_name(self.source.name, self.height)

    def generate(self):
        """Return a file object holding the encoded thumbnail.

        Unlike the inherited method this keeps the colour profile, writes
        no metadata and saves in the source's own format.
        """
        decoded = (self.shared or SharedDecode(self.source, [self.height])).decoded()
        thumbnail = fit_height(decoded, self.height)
        # Pillow writes parts of `info`, such as a JPEG's comment, into the
        # file; a thumbnail carries no metadata but what says how to read
        # its colours.
        thumbnail.info = {}
        options = save_options(decoded)
        return img_to_fobj(thumbnail, decoded.format, autoconvert=False, **options)


def thumbnail_spec(height):
    """Return the spec class for thumbnails `height` pixels high.

    The first call for a height registers the spec with imagekit under the
    id ``uploads:thumbnail:<height>``.
    """
    spec = _specs.get(height)
    if spec is not None:
        return spec
    with _specs_lock:
        spec = _specs.get(height)
        if spec is None:
            spec = type(f"Thumbnail{height}", (Thumbnail,), {"height": height})
            register.generator(f"uploads:thumbnail:{height}", spec)
            _specs[height] = spec
    return spec
