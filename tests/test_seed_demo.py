"""The seed_demo command that makes local demo accounts."""

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from tiers.models import Tier

DEMO_USERS = {"basic": "Basic", "premium": "Premium", "enterprise": "Enterprise"}


@pytest.fixture
def debug_on(settings):
    settings.DEBUG = True


def accounts():
    return {
        user.username: (user.tier.name, user.is_staff, user.is_superuser)
        for user in get_user_model().objects.select_related("tier")
    }


def test_seed_demo_makes_a_user_per_tier_and_an_admin(db, debug_on, settings):
    settings.DEMO_PASSWORD = "let-me-in-please"

    call_command("seed_demo")

    assert accounts() == {
        "basic": ("Basic", False, False),
        "premium": ("Premium", False, False),
        "enterprise": ("Enterprise", False, False),
        "admin": ("Basic", True, True),
    }
    for user in get_user_model().objects.all():
        assert user.check_password("let-me-in-please")


def test_seed_demo_password_defaults_to_demo_password(db, debug_on):
    call_command("seed_demo")

    assert get_user_model().objects.get(username="basic").check_password(
        "demo-password"
    )


def test_seed_demo_runs_twice_without_duplicates(db, debug_on, capsys):
    call_command("seed_demo")
    call_command("seed_demo")

    assert get_user_model().objects.count() == 4
    assert accounts()["premium"] == ("Premium", False, False)
    assert "Updated user 'premium'." in capsys.readouterr().out


def test_seed_demo_puts_moved_demo_users_back_and_resets_passwords(
    db, debug_on, settings
):
    call_command("seed_demo")
    premium = get_user_model().objects.get(username="premium")
    premium.tier = get_user_model().objects.get(username="basic").tier
    premium.set_password("changed")
    premium.save()

    call_command("seed_demo")

    premium.refresh_from_db()
    assert premium.tier.name == "Premium"
    assert premium.check_password(settings.DEMO_PASSWORD)


def test_seed_demo_users_can_log_in(db, debug_on, settings, client):
    call_command("seed_demo")

    for username in [*DEMO_USERS, "admin"]:
        assert client.login(username=username, password=settings.DEMO_PASSWORD)
    assert client.get("/admin/").status_code == 200


def test_seed_demo_refuses_when_debug_is_off(db, settings):
    settings.DEBUG = False

    with pytest.raises(CommandError, match="DEBUG is off. Pass --force"):
        call_command("seed_demo")

    assert not get_user_model().objects.exists()


def test_seed_demo_runs_with_force_when_debug_is_off(db, settings):
    settings.DEBUG = False

    call_command("seed_demo", "--force")

    assert set(accounts()) == {*DEMO_USERS, "admin"}


def test_seed_demo_names_a_missing_builtin_tier(db, debug_on):
    Tier.objects.filter(name="Enterprise").delete()

    with pytest.raises(CommandError, match="The builtin tier 'Enterprise' is missing"):
        call_command("seed_demo")
