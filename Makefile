# Two commands on a fresh machine:  make run  (serve on :8000)  and  make test.
# Needs Python 3.11 or newer and make; everything else goes into .venv.
# The production stack's checks, which install PostgreSQL, Redis and nginx
# from Debian's packages and run them on 127.0.0.1:  make test-postgres,
# make e2e. The scale-out configuration (S3 bucket, Celery workers):
# make test-s3, make test-workers, make e2e-scaleout. `make tls-cert` makes
# the certificate docker-compose.yml expects.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
FUZZ_EXAMPLES ?= 25

.PHONY: run test test-postgres e2e test-fuzz test-load test-s3 test-workers \
	e2e-scaleout bench bench-scaleout tls-cert migrate clean

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "Python 3.11 or newer is needed; set PYTHON=/path/to/python3.11"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed-base: $(BIN)/python requirements/base.txt
	$(BIN)/pip install --quiet -r requirements/base.txt
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed-base requirements/dev.txt
	$(BIN)/pip install --quiet -r requirements/dev.txt
	touch $@

$(VENV)/.installed-scaleout: $(VENV)/.installed-dev requirements/scaleout-test.txt
	$(BIN)/pip install --quiet -r requirements/scaleout-test.txt
	touch $@

$(VENV)/.installed-bench: $(VENV)/.installed-base requirements/bench.txt
	$(BIN)/pip install --quiet -r requirements/bench.txt
	touch $@

$(VENV)/.installed-fuzz: $(VENV)/.installed-dev requirements/fuzz.txt
	$(BIN)/pip install --quiet -r requirements/fuzz.txt
	touch $@

migrate: $(VENV)/.installed-base
	$(BIN)/python manage.py migrate --no-input

run: migrate
	$(BIN)/python manage.py seed_demo
	@# /healthz reports the media storage down until its folder exists.
	mkdir -p "$${MEDIA_ROOT:-media}"
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

test: $(VENV)/.installed-dev
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test-postgres: $(VENV)/.installed-dev
	PYTHON=$(abspath $(BIN)/python) tests/e2e/postgres-suite.sh $(PYTEST_ARGS)

e2e: $(VENV)/.installed-base
	PYTHON=$(abspath $(BIN)/python) tests/e2e/run.sh

# The scale-out configuration against real servers on 127.0.0.1, each
# stopped when its script exits: an S3 API (moto's server), Redis and Celery
# workers, then the whole stack through nginx with both switched on.
test-s3: $(VENV)/.installed-scaleout
	PYTHON=$(abspath $(BIN)/python) tests/scaleout/s3-suite.sh $(PYTEST_ARGS)

test-workers: $(VENV)/.installed-dev
	PYTHON=$(abspath $(BIN)/python) tests/scaleout/workers-suite.sh $(PYTEST_ARGS)

e2e-scaleout: $(VENV)/.installed-scaleout
	PYTHON=$(abspath $(BIN)/python) E2E_SCALEOUT=1 tests/e2e/run.sh

tls-cert:
	deploy/make-tls-cert.sh deploy/tls $${DOMAIN:-localhost}

# Prints the performance table and writes it to bench/results/latest.md.
bench: $(VENV)/.installed-bench
	bench/ensure-wrk.sh
	$(BIN)/python -m bench

# schemathesis against the OpenAPI schema, FUZZ_EXAMPLES cases per operation
# and user (default 25).
test-fuzz: $(VENV)/.installed-fuzz
	FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(BIN)/python -m pytest -m fuzz tests/fuzz $(PYTEST_ARGS)

# 200 uploads from 10 users against gunicorn on loopback; prints the figures.
test-load: $(VENV)/.installed-dev
	$(BIN)/python -m pytest -m load -s tests/load $(PYTEST_ARGS)

# Upload, list and link figures of the embedded, production and scale-out
# configurations; writes bench/results/scaleout.md.
bench-scaleout: $(VENV)/.installed-scaleout
	bench/ensure-wrk.sh
	PYTHON=$(abspath $(BIN)/python) bench/scaleout.sh

clean:
	rm -rf $(VENV) db.sqlite3 media staticfiles .pytest_cache
