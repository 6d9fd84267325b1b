"""Create the demo accounts: one user per builtin tier and an admin."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from tiers.models import Tier

DEMO_USERS = {"basic": "Basic", "premium": "Premium", "enterprise": "Enterprise"}


class Command(BaseCommand):
    help = (
        "Create the users basic, premium and enterprise on the matching tiers "
        "and the superuser admin, all with the password in DEMO_PASSWORD "
        "(default: demo-password). Safe to run again. Local use only."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--force",
            action="store_true",
            help="Run even though DEBUG is off.",
        )

    def handle(self, *args, force=False, **options):
        if not settings.DEBUG and not force:
            raise CommandError(
                "seed_demo creates accounts with a known password and is meant "
                "for local use; DEBUG is off. Pass --force to run it anyway."
            )

        password = settings.DEMO_PASSWORD
        for username, tier_name in DEMO_USERS.items():
            try:
                tier = Tier.objects.get(name=tier_name)
            except Tier.DoesNotExist:
                raise CommandError(
                    f"The builtin tier {tier_name!r} is missing; run migrate, "
                    "or restore the tier in django-admin."
                ) from None
            self._ensure_user(username, password, tier=tier)
        self._ensure_user(
            "admin", password, is_staff=True, is_superuser=True
        )

    def _ensure_user(self, username, password, **fields):
        User = get_user_model()
        user, created = User.objects.update_or_create(
            username=username, defaults=fields
        )
        user.set_password(password)
        user.save(update_fields=["password"])
        verb = "Created" if created else "Updated"
        self.stdout.write(f"{verb} user {username!r}.")
