from django.apps import AppConfig


class UploadsConfig(AppConfig):
    name = "uploads"
    verbose_name = "Images"

    def ready(self):
        from . import checks, signals  # noqa: F401
