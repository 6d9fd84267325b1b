"""Keep cached tier grants in step with edits made through the ORM."""

from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver

from .grants import forget_tier
from .models import ThumbnailHeight, Tier


@receiver([post_save, post_delete], sender=Tier)
def forget_edited_tier(sender, instance, **kwargs):
    forget_tier(instance.pk)


@receiver(pre_save, sender=ThumbnailHeight)
def note_tier_of_stored_height(sender, instance, **kwargs):
    """Remember which tier a height belonged to before this save."""
    instance._stored_tier_id = None
    if instance.pk is None:
        return

    instance._stored_tier_id = (
        ThumbnailHeight.objects.filter(pk=instance.pk)
        .values_list("tier_id", flat=True)
        .first()
    )


@receiver([post_save, post_delete], sender=ThumbnailHeight)
def forget_tier_of_edited_height(sender, instance, **kwargs):
    forget_tier(instance.tier_id)
    # A height moved to another tier must leave the grants of the first too.
    stored_tier_id = getattr(instance, "_stored_tier_id", None)
    if stored_tier_id not in (None, instance.tier_id):
        forget_tier(stored_tier_id)
