"""docker-compose.yml agrees with the settings, nginx's template and the e2e run.

No Docker engine runs these tests: they read the files. The end-to-end run
(tests/e2e/run.sh) starts each service from compose's own command and
environment, so what it proves holds for compose as long as these pass.
"""

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.e2e.stack import (
    LOOPBACK_KEYS,
    interpolate,
    load_compose,
    scaleout_variables,
    service_command,
    service_environment,
    service_healthcheck,
)

PROJECT = Path(__file__).resolve().parent.parent
TEMPLATE = (PROJECT / "deploy/nginx.conf.template").read_text()
README = (PROJECT / "README.md").read_text()
COMPOSE = load_compose()
SERVICES = COMPOSE["services"]
# As the README makes them: `openssl rand -hex 32`.
VARIABLES = {"SECRET_KEY": secrets.token_hex(32), "POSTGRES_PASSWORD": "pw"}
# What .env adds to switch on the scale-out profiles, as the README shows it.
SCALEOUT = {
    "COMPOSE_PROFILES": "objectstore,workers",
    "IMAGEAPI_S3_BUCKET": "imageapi",
    "AWS_SECRET_ACCESS_KEY": secrets.token_hex(24),
    "CELERY_BROKER_URL": "redis://broker:6379/0",
}
PORTS = {
    "db": "1001",
    "redis": "1002",
    "web": "1003",
    "nginx": "1004",
    "broker": "1005",
    "objectstore": "1006",
}


def env_of(service, variables=VARIABLES):
    """Return the service's environment as compose fills it in by default."""
    return {
        key: interpolate(value, variables)
        for key, value in SERVICES[service]["environment"].items()
    }


def mount_target(service, volume):
    """Return where `volume` is mounted in `service`."""
    for entry in SERVICES[service]["volumes"]:
        source, target, *_ = entry.split(":")
        if source == volume:
            return target
    raise AssertionError(f"{volume} is not mounted in {service}")


def size_in_bytes(text):
    units = {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3}
    number, unit = re.fullmatch(r"(\d+)([kmg]?)", text.lower()).groups()
    return int(number) * units[unit]


def seconds(text):
    return int(text.removesuffix("s"))


def documented_variables():
    """Return the names in the first column of the README's variable table."""
    return set(re.findall(r"^\| `(\w+)` \|", README, re.MULTILINE))


def variables_read_by_the_code():
    """Return every environment variable the settings and gunicorn read."""
    names = set()
    for path in [
        *PROJECT.glob("imageapi/settings/*.py"),
        PROJECT / "deploy/gunicorn.conf.py",
    ]:
        text = path.read_text()
        names |= set(re.findall(r'env(?:\.\w+)?\(\s*"(\w+)"', text))
        names |= set(re.findall(r'os\.environ\.get\(\s*"(\w+)"', text))
    return names


def test_compose_has_four_services_and_two_profiles_that_scale_out():
    profiles = {name: SERVICES[name].get("profiles") for name in SERVICES}

    assert profiles == {
        "db": None,
        "redis": None,
        "web": None,
        "nginx": None,
        "worker": ["workers"],
        "broker": ["workers"],
        "objectstore": ["objectstore"],
    }


def test_web_migrates_collects_static_files_and_runs_gunicorn_with_the_deploy_config():
    script = service_command(COMPOSE, "web")[-1]

    steps = [step.strip() for step in script.split("&&")]

    assert steps == [
        "python manage.py migrate --no-input",
        "python manage.py collectstatic --no-input",
        "python manage.py ensure_bucket",
        "exec gunicorn -c deploy/gunicorn.conf.py",
    ]
    assert SERVICES["web"]["build"]["dockerfile"] == "deploy/Dockerfile"


