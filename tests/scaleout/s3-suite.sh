#!/usr/bin/env bash
# The object-storage tests against a real S3 API: `make test-s3`.
# Starts moto's standalone server on a free port of 127.0.0.1, points the
# settings at a bucket there through the same variables a deployment sets,
# runs the tests marked s3, and stops the server when done, pass or fail.
set -euo pipefail
cd "$(dirname "$0")/../.."
PYTHON=${PYTHON:-$PWD/.venv/bin/python}
source tests/e2e/lib.sh

stack_init
start_moto

export IMAGEAPI_S3_BUCKET=imageapi-test-$(python3 -c 'import secrets; print(secrets.token_hex(4))')
export AWS_S3_ENDPOINT_URL=http://127.0.0.1:$MOTO_PORT
export AWS_S3_REGION_NAME=us-east-1
export AWS_ACCESS_KEY_ID=test-key-id
export AWS_SECRET_ACCESS_KEY=$(python3 -c 'import secrets; print(secrets.token_hex(16))')
# Not `exec`: the EXIT trap has to stop the server afterwards.
timeout 600 "$PYTHON" -m pytest -m s3 tests/scaleout "$@"
