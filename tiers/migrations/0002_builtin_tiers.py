"""Create the three tiers every installation starts with."""

from django.db import migrations

BUILTIN_TIERS = [
    # name, heights, original link, expiring links, default for new users
    ("Basic", [200], False, False, True),
    ("Premium", [200, 400], True, False, False),
    ("Enterprise", [200, 400], True, True, False),
]


def create_builtin_tiers(apps, schema_editor):
    Tier = apps.get_model("tiers", "Tier")
    ThumbnailHeight = apps.get_model("tiers", "ThumbnailHeight")
    for name, heights, original_link, expiring_links, is_default in BUILTIN_TIERS:
        tier, created = Tier.objects.get_or_create(
            name=name,
            defaults={
                "original_link": original_link,
                "expiring_links": expiring_links,
                "is_default": is_default,
            },
        )
        if created:
            ThumbnailHeight.objects.bulk_create(
                ThumbnailHeight(tier=tier, height=height) for height in heights
            )


def remove_builtin_tiers(apps, schema_editor):
    Tier = apps.get_model("tiers", "Tier")
    Tier.objects.filter(name__in=[name for name, *_ in BUILTIN_TIERS]).delete()


class Migration(migrations.Migration):
    dependencies = [("tiers", "0001_initial")]

    operations = [migrations.RunPython(create_builtin_tiers, remove_builtin_tiers)]
