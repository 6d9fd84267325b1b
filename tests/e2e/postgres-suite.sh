#!/usr/bin/env bash
# The test suite on a real PostgreSQL server: `make test-postgres`.
# Starts a throwaway cluster on 127.0.0.1, runs pytest against it with
# DATABASE_URL, and stops the server when done, whatever the outcome.
set -euo pipefail
cd "$(dirname "$0")/../.."
PYTHON=${PYTHON:-$PWD/.venv/bin/python}
source tests/e2e/lib.sh

ensure_packages postgresql
stack_init
password=$(python3 -c 'import secrets; print(secrets.token_hex(16))')
start_postgres imageapi "$password" imageapi

export DATABASE_URL="postgres://imageapi:$password@127.0.0.1:$PG_PORT/imageapi"
# Not `exec`: the EXIT trap has to stop the server afterwards.
"$PYTHON" -m pytest "$@"
