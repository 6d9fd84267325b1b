"""Keep cached tier grants in step with edits made through the ORM."""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from .grants import forget_tier
from .models import ThumbnailHeight, Tier


@receiver([post_save, post_delete], sender=Tier)
def forget_edited_tier(sender, instance, **kwargs):
    forget_tier(instance.pk)


@receiver([post_save, post_delete], sender=ThumbnailHeight)
def forget_tier_of_edited_height(sender, instance, **kwargs):
    forget_tier(instance.tier_id)