def test_web_runs_the_production_settings_that_pass_check_deploy():
    env = {
        k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "CACHE_URL")
    }

    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "DEBUG"],
        cwd=PROJECT,
        env={**env, **env_of("web")},
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert env_of("web")["DJANGO_SETTINGS_MODULE"] == "imageapi.settings.production"
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_every_variable_compose_sets_is_read_by_the_code_and_documented():
    known = variables_read_by_the_code() | {
        "DJANGO_SETTINGS_MODULE",
        "FORWARDED_ALLOW_IPS",
    }

    for service in ("web", "worker"):
        assert set(env_of(service)) <= known
        assert set(env_of(service)) <= documented_variables()


def test_every_variable_the_code_reads_is_in_the_readme_table():
    assert variables_read_by_the_code() <= documented_variables()


def test_nginx_gets_exactly_the_variables_its_template_uses():
    used = set(re.findall(r"\$\{(NGINX_\w+)\}", TEMPLATE))

    assert used == set(env_of("nginx"))
    assert "./deploy/nginx.conf.template:/etc/nginx/templates/" in " ".join(
        SERVICES["nginx"]["volumes"]
    )


def test_the_internal_media_location_matches_the_accel_setting():
    location = env_of("web")["IMAGEAPI_ACCEL_REDIRECT_LOCATION"]

    block = re.search(r"location (\S+) \{\s*internal;\s*alias (\S+);", TEMPLATE)

    assert block.group(1) == location == "/protected-media/"
    assert block.group(2) == "${NGINX_MEDIA_ROOT}/"


@pytest.mark.parametrize(
    ("volume", "web_variable", "nginx_variable"),
    [
        ("media", "MEDIA_ROOT", "NGINX_MEDIA_ROOT"),
        ("static", "STATIC_ROOT", "NGINX_STATIC_ROOT"),
    ],
)
def test_nginx_reads_the_folders_web_writes(volume, web_variable, nginx_variable):
    assert env_of("web")[web_variable] == mount_target("web", volume)
    assert env_of("nginx")[nginx_variable] == mount_target("nginx", volume)
    assert SERVICES["nginx"]["volumes"][-2:] == [
        "media:/srv/imageapi/media:ro",
        "static:/srv/imageapi/static:ro",
    ]


def test_nginx_body_limit_is_the_upload_limit_plus_room_for_multipart_framing():
    upload_limit = int(env_of("web")["IMAGEAPI_MAX_UPLOAD_BYTES"])

    body_limit = size_in_bytes(env_of("nginx")["NGINX_MAX_BODY_SIZE"])

    assert body_limit == upload_limit + 1024**2
    assert "client_max_body_size ${NGINX_MAX_BODY_SIZE};" in TEMPLATE


def test_nginx_proxies_to_gunicorn_and_waits_as_long_as_a_worker_may_run():
    port = env_of("web")["GUNICORN_BIND"].rpartition(":")[2]

    assert env_of("nginx")["NGINX_UPSTREAM"] == f"web:{port}"
    assert seconds(env_of("nginx")["NGINX_PROXY_TIMEOUT"]) >= int(
        env_of("web")["GUNICORN_TIMEOUT"]
    )
    assert "proxy_set_header X-Forwarded-Proto $scheme;" in TEMPLATE


def test_database_and_cache_urls_name_the_db_and_redis_services():
    database = urlsplit(env_of("web")["DATABASE_URL"])
    cache = urlsplit(env_of("web")["CACHE_URL"])
    db = env_of("db")

    assert (database.hostname, database.port) == ("db", 5432)
    assert database.username == db["POSTGRES_USER"]
    assert database.password == db["POSTGRES_PASSWORD"] == "pw"
    assert database.path == "/" + db["POSTGRES_DB"]
    assert (cache.scheme, cache.hostname, cache.port) == ("redis", "redis", 6379)


def test_hosts_and_server_name_come_from_the_same_domain():
    web = SERVICES["web"]["environment"]
    nginx = SERVICES["nginx"]["environment"]

    assert web["ALLOWED_HOSTS"] == nginx["NGINX_SERVER_NAME"] == "${DOMAIN:-localhost}"
    assert (
        web["CSRF_TRUSTED_ORIGINS"]
        == "https://${DOMAIN:-localhost}:${HTTPS_PORT:-8443}"
    )
    assert SERVICES["nginx"]["ports"] == ["${HTTPS_PORT:-8443}:443"]


