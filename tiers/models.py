"""Account tiers: which renditions of their images a user may link to."""

from django.contrib.auth.models import AbstractUser
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

MAX_THUMBNAIL_HEIGHT = 10_000


class Tier(models.Model):
    """A plan an admin assigns to users; it decides which links they get."""

    name = models.CharField(max_length=64, unique=True)
    original_link = models.BooleanField(
        "original link",
        default=False,
        help_text="Users get a permanent link to the uploaded file.",
    )
    expiring_links = models.BooleanField(
        "expiring links",
        default=False,
        help_text=(
            "Users may create time-limited links to the original or to any "
            "of the tier's thumbnails."
        ),
    )
    is_default = models.BooleanField(
        "default for new users",
        default=False,
        help_text="New users start on this tier. Exactly one tier has it.",
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"],
                condition=Q(is_default=True),
                name="one_default_tier",
                violation_error_message="Another tier is already the default.",
            ),
        ]

    def __str__(self):
        return self.name


class ThumbnailHeight(models.Model):
    """One thumbnail height, in pixels, that a tier grants."""

    tier = models.ForeignKey(
        Tier, on_delete=models.CASCADE, related_name="thumbnail_heights"
    )
    height = models.PositiveIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(MAX_THUMBNAIL_HEIGHT)],
        help_text="In pixels. The width follows the image's proportions.",
    )

    class Meta:
        ordering = ["height"]
        constraints = [
            models.UniqueConstraint(
                fields=["tier", "height"],
                name="unique_height_per_tier",
                violation_error_message="The tier already has this height.",
            ),
            models.CheckConstraint(
                condition=Q(height__gte=1) & Q(height__lte=MAX_THUMBNAIL_HEIGHT),
                name="thumbnail_height_in_range",
            ),
        ]

    def __str__(self):
        return f"{self.height} px"


def default_tier_id():
    """Return the id of the tier new users start on."""
    tier_id = (
        Tier.objects.filter(is_default=True).values_list("pk", flat=True).first()
    )
    if tier_id is None:
        # The default flag was cleared by hand; fall back to the oldest tier
        # rather than refusing to create the user.
        tier_id = Tier.objects.order_by("pk").values_list("pk", flat=True).first()
    return tier_id


class User(AbstractUser):
    """An account; its tier decides which links its images carry."""

    tier = models.ForeignKey(
        Tier,
        on_delete=models.PROTECT,
        blank=True,
        related_name="users",
        help_text=(
            "Decides which thumbnails and links this user's images get. "
            "Left empty, the default tier."
        ),
    )

    def save(self, *args, **kwargs):
        if self.tier_id is None:
            self.tier_id = default_tier_id()
        super().save(*args, **kwargs)
