from django.apps import AppConfig
from django.conf import settings
from django.core.signals import setting_changed

from .imaging import raise_pillow_pixel_limit


class UploadsConfig(AppConfig):
    name = "uploads"
    verbose_name = "Images"

    def ready(self):
        from . import checks, signals  # noqa: F401

        _follow_pixel_limit()
        setting_changed.connect(_follow_pixel_limit, dispatch_uid="pixel-limit")


def _follow_pixel_limit(setting="IMAGEAPI_MAX_IMAGE_PIXELS", **kwargs):
    """Keep Pillow's own pixel limit no lower than the configured one."""
    if setting == "IMAGEAPI_MAX_IMAGE_PIXELS":
        raise_pillow_pixel_limit(settings.IMAGEAPI_MAX_IMAGE_PIXELS)