def test_health_checks_use_healthz_and_gate_the_start_order():
    web_check = SERVICES["web"]["healthcheck"]["test"]
    nginx_check = " ".join(SERVICES["nginx"]["healthcheck"]["test"])
    healthcheck_script = (PROJECT / web_check[-1]).read_text()
    db = env_of("db")

    assert web_check == ["CMD", "python", "deploy/healthcheck.py"]
    assert "/healthz" in healthcheck_script
    assert "/healthz" in nginx_check
    assert f"--username={db['POSTGRES_USER']}" in SERVICES["db"]["healthcheck"]["test"]
    assert SERVICES["redis"]["healthcheck"]["test"] == ["CMD", "redis-cli", "ping"]
    assert SERVICES["web"]["depends_on"] == {
        "db": {"condition": "service_healthy"},
        "redis": {"condition": "service_healthy"},
        # Waited for only when their profile is on.
        "objectstore": {"condition": "service_healthy", "required": False},
        "broker": {"condition": "service_healthy", "required": False},
    }
    assert SERVICES["nginx"]["depends_on"] == {"web": {"condition": "service_healthy"}}
    assert SERVICES["worker"]["depends_on"] == {
        "broker": {"condition": "service_healthy"},
        "web": {"condition": "service_healthy"},
    }


@pytest.mark.parametrize("variables", [VARIABLES, {**VARIABLES, **SCALEOUT}])
def test_e2e_changes_only_addresses_and_paths_of_compose_services(variables):
    app = {
        "DATABASE_URL",
        "CACHE_URL",
        "MEDIA_ROOT",
        "STATIC_ROOT",
        "AWS_S3_ENDPOINT_URL",
    }
    if "CELERY_BROKER_URL" in variables:
        app.add("CELERY_BROKER_URL")
    allowed = {
        "web": app | {"GUNICORN_BIND"},
        "worker": app,
        "nginx": {
            "NGINX_LISTEN",
            "NGINX_UPSTREAM",
            "NGINX_TLS_CERT",
            "NGINX_TLS_KEY",
            "NGINX_ACCESS_LOG",
            "NGINX_STATIC_ROOT",
            "NGINX_MEDIA_ROOT",
        },
    }

    for service, keys in allowed.items():
        loopback = service_environment(COMPOSE, service, variables, PORTS, "/run")
        compose = env_of(service, variables)
        changed = {k for k, v in loopback.items() if v != compose[k]}
        assert changed == keys
        assert set(LOOPBACK_KEYS.get(service, {})) <= keys
        assert not any("0.0.0.0" in v or "web:" in v for v in loopback.values())


def test_e2e_starts_every_service_from_compose():
    script = (PROJECT / "tests/e2e/run.sh").read_text()

    for step in (
        "stack env db",
        "stack command redis",
        "stack command web",
        "stack env web",
        "stack env nginx",
        "deploy/nginx.conf.template",
        "stack command broker",
        "stack command worker",
        "stack env worker",
        "stack healthcheck worker",
    ):
        assert step in script
    assert '["web"]["healthcheck"]["test"]' in script


def test_e2e_scaleout_switches_on_what_the_readme_tells_env_to():
    documented = set(re.findall(r"^(\w+)=", scaleout_block(), re.MULTILINE))
    e2e = scaleout_variables({"E2E_OBJECTSTORE_SECRET": "x"})

    assert documented == set(SCALEOUT)
    assert set(e2e) == set(SCALEOUT) - {"COMPOSE_PROFILES"}
    assert e2e["CELERY_BROKER_URL"] == SCALEOUT["CELERY_BROKER_URL"]
    assert e2e["IMAGEAPI_S3_BUCKET"] == SCALEOUT["IMAGEAPI_S3_BUCKET"]
    assert f"COMPOSE_PROFILES={SCALEOUT['COMPOSE_PROFILES']}" in scaleout_block()


