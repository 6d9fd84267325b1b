"""imageapi.settings.production, loaded in a fresh process as gunicorn would."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parent.parent

# Variables that would leak the test run's own configuration into the child.
INHERITED = ("DATABASE_URL", "CACHE_URL", "SECRET_KEY", "DEBUG", "ALLOWED_HOSTS")


def realistic_environment():
    """Return what an operator sets for a deployment at images.example.com."""
    return {
        "DJANGO_SETTINGS_MODULE": "imageapi.settings.production",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "DATABASE_URL": "postgres://imageapi:s3cret@db.internal:5432/imageapi",
        "CACHE_URL": "redis://cache.internal:6379/0",
        "ALLOWED_HOSTS": "images.example.com",
        "CSRF_TRUSTED_ORIGINS": "https://images.example.com",
        "MEDIA_ROOT": "/srv/imageapi/media",
        "STATIC_ROOT": "/srv/imageapi/static",
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": "true",
        "SECURE_HSTS_PRELOAD": "true",
    }


def manage(*args, env):
    """Run manage.py in a new process with exactly `env` added to a clean base."""
    base = {k: v for k, v in os.environ.items() if k not in INHERITED}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=PROJECT,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def show(*names, env):
    """Print settings from the production module, one per line."""
    code = "from django.conf import settings\n" + "".join(
        f"print(repr(settings.{name}))\n" for name in names
    )
    result = manage("shell", "-v", "0", "-c", code, env=env)
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()


def test_check_deploy_reports_nothing_with_a_realistic_environment():
    result = manage(
        "check", "--deploy", "--fail-level", "DEBUG", env=realistic_environment()
    )

    assert result.returncode == 0, result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_production_refuses_to_start_without_secret_key():
    env = realistic_environment()
    del env["SECRET_KEY"]

    result = manage("check", env=env)

    assert result.returncode != 0
    assert "ImproperlyConfigured: SECRET_KEY is not set" in result.stderr


def test_production_without_secret_key_starts_only_with_debug_on():
    env = realistic_environment()
    del env["SECRET_KEY"]

    assert show("DEBUG", env={**env, "DEBUG": "true"}) == ["True"]


@pytest.mark.parametrize("variable", ["DATABASE_URL", "CACHE_URL"])
def test_production_refuses_to_start_without_database_or_cache(variable):
    env = realistic_environment()
    del env[variable]

    result = manage("check", env=env)

    assert result.returncode != 0
    assert f"Set the {variable} environment variable" in result.stderr


def test_production_reads_database_cache_and_hosts_from_the_environment():
    lines = show(
        "DATABASES['default']['ENGINE']",
        "DATABASES['default']['HOST']",
        "CACHES['default']['BACKEND']",
        "ALLOWED_HOSTS",
        "CSRF_TRUSTED_ORIGINS",
        "MEDIA_ROOT",
        "IMAGEAPI_ACCEL_REDIRECT_LOCATION",
        "SECURE_PROXY_SSL_HEADER",
        env=realistic_environment(),
    )

    assert lines == [
        "'django.db.backends.postgresql'",
        "'db.internal'",
        "'django.core.cache.backends.redis.RedisCache'",
        "['images.example.com']",
        "['https://images.example.com']",
        "<Path:/srv/imageapi/media>",
        "'/protected-media/'",
        "('HTTP_X_FORWARDED_PROTO', 'https')",
    ]


def test_embedded_default_stays_on_sqlite_local_memory_and_streaming():
    lines = show(
        "DATABASES['default']['ENGINE']",
        "CACHES['default']['BACKEND']",
        "IMAGEAPI_ACCEL_REDIRECT_LOCATION",
        "DEBUG",
        env={"DJANGO_SETTINGS_MODULE": "imageapi.settings.local"},
    )

    assert lines == [
        "'django.db.backends.sqlite3'",
        "'django.core.cache.backends.locmem.LocMemCache'",
        "''",
        "True",
    ]
