"""What a tier grants, looked up once and remembered in the cache."""

from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

from .models import Tier


@dataclass(frozen=True)
class Grants:
    """The renditions and links a tier allows, in a form cheap to cache."""

    heights: tuple[int, ...]
    original_link: bool
    expiring_links: bool

    def allows_height(self, height):
        return height in self.heights


def _cache_key(tier_id):
    return f"tiers:grants:{tier_id}"


def grants_for_tier(tier_id):
    """Return the tier's grants, from the cache or with one query.

    Raises Tier.DoesNotExist for an unknown id.
    """
    key = _cache_key(tier_id)
    grants = cache.get(key)
    if grants is not None:
        return grants

    rows = list(
        Tier.objects.filter(pk=tier_id)
        .order_by("thumbnail_heights__height")
        .values_list("original_link", "expiring_links", "thumbnail_heights__height")
    )
    if not rows:
        raise Tier.DoesNotExist(f"No tier with id {tier_id}.")
    original_link, expiring_links, _ = rows[0]
    grants = Grants(
        heights=tuple(height for *_, height in rows if height is not None),
        original_link=original_link,
        expiring_links=expiring_links,
    )
    cache.set(key, grants, settings.IMAGEAPI_TIER_CACHE_SECONDS)
    return grants


def forget_tier(tier_id):
    """Drop the tier's cached grants so the next lookup reads the database."""
    key = _cache_key(tier_id)
    cache.delete(key)
    # A request that read the tier before the edit was committed may have
    # cached the old grants again in the meantime.
    transaction.on_commit(lambda: cache.delete(key))
