"""Keep cached tier grants in step with edits made through the ORM."""

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from .grants import forget_tier
from .models import ThumbnailHeight, Tier


def forget_now_and_after_commit(tier_id):
    """Drop the tier's cached grants now and again once the edit is committed.

    The second drop matters when the edit runs in a transaction, as every
    django-admin save does: a request in another process may read the old
    rows between the first drop and the commit and cache them again.
    """
    forget_tier(tier_id)
    transaction.on_commit(lambda: forget_tier(tier_id))


@receiver([post_save, post_delete], sender=Tier)
def forget_edited_tier(sender, instance, **kwargs):
    forget_now_and_after_commit(instance.pk)


@receiver([post_save, post_delete], sender=ThumbnailHeight)
def forget_tier_of_edited_height(sender, instance, **kwargs):
    forget_now_and_after_commit(instance.tier_id)
