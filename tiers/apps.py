from django.apps import AppConfig


class TiersConfig(AppConfig):
    name = "tiers"
    verbose_name = "Tiers and users"

    def ready(self):
        from . import signals  # noqa: F401