def scaleout_block():
    """Return the README's .env lines that switch the scale-out profiles on."""
    section = README[README.index("## Scale-out") :]
    return re.search(r"```sh\n(cat >> \.env <<EOF\n.*?)```", section, re.S)[1]


def test_without_scale_out_variables_files_stay_on_disk_and_uploads_make_thumbnails():
    web = env_of("web")

    assert web["IMAGEAPI_S3_BUCKET"] == ""
    assert web["CELERY_BROKER_URL"] == ""


def test_scale_out_names_the_objectstore_and_broker_services():
    web = env_of("web", {**VARIABLES, **SCALEOUT})
    endpoint = urlsplit(web["AWS_S3_ENDPOINT_URL"])
    broker = urlsplit(web["CELERY_BROKER_URL"])
    objectstore = SERVICES["objectstore"]

    assert web["IMAGEAPI_S3_BUCKET"] == "imageapi"
    assert (endpoint.hostname, endpoint.port) == ("objectstore", 9000)
    assert objectstore["command"] == ["server", "/data", "--address", ":9000"]
    assert (broker.scheme, broker.hostname, broker.port) == ("redis", "broker", 6379)
    # The API signs in with the credentials the object store is started with.
    store = {
        key: interpolate(value, {**VARIABLES, **SCALEOUT})
        for key, value in objectstore["environment"].items()
    }
    assert store == {
        "MINIO_ROOT_USER": web["AWS_ACCESS_KEY_ID"],
        "MINIO_ROOT_PASSWORD": web["AWS_SECRET_ACCESS_KEY"],
    }
    assert len(store["MINIO_ROOT_PASSWORD"]) >= 8


def test_web_with_scale_out_switched_on_passes_check_deploy():
    env = {
        k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "CACHE_URL")
    }
    web = env_of("web", {**VARIABLES, **SCALEOUT})

    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "DEBUG"],
        cwd=PROJECT,
        env={**env, **web},
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stdout + result.stderr


def test_worker_runs_the_web_image_and_settings_with_celery():
    web, worker = env_of("web"), env_of("worker")
    gunicorn_only = {key for key in web if key.startswith("GUNICORN_")}

    assert service_command(COMPOSE, "worker") == [
        "celery",
        "--app=imageapi",
        "worker",
        "--loglevel=INFO",
    ]
    assert SERVICES["worker"]["build"] == SERVICES["web"]["build"]
    assert {k: v for k, v in web.items() if k not in gunicorn_only} == {
        k: v for k, v in worker.items() if k != "CELERY_WORKER_CONCURRENCY"
    } | {"FORWARDED_ALLOW_IPS": "*"}
    # Files on disk still work with workers, on one host's volume.
    assert mount_target("worker", "media") == worker["MEDIA_ROOT"]


def test_worker_health_check_pings_this_worker_and_a_stop_lets_tasks_finish():
    check = service_healthcheck(COMPOSE, "worker")

    assert check[:2] == ["sh", "-c"]
    assert "celery --app=imageapi inspect ping" in check[2]
    assert '--destination "celery@$(hostname)"' in check[2]
    assert SERVICES["worker"]["stop_grace_period"] == "60s"


def test_broker_keeps_its_queue_where_the_cache_may_drop_keys():
    broker = service_command(COMPOSE, "broker")
    cache = service_command(COMPOSE, "redis")

    assert broker[broker.index("--appendonly") + 1] == "yes"
    assert broker[broker.index("--maxmemory-policy") + 1] == "noeviction"
    assert cache[cache.index("--maxmemory-policy") + 1] == "allkeys-lru"
    assert SERVICES["broker"]["volumes"] == ["broker-data:/data"]


def test_web_image_is_slim_and_runs_as_an_unprivileged_user():
    dockerfile = (PROJECT / "deploy/Dockerfile").read_text()

    assert re.search(r"^FROM python:3\.\d+-slim", dockerfile, re.MULTILINE)
    assert re.search(r"^USER imageapi$", dockerfile, re.MULTILINE)
    assert "gunicorn.conf.py" in dockerfile
