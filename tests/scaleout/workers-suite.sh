#!/usr/bin/env bash
# The worker tests with real servers: `make test-workers`.
# Starts PostgreSQL and Redis on free ports of 127.0.0.1 (installing them
# from Debian's packages when missing), runs the tests marked workers, which
# start and kill Celery worker processes of their own, and stops every
# server and worker when done, pass or fail.
set -euo pipefail
cd "$(dirname "$0")/../.."
PYTHON=${PYTHON:-$PWD/.venv/bin/python}
source tests/e2e/lib.sh

ensure_packages postgresql redis-server
stack_init
password=$(python3 -c 'import secrets; print(secrets.token_hex(16))')
start_postgres imageapi "$password" imageapi
start_redis redis --save "" --appendonly no

export SCALEOUT_WORKER_PIDS=$STACK_DIR/worker.pids
export SCALEOUT_CONTROL_DIR=$STACK_DIR/control
export SCALEOUT_LOG_DIR=$STACK_DIR
mkdir -p "$SCALEOUT_CONTROL_DIR" "$STACK_DIR/media"
touch "$SCALEOUT_WORKER_PIDS"
# Workers run in sessions of their own; whatever a failed test left behind
# is killed by its group id here.
stop_workers() {
    local pid
    while read -r pid; do
        [[ "$pid" =~ ^[0-9]+$ ]] && [ "$pid" -gt 1 ] && kill -KILL -- "-$pid" 2>/dev/null
    done <"$SCALEOUT_WORKER_PIDS"
    return 0
}
STOP_ACTIONS+=("stop_workers")

export DATABASE_URL="postgres://imageapi:$password@127.0.0.1:$PG_PORT/imageapi"
export CACHE_URL="redis://127.0.0.1:$REDIS_PORT/0"
export CELERY_BROKER_URL="redis://127.0.0.1:$REDIS_PORT/1"
# Short, so that a task of a killed worker comes back within the test.
export CELERY_VISIBILITY_TIMEOUT=10
export MEDIA_ROOT=$STACK_DIR/media
export DJANGO_SETTINGS_MODULE=tests.scaleout.worker_settings
timeout 900 "$PYTHON" -m pytest -m workers tests/scaleout \
    --ds=tests.scaleout.worker_settings "$@"
